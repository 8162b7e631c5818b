//! dataroom: a folder of client records and policy documents becomes a signed,
//! password-protected, offline data-room website plus a zip archive.
//!
//! The pipeline, one named step each: **load → check → render → seal → publish**.
//! See ARCHITECTURE.md for each stage's invariant.

// Errors are diagnostics with a path, position and help text; they are returned
// once per problem, never in a hot loop, so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod publish;
pub mod render;
pub mod room;
pub mod seal;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use publish::signing::Signer;
use publish::verify::SiteFiles;
use publish::{Sealed, Staging, Written};
use render::{Engine, Selection, Site, Theme};
use room::diagnostic::Diagnostics;
use room::{Loaded, Room};
use seal::Sealer;

pub use room::diagnostic::{Diagnostic, Renderer, Severity};

/// Why a build stopped.
pub enum BuildError {
    /// The room has errors (or warnings under --strict); nothing was written.
    Input(Box<Loaded>),
    /// Writing, signing or the theme failed; the previous output is untouched.
    Output(String),
}

impl From<String> for BuildError {
    fn from(s: String) -> Self {
        BuildError::Output(s)
    }
}

impl From<Diagnostic> for BuildError {
    fn from(d: Diagnostic) -> Self {
        BuildError::Output(format!("{}: {}", d.file.display(), d.message))
    }
}

pub struct BuildOptions<'a> {
    pub room: &'a Path,
    pub out: &'a Path,
    pub strict: bool,
    pub selection: Selection,
    /// Required for a full (sealed) build; the training-only site is public.
    pub password: Option<&'a str>,
    pub iterations: u32,
    pub signer: &'a Signer,
    pub progress: indicatif::ProgressBar,
}

pub struct BuildReport {
    pub sealed: Sealed,
    pub pages: usize,
    pub attachments: usize,
    pub warnings: Diagnostics,
    pub sources: room::diagnostic::Sources,
    /// Wall time of each named stage, for `--timings` and the benchmark.
    pub timings: Vec<(&'static str, Duration)>,
}

/// Steps 1–2, **load** and **check**: read the room and find every problem.
pub fn check(room: &Path, strict: bool) -> Loaded {
    let mut loaded = room::load(room);
    if strict {
        loaded.diagnostics.make_strict();
        if loaded.diagnostics.error_count() > 0 {
            loaded.room = None;
        }
    }
    loaded
}

/// The whole pipeline. The output folder is replaced only when every step succeeded.
pub fn build(opts: &BuildOptions) -> Result<BuildReport, BuildError> {
    build_checked(opts, check(opts.room, opts.strict))
}

/// [`build`] from the result of [`check`], so a caller that checked first (to
/// report problems before asking for a password) does not load the room twice.
pub fn build_checked(opts: &BuildOptions, mut loaded: Loaded) -> Result<BuildReport, BuildError> {
    let mut timings = loaded.timings.clone();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str, timings: &mut Vec<(&'static str, Duration)>| {
        timings.push((name, clock.elapsed()));
        clock = Instant::now();
    };
    let Some(room) = loaded.room.take() else {
        return Err(BuildError::Input(Box::new(loaded)));
    };

    let theme = Theme::load(room.theme_dir.as_deref())?;
    let findings: Vec<Diagnostic> = loaded.diagnostics.warnings().cloned().collect();
    let extras = render::Extras {
        findings: &findings,
        signing: Some(render::SigningInfo {
            key_id: publish::signing::key_id(&opts.signer.public),
            fingerprint: publish::signing::fingerprint(&opts.signer.public),
        }),
        kdf_iterations: opts.iterations,
    };
    let site = render::render(&room, &theme, opts.selection, &extras)?;
    let engine = Engine::new(&theme, room.settings.language)?;
    lap("render", &mut timings);

    let staging = Staging::begin(opts.out)
        .map_err(|e| format!("cannot prepare {}: {e}", opts.out.display()))?;
    let slug = publish::slug(
        &opts
            .room
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default(),
    );
    let written = match opts.selection {
        Selection::All => {
            let password = opts
                .password
                .ok_or_else(|| "a sealed build needs a password".to_string())?;
            let public_title = room.settings.public_title.clone().unwrap_or_else(|| {
                engine
                    .strings
                    .get("lock_title")
                    .cloned()
                    .unwrap_or_else(|| "Data room".into())
            });
            let site_id = stable_site_id(&opts.signer.public, &slug);
            seal_site(
                &site,
                &room,
                &theme,
                &engine,
                password,
                opts.iterations,
                &public_title,
                &site_id,
                &staging,
                &opts.progress,
            )?
        }
        Selection::TrainingOnly => plain_site(&site, &theme, &engine, &slug, &staging)?,
    };
    let pages = site.pages.len();
    lap("seal+write", &mut timings);

    let epoch = source_date_epoch();
    let zip_time = epoch.unwrap_or_else(|| {
        room.settings
            .handover_date
            .and_hms_opt(0, 0, 0)
            .map_or(0, |d| d.and_utc().timestamp())
    });
    let build_time = chrono::DateTime::from_timestamp(
        epoch.unwrap_or_else(|| chrono::Utc::now().timestamp()),
        0,
    )
    .unwrap_or_default()
    .format("%Y-%m-%dT%H:%M:%SZ")
    .to_string();
    let sealed = publish::finish(
        &staging,
        written,
        &publish::Finish {
            slug: &slug,
            date: room.settings.handover_date,
            zip_time,
            build_time: &build_time,
            signer: opts.signer,
            manifest_js: opts.selection == Selection::All,
        },
    )?;
    staging.commit().map_err(|e| {
        format!(
            "cannot move the finished build into {}: {e}",
            opts.out.display()
        )
    })?;
    lap("sign+zip+publish", &mut timings);
    opts.progress.finish_and_clear();

    Ok(BuildReport {
        sealed,
        pages,
        attachments: match opts.selection {
            Selection::All => room.attachments.len(),
            Selection::TrainingOnly => 0,
        },
        warnings: loaded.diagnostics,
        sources: loaded.sources,
        timings,
    })
}

/// An id for the browser's local storage that stays the same when the same
/// seller rebuilds the same room, and reveals nothing about it.
fn stable_site_id(signer: &minisign::PublicKey, slug: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("dataroom-site:{}:{slug}", signer.to_base64()).as_bytes());
    seal::hex(&digest[..8])
}

