//! The plain site: every route an ordinary HTML page at its own path, linked
//! with ordinary hrefs, readable without JavaScript. One writer for the three
//! callers that publish it: the public training site (`build --only
//! training`, into the build's staging folder), `restore` (the decrypted pages,
//! into a private staging folder) and `serve` (in memory, nothing on disk).
//! Where the files go is the caller's [`Target`].

use crate::i18n::Wording;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use rayon::prelude::*;

use super::{Staging, Written};
use crate::render::{self, Engine, Page, Site, Theme};
use crate::room::model::Attachment;

/// Where a plain site's files go: the output stage the caller chose.
pub enum Target<'a> {
    /// A build's or restore's staging folder, under `prefix` (`site/` or ``).
    Disk {
        staging: &'a Staging,
        prefix: &'a str,
    },
    /// `serve`: a map in memory; nothing touches the disk.
    Memory(&'a MemorySite),
}

impl Target<'_> {
    /// Puts one file at `path` (relative to the site) and returns its SHA-256.
    pub fn write(&self, path: &str, bytes: &[u8]) -> Result<[u8; 32], Wording> {
        match self {
            Target::Disk { staging, prefix } => staging
                .write(&format!("{prefix}{path}"), bytes)
                .map_err(|e| Wording::io_at("err_write", std::path::Path::new(path), &e)),
            Target::Memory(site) => {
                use sha2::{Digest, Sha256};
                let hash = Sha256::digest(bytes).into();
                site.files
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .insert(path.to_string(), bytes.to_vec());
                Ok(hash)
            }
        }
    }
}

/// A plain site held in memory (`serve`): rendered files by path, and the
/// room's attachments by path, read from the room when asked for (scans can
/// be large; the room loader has already checked they lie inside the room).
#[derive(Default)]
pub struct MemorySite {
    files: Mutex<BTreeMap<String, Vec<u8>>>,
    attachments: BTreeMap<String, PathBuf>,
}

/// A file of a [`MemorySite`].
pub enum Body<'a> {
    Bytes(&'a [u8]),
    /// An attachment, to be read from the room.
    File(&'a std::path::Path),
}

impl MemorySite {
    /// The file at `path` (relative to the site, no leading `/`), if any.
    pub fn get(&mut self, path: &str) -> Option<Body<'_>> {
        if let Some(file) = self.attachments.get(path) {
            return Some(Body::File(file));
        }
        self.files
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(path)
            .map(|bytes| Body::Bytes(bytes))
    }

    /// Every path the site serves, sorted.
    pub fn paths(&mut self) -> Vec<String> {
        let files = self
            .files
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut all: Vec<String> = files
            .keys()
            .chain(self.attachments.keys())
            .cloned()
            .collect();
        all.sort();
        all
    }
}

/// The theme's static files (CSS, JavaScript), public in every kind of site.
pub(crate) fn write_static(theme: &Theme, target: &Target) -> Result<Vec<Written>, Wording> {
    theme
        .under("static/")
        .map(|(name, bytes)| {
            let path = format!("static/{name}");
            let sha256 = target.write(&path, bytes)?;
            Ok(Written { path, sha256 })
        })
        .collect()
}

/// One standalone HTML file per page (`route_file`), in parallel.
pub(crate) fn write_pages(
    pages: &[Page],
    nav: &str,
    title: &str,
    site_id: &str,
    engine: &Engine,
    target: &Target,
) -> Result<Vec<Written>, Wording> {
    pages
        .par_iter()
        .map(|page| {
            let html = engine
                .standalone(page, nav, title, site_id)
                .map_err(Wording::from)?;
            let path = render::route_file(&page.route);
            let sha256 = target.write(&path, html.as_bytes())?;
            Ok(Written { path, sha256 })
        })
        .collect()
}

/// The public training site: its pages, the attachments they show as images
/// — and no other attachment — and the theme's static files.
pub(crate) fn plain_site(
    site: &Site,
    attachments: &[Attachment],
    theme: &Theme,
    engine: &Engine,
    site_id: &str,
    target: &Target,
) -> Result<Vec<Written>, Wording> {
    let mut written = write_pages(&site.pages, &site.nav, &site.title, site_id, engine, target)?;
    let shown: std::collections::BTreeSet<String> = site
        .pages
        .iter()
        .flat_map(|page| render::inline_files(&page.html))
        .collect();
    for path in shown {
        // A missing image stays a broken image, as in the sealed room.
        let Some(attachment) = attachments.iter().find(|a| a.path == path) else {
            continue;
        };
        let bytes = std::fs::read(&attachment.abs_path)
            .map_err(|e| Wording::io_at("err_read", std::path::Path::new(&path), &e))?;
        let sha256 = target.write(&path, &bytes)?;
        written.push(Written { path, sha256 });
    }
    written.extend(write_static(theme, target)?);
    Ok(written)
}

/// The browser's storage id of the preview (its checklist ticks stay apart
/// from any real room's).
const PREVIEW_SITE_ID: &str = "preview";

/// The whole room as a plain site in memory, for `serve`: every page, every
/// export, every attachment (served from the room), the theme's static files.
pub(crate) fn memory_site(
    site: &Site,
    attachments: &[Attachment],
    theme: &Theme,
    engine: &Engine,
) -> Result<MemorySite, Wording> {
    let memory = MemorySite {
        attachments: attachments
            .iter()
            .map(|a| (a.path.clone(), a.abs_path.clone()))
            .collect(),
        ..MemorySite::default()
    };
    let target = Target::Memory(&memory);
    write_pages(
        &site.pages,
        &site.nav,
        &site.title,
        PREVIEW_SITE_ID,
        engine,
        &target,
    )?;
    for export in &site.exports {
        target.write(&export.path, &export.bytes)?;
    }
    write_static(theme, &target)?;
    Ok(memory)
}
