//! `dataroom restore`: the backup/restore drill (恢复演练). Verify first, refuse
//! anything tampered, then decrypt every page and attachment into ordinary files;
//! `--compare` renders the source afresh and compares byte for byte.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::verify::SiteFiles;
use super::Staging;
use crate::render::{self, Engine, Selection, Theme};
use crate::seal::site::SealedIndex;
use crate::{check, room, seal, Diagnostic};

pub struct RestoreReport {
    pub verify: super::verify::Report,
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
    let report = super::verify::verify(&files, pubkey)?;
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
    let theme = Theme::load(&[]);
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
    let theme = Theme::load(&room.theme);
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
