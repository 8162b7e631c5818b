//! Step 4, **seal**, for a whole site: pages (in packs), attachments, exports
//! and the encrypted index become payloads; the shell, the theme's static files
//! and the public header are the only plaintext.

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Audience, PayloadMeta, Sealer, INDEX_META, PAGE_TYPE};
use crate::publish::plain::{write_static, Target};
use crate::publish::{Staging, Written};
use crate::render::{Engine, Site, Theme};
use crate::room::model::Attachment;

/// The encrypted index: every route's payload and title, every file's payload.
#[derive(Serialize, Deserialize)]
pub struct SealedIndex {
    pub title: String,
    pub lang: String,
    pub home: String,
    pub nav: String,
    pub routes: BTreeMap<String, RouteEntry>,
    pub files: BTreeMap<String, FileEntry>,
    /// Base64 of the secret the browser derives its encrypted progress store
    /// from (stable across rebuilds); absent in older builds.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub state: String,
    /// The audience's name, when the room has audiences (shown to it only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Route prefixes (`contracts`, `payments`, `handover`, …) of the sections
    /// this audience does not see: a link there shows "no access", not an error.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denied: Vec<String>,
}

/// The gate payload ([`super::GATE_META`]): opened right after unlock, before
/// the index, so nothing about clients is decrypted until the NDA is accepted.
#[derive(Serialize, Deserialize, Default)]
pub struct Gate {
    /// The audience's name (`买方客服人员`), when the room has audiences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// The NDA every audience accepts before any content (`nda:` in dataroom.yaml).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nda: Option<NdaText>,
    /// Whether every page and printout carries the reader's watermark.
    #[serde(default)]
    pub watermark: bool,
}

#[derive(Serialize, Deserialize)]
pub struct NdaText {
    pub title: String,
    /// Rendered from the room's own Markdown (`nda:` path).
    pub html: String,
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

/// Whether `path` (inside `site/`) is a payload file, `data/<payload id>.js`
/// with the 32 hex digits of [`Sealer::new_id`]: encrypted. Every other file of
/// `site/` is public.
pub fn is_payload_path(path: &str) -> bool {
    path.strip_prefix("data/")
        .and_then(|p| p.strip_suffix(".js"))
        .is_some_and(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Every pack holds exactly this many page payloads (the last one is filled up
/// with filler payloads), so the number of packs reveals the page count only
/// to within this many.
pub const PACK_PAYLOADS: usize = 64;

/// The name an export is downloaded as: its path's last part.
fn export_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

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

/// Step 4, **seal**: every page, attachment and export becomes an encrypted
/// payload under an opaque name; only the shell, the theme's static files and
/// the public header are plaintext.
#[allow(clippy::too_many_arguments)]
pub(crate) fn seal_site(
    site: &Site,
    attachments: &[Attachment],
    theme: &Theme,
    engine: &Engine,
    audiences: &[Audience],
    iterations: u32,
    public_title: &str,
    site_id: &str,
    state_secret: &[u8; 32],
    staging: &Staging,
    progress: &indicatif::ProgressBar,
) -> Result<Vec<Written>, String> {
    let mut sealer = Sealer::with_audiences(audiences, iterations);
    sealer.set_site(site_id.to_string());
    let total = site.pages.len() + attachments.len() + site.exports.len();
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
    // to a USB stick), while each page still decrypts on its own. Packs are
    // filled in random order and padded with filler payloads to a fixed count,
    // so neither a pack's position nor its size points to particular clients.
    let mut page_order: Vec<usize> = (0..site.pages.len()).collect();
    page_order.shuffle(&mut rand::rngs::OsRng);
    let page_ids: Vec<String> = site.pages.iter().map(|_| Sealer::new_id()).collect();
    let packs: Vec<(String, Vec<usize>)> = page_order
        .chunks(PACK_PAYLOADS)
        .map(|chunk| (Sealer::new_id(), chunk.to_vec()))
        .collect();
    let pack_written: Vec<Written> = packs
        .par_iter()
        .map(|(pack_id, members)| {
            let mut lines: Vec<Vec<u8>> = members
                .iter()
                .map(|&i| {
                    let page = &site.pages[i];
                    let meta = PayloadMeta {
                        content_type: PAGE_TYPE,
                        name: &page.route,
                    };
                    sealer.seal(&page_ids[i], "k0", page.html.as_bytes(), true, &meta)
                })
                .collect();
            lines.resize_with(PACK_PAYLOADS, || sealer.seal_filler("k0"));
            lines.shuffle(&mut rand::rngs::OsRng);
            let w = write_payload(pack_id, &lines.concat())?;
            progress.inc((members.len() as u64).saturating_sub(1));
            Ok(w)
        })
        .collect::<Result<_, String>>()?;
    let mut pack_of_page: Vec<&str> = vec![""; site.pages.len()];
    for (pack_id, members) in &packs {
        for &i in members {
            pack_of_page[i] = pack_id;
        }
    }
    let sealed_attachments: Vec<(String, Written)> = attachments
        .par_iter()
        .map(|a| {
            let bytes =
                std::fs::read(&a.abs_path).map_err(|e| format!("cannot read {}: {e}", a.path))?;
            let id = Sealer::new_id();
            let meta = PayloadMeta {
                content_type: mime_of(&a.path),
                name: a.file_name(),
            };
            let sealed = sealer.seal(&id, "k0", &bytes, compresses(&a.path), &meta);
            let w = write_payload(&id, &sealed)?;
            Ok((id, w))
        })
        .collect::<Result<_, String>>()?;
    let exports: Vec<(String, Written)> = site
        .exports
        .par_iter()
        .map(|e| {
            let id = Sealer::new_id();
            let meta = PayloadMeta {
                content_type: e.mime,
                name: export_name(&e.path),
            };
            let w = write_payload(&id, &sealer.seal(&id, "k0", &e.bytes, true, &meta))?;
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
        state: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, state_secret),
        audience: None,
        denied: Vec::new(),
    };
    for (i, page) in site.pages.iter().enumerate() {
        index.routes.insert(
            page.route.clone(),
            RouteEntry {
                p: page_ids[i].clone(),
                t: page.title.clone(),
                f: Some(pack_of_page[i].to_string()),
            },
        );
    }
    for (a, (id, _)) in attachments.iter().zip(&sealed_attachments) {
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
        index.files.insert(
            e.path.clone(),
            FileEntry {
                p: id.clone(),
                f: None,
                name: export_name(&e.path).to_string(),
                mime: e.mime.into(),
                size: e.bytes.len() as u64,
            },
        );
    }
    let index_id = Sealer::new_id();
    let index_json = serde_json::to_vec(&index).map_err(|e| e.to_string())?;
    let mut written: Vec<Written> = pack_written;
    written.extend(
        sealed_attachments
            .into_iter()
            .chain(exports)
            .map(|(_, w)| w),
    );
    written.push(write_payload(
        &index_id,
        &sealer.seal(&index_id, "k0", &index_json, true, &INDEX_META),
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
    written.extend(write_static(
        theme,
        &Target::Disk {
            staging,
            prefix: "site/",
        },
    )?);
    Ok(written)
}