fn source_date_epoch() -> Option<i64> {
    std::env::var("SOURCE_DATE_EPOCH").ok()?.trim().parse().ok()
}

/// The encrypted index: every route's payload and title, every file's payload.
#[derive(Serialize, Deserialize)]
pub struct SealedIndex {
    pub title: String,
    pub lang: String,
    pub home: String,
    pub nav: String,
    pub routes: BTreeMap<String, RouteEntry>,
    pub files: BTreeMap<String, FileEntry>,
}

#[derive(Serialize, Deserialize)]
pub struct RouteEntry {
    /// Payload id.
    pub p: String,
    pub t: String,
    /// The pack file holding the payload, when it is not in a file of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f: Option<String>,
}

#[derive(Serialize, Deserialize)]
pub struct FileEntry {
    pub p: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f: Option<String>,
    pub name: String,
    pub mime: String,
    pub size: u64,
}

pub fn mime_of(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "txt" | "md" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "json" => "application/json",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

/// A pack of page payloads is closed at this size or count.
const PACK_MAX_BYTES: usize = 256 * 1024;
const PACK_MAX_PAYLOADS: usize = 64;

/// Formats that are already compressed gain nothing from gzip.
fn compresses(path: &str) -> bool {
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    !matches!(
        ext.as_str(),
        "pdf"
            | "png"
            | "jpg"
            | "jpeg"
            | "gif"
            | "webp"
            | "zip"
            | "docx"
            | "xlsx"
            | "pptx"
            | "mp4"
            | "gz"
    )
}

fn write_static(theme: &Theme, staging: &Staging) -> Result<Vec<Written>, String> {
    theme
        .under("static/")
        .map(|(name, bytes)| {
            let path = format!("static/{name}");
            let sha256 = staging
                .write(&format!("site/{path}"), bytes)
                .map_err(|e| format!("cannot write {path}: {e}"))?;
            Ok(Written { path, sha256 })
        })
        .collect()
}

/// Step 4, **seal**: every page, attachment and export becomes an encrypted
/// payload under an opaque name; only the shell, the theme's static files and
/// the public header are plaintext.
#[allow(clippy::too_many_arguments)]
fn seal_site(
    site: &Site,
    room: &Room,
    theme: &Theme,
    engine: &Engine,
    password: &str,
    iterations: u32,
    public_title: &str,
    site_id: &str,
    staging: &Staging,
    progress: &indicatif::ProgressBar,
) -> Result<Vec<Written>, String> {
    let mut sealer = Sealer::new(password, iterations);
    sealer.set_site(site_id.to_string());
    let total = site.pages.len() + room.attachments.len() + site.exports.len();
    progress.set_length(total as u64);
    let write_payload = |id: &str, payload: &[u8]| -> Result<Written, String> {
        let path = format!("data/{id}.js");
        let sha256 = staging
            .write(&format!("site/{path}"), payload)
            .map_err(|e| format!("cannot write {path}: {e}"))?;
        progress.inc(1);
        Ok(Written { path, sha256 })
    };

    // Pages are small: they are sealed one by one but stored in packs, so a
    // room of 10,000 clients is a few hundred files (quick to write and to copy
    // to a USB stick), while each page still decrypts on its own.
    let sealed_pages: Vec<(String, Vec<u8>)> = site
        .pages
        .par_iter()
        .map(|page| {
            let id = Sealer::new_id();
            let sealed = sealer.seal(&id, "k0", page.html.as_bytes(), true);
            (id, sealed)
        })
        .collect();
    // (file id, contents, payload count)
    let mut packs: Vec<(String, Vec<u8>, usize)> = Vec::new();
    let mut pack_of_page: Vec<usize> = Vec::with_capacity(sealed_pages.len());
    for (_, sealed) in &sealed_pages {
        let full = packs.last().is_none_or(|(_, bytes, count)| {
            bytes.len() + sealed.len() > PACK_MAX_BYTES || *count >= PACK_MAX_PAYLOADS
        });
        if full {
            packs.push((Sealer::new_id(), Vec::with_capacity(PACK_MAX_BYTES), 0));
        }
        if let Some((_, bytes, count)) = packs.last_mut() {
            bytes.extend_from_slice(sealed);
            *count += 1;
        }
        pack_of_page.push(packs.len() - 1);
    }
    let pack_written: Vec<Written> = packs
        .par_iter()
        .map(|(id, bytes, count)| {
            let w = write_payload(id, bytes)?;
            progress.inc((*count as u64).saturating_sub(1));
            Ok(w)
        })
        .collect::<Result<_, String>>()?;
    let pages: Vec<(String, String)> = sealed_pages
        .iter()
        .zip(&pack_of_page)
        .map(|((id, _), &pack)| (id.clone(), packs[pack].0.clone()))
        .collect();
    let attachments: Vec<(String, Written)> = room
        .attachments
        .par_iter()
        .map(|a| {
            let bytes =
                std::fs::read(&a.abs_path).map_err(|e| format!("cannot read {}: {e}", a.path))?;
            let id = Sealer::new_id();
            let w = write_payload(&id, &sealer.seal(&id, "k0", &bytes, compresses(&a.path)))?;
            Ok((id, w))
        })
        .collect::<Result<_, String>>()?;
    let exports: Vec<(String, Written)> = site
        .exports
        .par_iter()
        .map(|e| {
            let id = Sealer::new_id();
            let w = write_payload(&id, &sealer.seal(&id, "k0", &e.bytes, true))?;
            Ok((id, w))
        })
        .collect::<Result<_, String>>()?;

    let mut index = SealedIndex {
        title: site.title.clone(),
        lang: site.lang.code().into(),
        home: "index".into(),
        nav: site.nav.clone(),
        routes: BTreeMap::new(),
        files: BTreeMap::new(),
    };
    for (page, (id, pack)) in site.pages.iter().zip(&pages) {
        index.routes.insert(
            page.route.clone(),
            RouteEntry {
                p: id.clone(),
                t: page.title.clone(),
                f: Some(pack.clone()),
            },
        );
    }
    for (a, (id, _)) in room.attachments.iter().zip(&attachments) {
        index.files.insert(
            a.path.clone(),
            FileEntry {
                p: id.clone(),
                f: None,
                name: a.file_name().into(),
                mime: mime_of(&a.path).into(),
                size: a.size,
            },
        );
    }
    for (e, (id, _)) in site.exports.iter().zip(&exports) {
        let name = e.path.rsplit('/').next().unwrap_or(&e.path).to_string();
        index.files.insert(
            e.path.clone(),
            FileEntry {
                p: id.clone(),
                f: None,
                name,
                mime: e.mime.into(),
                size: e.bytes.len() as u64,
            },
        );
    }
    let index_id = Sealer::new_id();
    let index_json = serde_json::to_vec(&index).map_err(|e| e.to_string())?;
    let mut written: Vec<Written> = pack_written;
    written.extend(attachments.into_iter().chain(exports).map(|(_, w)| w));
    written.push(write_payload(
        &index_id,
        &sealer.seal(&index_id, "k0", &index_json, true),
    )?);

    let header = sealer.header_js(&index_id);
    let io = |e: std::io::Error| format!("cannot write the site: {e}");
    written.push(Written {
        path: "data/header.js".into(),
        sha256: staging.write("site/data/header.js", &header).map_err(io)?,
    });
    let shell = engine.shell(public_title).map_err(|d| d.message)?;
    written.push(Written {
        path: "index.html".into(),
        sha256: staging
            .write("site/index.html", shell.as_bytes())
            .map_err(io)?,
    });
    written.extend(write_static(theme, staging)?);
    Ok(written)
}

/// The unencrypted site (training only): one HTML file per page.
fn plain_site(
    site: &Site,
    theme: &Theme,
    engine: &Engine,
    site_id: &str,
    staging: &Staging,
) -> Result<Vec<Written>, String> {
    let mut written: Vec<Written> = site
        .pages
        .par_iter()
        .map(|page| {
            let html = engine
                .standalone(page, &site.nav, &site.title, site_id)
                .map_err(|d| d.message)?;
            let path = render::route_file(&page.route);
            let sha256 = staging
                .write(&format!("site/{path}"), html.as_bytes())
                .map_err(|e| format!("cannot write {path}: {e}"))?;
            Ok(Written { path, sha256 })
        })
        .collect::<Result<_, String>>()?;
    written.extend(write_static(theme, staging)?);
    Ok(written)
}

pub struct RestoreReport {
    pub verify: publish::verify::Report,
    pub pages: usize,
    pub files: usize,
    /// `--compare`: what the source has that the restored room lacks or has differently.
    pub missing: Vec<String>,
    pub different: Vec<String>,
}

/// `dataroom restore`: verify, refuse if tampered, decrypt everything into an
/// ordinary folder of HTML pages and original files, optionally compare with the source.
pub fn restore(
    target: &Path,
    pubkey: Option<&Path>,
    password: &str,
    out: &Path,
    compare: Option<&Path>,
) -> Result<RestoreReport, String> {
    let files = SiteFiles::open(target)?;
    let report = publish::verify::verify(&files, pubkey)?;
    if !report.ok() {
        return Err(format!(
            "the room failed verification ({} changed, {} missing, {} extra{}); nothing was restored. Run `dataroom verify` for details",
            report.changed.len(),
            report.missing.len(),
            report.extra.len(),
            report.signature_error.as_deref().map(|e| format!(", signature: {e}")).unwrap_or_default()
        ));
    }
    let header_js = files
        .read("data/header.js")
        .ok_or("data/header.js is missing: not a sealed room")?;
    let header =
        seal::parse_header(&String::from_utf8_lossy(&header_js)).map_err(|e| e.to_string())?;
    let index_id = header.index.clone();
    let opener = seal::Opener::unlock(header, password).map_err(|e| e.to_string())?;
    let mut pack_cache: HashMap<String, HashMap<String, seal::PayloadFile>> = HashMap::new();
    let mut open = |id: &str, file: Option<&str>| -> Result<Vec<u8>, String> {
        let file = file.unwrap_or(id);
        if !pack_cache.contains_key(file) {
            let js = files
                .read(&format!("data/{file}.js"))
                .ok_or(format!("payload file {file} is missing"))?;
            let parsed = seal::parse_payload_file(&js)
                .ok_or_else(|| seal::SealError::Tampered(id.into()).to_string())?;
            pack_cache.insert(file.to_string(), parsed);
        }
        let payload = pack_cache
            .get(file)
            .and_then(|p| p.get(id))
            .ok_or_else(|| seal::SealError::Tampered(id.into()).to_string())?;
        opener.open_payload(id, payload).map_err(|e| e.to_string())
    };
    let index: SealedIndex = serde_json::from_slice(&open(&index_id, None)?)
        .map_err(|e| format!("the index is unreadable: {e}"))?;

    let lang = if index.lang == "en" {
        room::Language::En
    } else {
        room::Language::ZhCn
    };
    let theme = Theme::load(None).map_err(|d| d.message)?;
    let engine = Engine::new(&theme, lang).map_err(|d| d.message)?;
    let staging =
        Staging::begin(out).map_err(|e| format!("cannot prepare {}: {e}", out.display()))?;
    let mut fragments: BTreeMap<String, String> = BTreeMap::new();
    for (route, entry) in &index.routes {
        let html = String::from_utf8(open(&entry.p, entry.f.as_deref())?)
            .map_err(|_| format!("page {route} is not UTF-8"))?;
        let page = render::Page {
            route: route.clone(),
            title: entry.t.clone(),
            html,
        };
        let doc = engine
            .standalone(&page, &index.nav, &index.title, &opener.header.room)
            .map_err(|d| d.message)?;
        safe_relative(route)?;
        staging
            .write(&render::route_file(route), doc.as_bytes())
            .map_err(|e| e.to_string())?;
        fragments.insert(route.clone(), page.html);
    }
    let mut restored_files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (path, entry) in &index.files {
        safe_relative(path)?;
        let bytes = open(&entry.p, entry.f.as_deref())?;
        staging.write(path, &bytes).map_err(|e| e.to_string())?;
        restored_files.insert(path.clone(), bytes);
    }
    for (name, bytes) in theme.under("static/") {
        staging
            .write(&format!("static/{name}"), bytes)
            .map_err(|e| e.to_string())?;
    }
    staging
        .commit()
        .map_err(|e| format!("cannot move the restored room into {}: {e}", out.display()))?;

    let mut result = RestoreReport {
        verify: report,
        pages: fragments.len(),
        files: restored_files.len(),
        missing: Vec::new(),
        different: Vec::new(),
    };
    if let Some(source) = compare {
        let signing = render::SigningInfo {
            key_id: result.verify.key_id.clone(),
            fingerprint: result.verify.fingerprint.clone(),
        };
        let iterations = opener.header.kdf.iterations;
        compare_with_source(
            source,
            signing,
            iterations,
            &fragments,
            &restored_files,
            &mut result,
        )?;
    }
    Ok(result)
}

fn safe_relative(path: &str) -> Result<(), String> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.contains('\\')
        || path
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..");
    if bad {
        Err(format!(
            "refusing to write `{path}`: not a plain relative path"
        ))
    } else {
        Ok(())
    }
}

