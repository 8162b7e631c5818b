//! The plain site: every route an ordinary HTML page at its own path, linked
//! with ordinary hrefs, readable without JavaScript. One writer for the three
//! callers that publish it: the public training site (`build --only
//! training`, into the build's staging folder), `restore` (the decrypted pages,
//! into a private staging folder) and `serve` (in memory, nothing on disk).
//! Where the files go is the caller's [`Target`].

use crate::i18n::Wording;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use rayon::prelude::*;

use super::output::Hashed;
use super::{Staging, Written};
use crate::render::{self, rows, Engine, Page, Site, Theme};
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
                .map_err(|e| write_failed(path, e)),
            Target::Memory(site) => {
                use sha2::{Digest, Sha256};
                let hash = Sha256::digest(bytes).into();
                super::lock(&site.files).insert(path.to_string(), bytes.to_vec());
                Ok(hash)
            }
        }
    }
}

impl Target<'_> {
    /// Puts one file at `path`, written by `fill` as it is made (restore
    /// writes an index page's rows shard by shard, never the whole page in
    /// memory), and returns its SHA-256. `fill`'s write errors are worded by
    /// [`write_failed`].
    pub fn write_with(
        &self,
        path: &str,
        fill: impl FnOnce(&mut dyn Write) -> Result<(), Wording>,
    ) -> Result<[u8; 32], Wording> {
        match self {
            Target::Disk { staging, prefix } => {
                let file = staging
                    .create(&format!("{prefix}{path}"))
                    .map_err(|e| write_failed(path, e))?;
                let mut out = Hashed::new(io::BufWriter::with_capacity(1 << 16, file));
                fill(&mut out)?;
                let (buffered, hash) = out.finish();
                buffered
                    .into_inner()
                    .map_err(|e| write_failed(path, e.into_error()))?;
                Ok(hash)
            }
            Target::Memory(_) => {
                let mut bytes = Vec::new();
                fill(&mut bytes)?;
                self.write(path, &bytes)
            }
        }
    }
}

/// A write into the site's file `path` failed.
pub fn write_failed(path: &str, e: io::Error) -> Wording {
    Wording::io_at("err_write", std::path::Path::new(path), &e)
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

/// What every standalone page of a plain site is laid out with.
pub(crate) struct Frame<'a> {
    pub engine: &'a Engine,
    /// The navigation (hash routes; relinked per page).
    pub nav: &'a str,
    pub title: &'a str,
    /// The browser's storage id (checklist ticks, quiz progress).
    pub site_id: &'a str,
}

impl Frame<'_> {
    fn standalone(&self, page: &Page) -> Result<String, Wording> {
        self.engine
            .standalone(page, self.nav, self.title, self.site_id)
            .map_err(Wording::from)
    }
}

/// One standalone HTML file per page (`route_file`), in parallel.
pub(crate) fn write_pages(
    pages: &[Page],
    frame: &Frame,
    target: &Target,
) -> Result<Vec<Written>, Wording> {
    pages
        .par_iter()
        .map(|page| {
            let html = frame.standalone(page)?;
            let path = render::route_file(&page.route);
            let sha256 = target.write(&path, html.as_bytes())?;
            Ok(Written { path, sha256 })
        })
        .collect()
}

/// One standalone page of a stripped page (its tables without rows), each
/// table's rows written in where they belong ([`rows::rows_at`]) by
/// `write_rows(name, out)`: restore writes a table of 100,000 rows this way,
/// a shard at a time, never the whole page in memory. The rows must be
/// relinked for the page's folder ([`render::route_depth`]) as the rest is.
pub(crate) fn write_page_with_rows<'n>(
    page: &Page,
    tables: impl IntoIterator<Item = &'n str>,
    frame: &Frame,
    target: &Target,
    mut write_rows: impl FnMut(&str, &mut dyn Write) -> Result<(), Wording>,
) -> Result<Written, Wording> {
    let html = frame.standalone(page)?;
    let path = render::route_file(&page.route);
    let mut places: Vec<(usize, &str)> = Vec::new();
    for name in tables {
        let at = rows::rows_at(&html, name).ok_or_else(|| {
            Wording::internal(format!("page {} has no place for table {name}", page.route))
        })?;
        places.push((at, name));
    }
    places.sort_unstable();
    let html = html.as_bytes();
    let sha256 = target.write_with(&path, |out| {
        let mut from = 0;
        for (at, name) in places {
            out.write_all(&html[from..at])
                .map_err(|e| write_failed(&path, e))?;
            write_rows(name, out)?;
            from = at;
        }
        out.write_all(&html[from..])
            .map_err(|e| write_failed(&path, e))
    })?;
    Ok(Written { path, sha256 })
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
    let frame = Frame {
        engine,
        nav: &site.nav,
        title: &site.title,
        site_id,
    };
    let mut written = write_pages(&site.pages, &frame, target)?;
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
    let frame = Frame {
        engine,
        nav: &site.nav,
        title: &site.title,
        site_id: PREVIEW_SITE_ID,
    };
    write_pages(&site.pages, &frame, &target)?;
    for export in &site.exports {
        target.write(&export.path, &export.bytes)?;
    }
    write_static(theme, &target)?;
    Ok(memory)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room::Language;

    #[test]
    fn a_page_with_rows_written_in_is_the_page_laid_out_whole() {
        let theme = Theme::load(&[]);
        let engine = Engine::new(&theme, Language::ZhCn).expect("engine");
        let stripped = concat!(
            r#"<h1>客户</h1><table><tbody data-rows="a"></tbody></table>"#,
            r##"<p><a href="#/handover/checklist">清单</a></p>"##,
            r#"<ul data-rows="b"></ul>"#
        );
        let rows_of = |name: &str| match name {
            "a" => r##"<tr><td><a href="#/clients/HX-1">HX-1</a></td></tr>"##,
            _ => "<li>二</li>",
        };
        let whole = [("a", rows_of("a")), ("b", rows_of("b"))]
            .into_iter()
            .fold(stripped.to_string(), |html, (name, rows)| {
                rows::inline_html(&html, name, rows).expect("placed")
            });
        let page = |html: &str| Page::plain("clients".into(), "客户".into(), html.into());
        let memory = MemorySite::default();
        let target = Target::Memory(&memory);
        // Tables named in another order than the page has them.
        let frame = Frame {
            engine: &engine,
            nav: "",
            title: "数据室",
            site_id: "site",
        };
        let written =
            write_page_with_rows(&page(stripped), ["b", "a"], &frame, &target, |name, out| {
                let relinked = render::relink(rows_of(name), 0);
                out.write_all(relinked.as_bytes())
                    .map_err(|e| write_failed(name, e))
            })
            .expect("written");
        let missing = write_page_with_rows(&page(stripped), ["c"], &frame, &target, |_, _| Ok(()));
        assert!(missing.is_err(), "a table the page has no place for");
        let laid_out = frame.standalone(&page(&whole)).expect("laid out");
        let mut memory = memory;
        let Some(Body::Bytes(streamed)) = memory.get("clients.html") else {
            panic!("no clients.html");
        };
        assert_eq!(String::from_utf8_lossy(streamed), laid_out);
        assert!(
            laid_out.contains(r#"href="clients/HX-1.html""#),
            "{laid_out}"
        );
        use sha2::{Digest, Sha256};
        assert_eq!(written.sha256, <[u8; 32]>::from(Sha256::digest(streamed)));
    }
}
