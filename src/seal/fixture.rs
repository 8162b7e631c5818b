//! `dataroom seal-fixture` (hidden): seals hand-written pages and files with the
//! real sealer, so the browser tests (tests/browser/make-fixture.mjs) exercise
//! exactly the format a build writes, with page HTML they control.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::site::{Gate, SealedIndex};
use super::{parse_header, Opener, Sealer, INDEX_META, MIN_ITERATIONS};
use crate::publish::Staging;
use crate::render::{Engine, Page, Site, Theme};
use crate::room::model::{Attachment, Language};

#[derive(Deserialize)]
pub struct FixtureSpec {
    /// `zh-CN` or `en`.
    pub lang: String,
    pub public_title: String,
    pub title: String,
    pub nav: String,
    pub pages: Vec<FixturePage>,
    pub attachments: Vec<FixtureFile>,
    /// One key slot each. Test passwords only.
    pub passwords: Vec<String>,
    /// The gate every slot shares (`header.gate`): audience, NDA, watermark.
    #[serde(default)]
    pub gate: Option<Gate>,
    /// The shared index's audience name and denied route prefixes.
    #[serde(default)]
    pub audience: Option<String>,
    #[serde(default)]
    pub denied: Vec<String>,
    /// Per password (same order), a view of its own: the slot then names its
    /// own index (`slot.index`) and, with `gate`, its own gate (`slot.gate`).
    #[serde(default)]
    pub slots: Vec<Option<FixtureView>>,
    /// Write `data/manifest.js` (a SHA256SUMS of the site), as a build does.
    #[serde(default)]
    pub manifest: bool,
}

#[derive(Deserialize, Clone)]
pub struct FixtureView {
    #[serde(default)]
    pub gate: Option<Gate>,
    #[serde(default)]
    pub audience: Option<String>,
    #[serde(default)]
    pub denied: Vec<String>,
}

#[derive(Deserialize)]
pub struct FixturePage {
    pub route: String,
    pub title: String,
    pub html: String,
}

#[derive(Deserialize)]
pub struct FixtureFile {
    /// Path in the room, `attachments/…`.
    pub path: String,
    /// Where its bytes are.
    pub file: PathBuf,
}

/// The public ids of what was sealed, for tests that tamper with one payload.
#[derive(Serialize)]
pub struct FixtureIds {
    pub room: String,
    /// The id the browser keeps checklist and quiz progress under.
    pub site: String,
    pub index: String,
    /// route → (payload id, pack file id)
    pub pages: BTreeMap<String, (String, String)>,
    /// attachment path → payload id (its own file)
    pub files: BTreeMap<String, String>,
    /// The shared gate's payload id, when the spec has one.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub gate: String,
    /// Per slot: its own index and gate payload ids (empty: the header's).
    pub slots: Vec<SlotIds>,
    /// SHA-256 of the SHA256SUMS text in `data/manifest.js`, when written.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub manifest_sha256: String,
}

#[derive(Serialize)]
pub struct SlotIds {
    pub index: String,
    pub gate: String,
}

