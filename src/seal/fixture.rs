//! `dataroom seal-fixture` (hidden): seals hand-written pages and files with the
//! real sealer, so the browser tests (tests/browser/make-fixture.mjs) exercise
//! exactly the format a build writes, with page HTML they control.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::site::{Gate, SealedIndex};
use super::{parse_header, Audience, Opener, Sealer, GATE_META, INDEX_META, MIN_ITERATIONS};
use crate::publish::{Staging, Written};
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
    /// One key slot each, all for content key `k0`. Test passwords only.
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

#[derive(Deserialize)]
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
            .map(|p| Page {
                route: p.route,
                title: p.title,
                html: p.html,
            })
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
    let audiences: Vec<Audience> = spec
        .passwords
        .iter()
        .map(|password| Audience {
            password,
            kids: &["k0"],
        })
        .collect();
    let staging = Staging::begin(out).map_err(|e| e.to_string())?;
    let written = super::site::seal_site(
        &site,
        &attachments,
        &theme,
        &engine,
        &audiences,
        MIN_ITERATIONS,
        &spec.public_title,
        &Sealer::new_id()[..16],
        // A random secret for the browser's encrypted progress entry: fixtures
        // have no signing key to derive it from.
        &super::random_bytes::<32>(),
        &staging,
        &indicatif::ProgressBar::hidden(),
    )?;
    let site_dir = staging.path().join("site");
    let header =
        std::fs::read_to_string(site_dir.join("data/header.js")).map_err(|e| e.to_string())?;
    let header = parse_header(&header).map_err(|e| e.to_string())?;
    let index_id = header.index.clone();
    let opener = Opener::unlock(header, first_password).map_err(|e| e.to_string())?;
    let index_js =
        std::fs::read(site_dir.join(format!("data/{index_id}.js"))).map_err(|e| e.to_string())?;
    let index_json = opener
        .open(&index_id, &INDEX_META, &index_js)
        .map_err(|e| e.to_string())?;
    let index: SealedIndex = serde_json::from_slice(&index_json).map_err(|e| e.to_string())?;

    let mut views = Views {
        sealer: Sealer {
            header: opener.header.clone(),
            keys: opener.keys.clone(),
        },
        staging: &staging,
        files: written.into_iter().map(|w| (w.path, w.sha256)).collect(),
    };
    if spec.audience.is_some() || !spec.denied.is_empty() {
        let shared = with_view(&index_json, spec.audience.clone(), &spec.denied)?;
        views.write(&index_id, &shared, &INDEX_META)?;
    }
    if let Some(gate) = &spec.gate {
        views.sealer.header.gate = views.seal_new(gate, &GATE_META)?;
    }
    for (i, view) in spec.slots.iter().enumerate() {
        let Some(view) = view else { continue };
        if i >= views.sealer.header.slots.len() {
            return Err(format!(
                "the spec has a view for slot {i} but only {} passwords",
                spec.passwords.len()
            ));
        }
        let own = with_view(&index_json, view.audience.clone(), &view.denied)?;
        views.sealer.header.slots[i].index = views.seal_new(&own, &INDEX_META)?;
        if let Some(gate) = &view.gate {
            views.sealer.header.slots[i].gate = views.seal_new(gate, &GATE_META)?;
        }
    }
    let header_js = views.sealer.header_js(&index_id);
    views.write_file("data/header.js", &header_js)?;
    let mut manifest_sha256 = String::new();
    if spec.manifest {
        let files: Vec<Written> = views
            .files
            .iter()
            .map(|(path, sha256)| Written {
                path: path.clone(),
                sha256: *sha256,
            })
            .collect();
        let sums = crate::publish::manifest(&files);
        manifest_sha256 = super::hex(&<sha2::Sha256 as sha2::Digest>::digest(sums.as_bytes()));
        staging
            .write(
                &format!("site/{}", crate::publish::MANIFEST_JS),
                &crate::publish::manifest_js(sums.as_bytes()),
            )
            .map_err(|e| e.to_string())?;
    }
    let header = &views.sealer.header;
    let ids = FixtureIds {
        room: header.room.clone(),
        site: header.site.clone(),
        index: index_id,
        pages: index
            .routes
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

/// The index JSON with an audience's name and denied sections set.
fn with_view(
    index_json: &[u8],
    audience: Option<String>,
    denied: &[String],
) -> Result<SealedIndex, String> {
    let mut index: SealedIndex = serde_json::from_slice(index_json).map_err(|e| e.to_string())?;
    index.audience = audience;
    index.denied = denied.to_vec();
    Ok(index)
}

/// Gates and per-audience indexes sealed into an already sealed fixture, under
/// its content key `k0`, with the SHA-256 of every file kept for the manifest.
struct Views<'a> {
    sealer: Sealer,
    staging: &'a Staging,
    files: BTreeMap<String, [u8; 32]>,
}

impl Views<'_> {
    fn write_file(&mut self, path: &str, bytes: &[u8]) -> Result<(), String> {
        let sha256 = self
            .staging
            .write(&format!("site/{path}"), bytes)
            .map_err(|e| format!("cannot write {path}: {e}"))?;
        self.files.insert(path.to_string(), sha256);
        Ok(())
    }

    fn write<T: Serialize>(
        &mut self,
        id: &str,
        value: &T,
        meta: &super::PayloadMeta,
    ) -> Result<(), String> {
        let json = serde_json::to_vec(value).map_err(|e| e.to_string())?;
        let line = self.sealer.seal(id, "k0", &json, true, meta);
        self.write_file(&format!("data/{id}.js"), &line)
    }

    fn seal_new<T: Serialize>(
        &mut self,
        value: &T,
        meta: &super::PayloadMeta,
    ) -> Result<String, String> {
        let id = Sealer::new_id();
        self.write(&id, value, meta)?;
        Ok(id)
    }
}