/// Renders the source room afresh and compares every page, attachment and export
/// with what was restored.
fn compare_with_source(
    source: &Path,
    signing: render::SigningInfo,
    kdf_iterations: u32,
    fragments: &BTreeMap<String, String>,
    files: &BTreeMap<String, Vec<u8>>,
    result: &mut RestoreReport,
) -> Result<(), String> {
    let loaded = check(source, false);
    let findings: Vec<Diagnostic> = loaded.diagnostics.warnings().cloned().collect();
    let room = loaded.room.ok_or_else(|| {
        format!(
            "the source room {} has errors; run `dataroom check` on it",
            source.display()
        )
    })?;
    let theme = Theme::load(room.theme_dir.as_deref()).map_err(|d| d.message)?;
    let extras = render::Extras {
        findings: &findings,
        signing: Some(signing),
        kdf_iterations,
    };
    let site = render::render(&room, &theme, Selection::All, &extras).map_err(|d| d.message)?;
    for page in &site.pages {
        match fragments.get(&page.route) {
            None => result.missing.push(page.route.clone()),
            Some(html) if *html != page.html => result.different.push(page.route.clone()),
            _ => {}
        }
    }
    for a in &room.attachments {
        match files.get(&a.path) {
            None => result.missing.push(a.path.clone()),
            Some(bytes) => {
                if std::fs::read(&a.abs_path).map_err(|e| format!("cannot read {}: {e}", a.path))?
                    != *bytes
                {
                    result.different.push(a.path.clone());
                }
            }
        }
    }
    for e in &site.exports {
        match files.get(&e.path) {
            None => result.missing.push(e.path.clone()),
            Some(bytes) if *bytes != e.bytes => result.different.push(e.path.clone()),
            _ => {}
        }
    }
    Ok(())
}