/// Seals `spec` into `out/site/`; returns the payload ids.
pub fn seal_fixture(spec_path: &Path, out: &Path) -> Result<FixtureIds, String> {
    let text = std::fs::read_to_string(spec_path)
        .map_err(|e| format!("cannot read {}: {e}", spec_path.display()))?;
    let spec: FixtureSpec =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", spec_path.display()))?;
    let first_password = spec.passwords.first().ok_or("the spec names no password")?;
    let lang = if spec.lang == "en" {
        Language::En
    } else {
        Language::ZhCn
    };
    let theme = Theme::load(&[]);
    let engine = Engine::new(&theme, lang).map_err(|d| d.message)?;
    let site = Site {
        title: spec.title,
        lang,
        pages: spec
            .pages
            .into_iter()
            .map(|p| Page::plain(p.route, p.title, p.html))
            .collect(),
        exports: Vec::new(),
        nav: spec.nav,
        strings: engine.strings.clone(),
    };
    let attachments = spec
        .attachments
        .iter()
        .map(|f| {
            let bytes = std::fs::read(&f.file)
                .map_err(|e| format!("cannot read {}: {e}", f.file.display()))?;
            Ok(Attachment {
                path: f.path.clone(),
                size: bytes.len() as u64,
                sha256: super::hex(&<sha2::Sha256 as sha2::Digest>::digest(&bytes)),
                abs_path: f.file.clone(),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    // One view per password: its own (`slots[i]`) or the shared one; views that
    // show the same content share every payload, as in a build.
    let shared = FixtureView {
        gate: spec.gate.clone(),
        audience: spec.audience.clone(),
        denied: spec.denied.clone(),
    };
    if spec.slots.len() > spec.passwords.len() {
        return Err(format!(
            "the spec has views for {} slots but only {} passwords",
            spec.slots.len(),
            spec.passwords.len()
        ));
    }
    let views: Vec<super::site::View> = spec
        .passwords
        .iter()
        .enumerate()
        .map(|(i, password)| {
            let view = spec
                .slots
                .get(i)
                .and_then(Option::as_ref)
                .unwrap_or(&shared);
            super::site::View {
                password,
                site: &site,
                pages: &site.pages,
                attachments: attachments.iter().collect(),
                audience: view.audience.clone(),
                denied: view.denied.clone(),
                gate: view.gate.clone(),
                search: None,
            }
        })
        .collect();
    let staging = Staging::begin(out).map_err(|e| e.to_string())?;
    let written = super::site::seal_site(
        &views,
        &theme,
        &engine,
        MIN_ITERATIONS,
        &spec.public_title,
        &Sealer::new_id()[..16],
        // A random secret for the browser's encrypted progress entry: fixtures
        // have no signing key to derive it from.
        &super::random_bytes::<32>(),
        &staging,
        &indicatif::ProgressBar::hidden(),
    )
    .map_err(|w| w.to_string())?
    .written;
    let site_dir = staging.path().join("site");
    let header =
        std::fs::read_to_string(site_dir.join("data/header.js")).map_err(|e| e.to_string())?;
    let header = parse_header(&header).map_err(|e| e.to_string())?;
    let opener = Opener::unlock(header, first_password).map_err(|e| e.to_string())?;
    let index_id = opener.index_id().to_string();
    let index_js =
        std::fs::read(site_dir.join(format!("data/{index_id}.js"))).map_err(|e| e.to_string())?;
    let index_json = opener
        .open(&index_id, &INDEX_META, &index_js)
        .map_err(|e| e.to_string())?;
    let index: SealedIndex = serde_json::from_slice(&index_json).map_err(|e| e.to_string())?;
    let routes = super::routemap::all_routes(&index, |id, meta| {
        let js =
            std::fs::read(site_dir.join(format!("data/{id}.js"))).map_err(|e| e.to_string())?;
        Ok(opener.open(id, meta, &js)?)
    })
    .map_err(|w| w.to_string())?;
    let mut manifest_sha256 = String::new();
    if spec.manifest {
        let sums = crate::publish::manifest(&written);
        manifest_sha256 = super::hex(&<sha2::Sha256 as sha2::Digest>::digest(sums.as_bytes()));
        staging
            .write(
                &format!("site/{}", crate::publish::MANIFEST_JS),
                &crate::publish::manifest_js(sums.as_bytes()),
            )
            .map_err(|e| e.to_string())?;
    }
    let header = &opener.header;
    let ids = FixtureIds {
        room: header.room.clone(),
        site: header.site.clone(),
        index: index_id,
        pages: routes
            .into_iter()
            .map(|(route, e)| (route, (e.p, e.f.unwrap_or_default())))
            .collect(),
        files: index
            .files
            .into_iter()
            .map(|(path, e)| (path, e.p))
            .collect(),
        gate: header.gate.clone(),
        slots: header
            .slots
            .iter()
            .map(|s| SlotIds {
                index: s.index.clone(),
                gate: s.gate.clone(),
            })
            .collect(),
        manifest_sha256,
    };
    staging.commit().map_err(|e| e.to_string())?;
    Ok(ids)
}
