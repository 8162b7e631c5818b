//! Step 4, **seal**, for a whole site: pages (in packs), attachments, exports
//! and the encrypted index become payloads; the shell, the theme's static files
//! and the public header are the only plaintext.

use crate::i18n::Wording;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::routemap::{self, RouteMapRef};
use super::rows;
use super::stream::{Gzipped, Pages};
use super::{PayloadMeta, Sealer, GATE_META, INDEX_META};
use crate::publish::plain::{write_static, Target};
use crate::publish::{Staging, Written};
use crate::render::{Engine, Site, Theme};
use crate::room::model::Attachment;
use crate::search::{SearchRef, SearchSize, SearchSource, ShardName};

/// The encrypted index: every route's payload and title, every file's payload.
#[derive(Serialize, Deserialize, Default)]
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
    /// This view's search index: its key and shards (`crate::search`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<SearchRef>,
    /// The index tables of pages (by route) whose rows are sealed data (`rows.rs`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tables: rows::Tables,
    /// Where the record pages (`clients/<id>`) are: not in `routes` but in
    /// sealed map shards (`routemap.rs`), so the index stays small.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map: Option<RouteMapRef>,
}

/// The gate payload ([`super::GATE_META`]): opened right after unlock, before
/// the index, so nothing about clients is decrypted until the NDA is accepted.
#[derive(Serialize, Deserialize, Default, Clone)]
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

#[derive(Serialize, Deserialize, Clone)]
pub struct NdaText {
    pub title: String,
    /// Rendered from the room's own Markdown (`nda:` path).
    pub html: String,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
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

/// What one key slot opens: one reader's (one audience's) rendered site, the
/// attachments it shows, and what its gate and index say about it.
pub struct View<'a> {
    pub password: &'a str,
    /// The site's title, navigation and exports (its pages are in `pages`).
    pub site: &'a Site,
    /// The pages, rendered as they are sealed ([`super::stream`]).
    pub pages: &'a dyn Pages,
    pub attachments: Vec<&'a Attachment>,
    /// The audience's name, shown to it only.
    pub audience: Option<String>,
    /// Route prefixes of the sections this view does not see.
    pub denied: Vec<String>,
    pub gate: Option<Gate>,
    /// What this view's search finds (built and sealed for this view alone
    /// when the seal gets to it).
    pub search: Option<SearchSource<'a>>,
}

/// What [`seal_site`] wrote.
pub struct Sealed {
    pub written: Vec<Written>,
    /// Distinct page routes over all views.
    pub pages: usize,
    /// Every view's search index together.
    pub search: SearchSize,
}

impl View<'_> {
    /// Export `n` of this view: the site's own exports first (already made),
    /// then those its pages make on demand.
    fn export(&self, n: usize) -> Option<Result<Gzipped, Wording>> {
        match self.site.exports.get(n) {
            Some(e) => Some(Gzipped::write(&e.path, e.mime, |out| {
                out.write_all(&e.bytes)
            })),
            None => self.pages.export(n - self.site.exports.len()),
        }
    }
}

/// The readers (view numbers) of one distinct payload.
pub(crate) type Readers = BTreeSet<usize>;

/// Distinct contents in first-seen order, each with the views that show it:
/// content identical for several views is sealed once.
pub(super) struct Distinct<K, T> {
    pub(super) at: HashMap<K, usize>,
    pub(super) items: Vec<(T, Readers)>,
}

impl<K: std::hash::Hash + Eq, T> Distinct<K, T> {
    pub(super) fn new() -> Self {
        Distinct {
            at: HashMap::new(),
            items: Vec::new(),
        }
    }

    /// Records that `view` shows `item` (known by `key`); returns its number.
    pub(super) fn add(&mut self, key: K, item: T, view: usize) -> usize {
        let n = *self.at.entry(key).or_insert_with(|| {
            self.items.push((item, Readers::new()));
            self.items.len() - 1
        });
        self.items[n].1.insert(view);
        n
    }
}

/// The seal plan: which content key encrypts which payload (one key per
/// distinct set of readers), and which keys each slot holds (every set that
/// includes its view). A key is made when the plan first meets its set of
/// readers, so pages can be sealed as they are rendered.
#[derive(Default)]
pub struct SealPlan {
    kid_of: BTreeMap<Readers, String>,
}

impl SealPlan {
    /// The key of `readers`, made (and wrapped into exactly their slots) the first time.
    pub(crate) fn key_for(&mut self, readers: &Readers, sealer: &mut Sealer) -> &str {
        let next = self.kid_of.len();
        self.kid_of.entry(readers.clone()).or_insert_with(|| {
            let kid = format!("k{next}");
            sealer.add_key(&kid, &readers.iter().copied().collect::<Vec<_>>());
            kid
        })
    }

    fn kid(&self, readers: &Readers) -> Result<&str, Wording> {
        self.kid_of
            .get(readers)
            .map(String::as_str)
            .ok_or_else(|| Wording::internal("the seal plan has no key for a payload's readers"))
    }
}

/// Step 4, **seal**: every page, attachment and export becomes an encrypted
/// payload under an opaque name; only the shell, the theme's static files and
/// the public header are plaintext. Each view gets its own key slot; contents
/// several views show are sealed once, under a key every one of their slots holds.
#[allow(clippy::too_many_arguments)]
pub(crate) fn seal_site(
    views: &[View],
    theme: &Theme,
    engine: &Engine,
    iterations: u32,
    public_title: &str,
    site_id: &str,
    state_secret: &[u8; 32],
    staging: &Staging,
    progress: &indicatif::ProgressBar,
) -> Result<Sealed, Wording> {
    let mut files: Distinct<&str, &Attachment> = Distinct::new();
    let mut file_of: Vec<Vec<usize>> = Vec::new();
    for (v, view) in views.iter().enumerate() {
        file_of.push(
            view.attachments
                .iter()
                .map(|a| files.add(&a.path, *a, v))
                .collect(),
        );
    }
    let new_ids = |n: usize| -> Vec<String> { (0..n).map(|_| Sealer::new_id()).collect() };
    let file_ids = new_ids(files.items.len());

    let passwords: Vec<&str> = views.iter().map(|v| v.password).collect();
    let mut sealer = Sealer::with_slots(&passwords, iterations);
    sealer.set_site(site_id.to_string());
    let mut plan = SealPlan::default();
    let site_files = Target::Disk {
        staging,
        prefix: "site/",
    };
    let write_payload = |id: &str, payload: &[u8]| -> Result<Written, Wording> {
        let path = payload_path(id);
        let sha256 = site_files.write(&path, payload)?;
        Ok(Written { path, sha256 })
    };

    // Pages are small: they are sealed one by one but stored in packs, so a
    // room of 10,000 clients is a few hundred files (quick to write and to copy
    // to a USB stick), while each page still decrypts on its own. They are
    // rendered, sealed and written as a stream (bounded memory); see stream.rs.
    let page_sources: Vec<&dyn Pages> = views.iter().map(|v| v.pages).collect();
    let streamed = super::stream::seal_pages(
        &page_sources,
        &mut plan,
        &mut sealer,
        super::stream::BOUNDS,
        progress,
        &write_payload,
    )?;
    let page_count = streamed.pages;
    let mut written = streamed.written;

    // Each view's search index is built, sealed for that view alone (its own
    // key) and dropped before the next: never every view's index at once.
    let mut search_refs: Vec<Option<SearchRef>> = Vec::new();
    let mut search_size = SearchSize::default();
    for (v, view) in views.iter().enumerate() {
        let Some(source) = &view.search else {
            search_refs.push(None);
            continue;
        };
        let kid = plan.key_for(&Readers::from([v]), &mut sealer).to_string();
        let (search_ref, shards) = seal_search(source, &kid, &sealer, &write_payload)?;
        search_size.add_streamed(&shards);
        written.extend(shards.terms.into_iter().chain(shards.docs));
        search_refs.push(Some(search_ref));
    }

    // Exports one at a time (clients.json alone is tens of MB at 10,000
    // clients): made for every view, deduplicated, sealed, written, dropped.
    let mut export_entries: Vec<Vec<(String, FileEntry)>> =
        views.iter().map(|_| Vec::new()).collect();
    for n in 0.. {
        let mut made: Vec<Option<Gzipped>> = views
            .iter()
            .map(|v| v.export(n).transpose())
            .collect::<Result<_, Wording>>()?;
        if made.iter().all(Option::is_none) {
            break;
        }
        // Each distinct export by the first view that made it.
        let mut distinct: Distinct<(&str, &[u8]), usize> = Distinct::new();
        let number: Vec<Option<usize>> = made
            .iter()
            .enumerate()
            .map(|(v, e)| {
                e.as_ref()
                    .map(|e| distinct.add((&e.path, e.gzipped()), v, v))
            })
            .collect();
        let ids = new_ids(distinct.items.len());
        for ((entries, e), n) in export_entries.iter_mut().zip(&made).zip(&number) {
            if let (Some(e), Some(n)) = (e, n) {
                entries.push((
                    e.path.clone(),
                    FileEntry {
                        p: ids[*n].clone(),
                        f: None,
                        name: export_name(&e.path).to_string(),
                        mime: e.mime.into(),
                        size: e.len,
                    },
                ));
            }
        }
        for ((v, readers), id) in distinct.items.into_iter().zip(&ids) {
            let Some(e) = made[v].take() else { continue };
            let kid = plan.key_for(&readers, &mut sealer).to_string();
            // The export is moved into its sealing: its name is copied first.
            let export_path = e.path.clone();
            let meta = PayloadMeta {
                content_type: e.mime,
                name: export_name(&export_path),
            };
            // Sealed where it was gzipped and written into its file as it is
            // encoded; then dropped: one at a time.
            let path = payload_path(id);
            let sha256 = site_files.write_with(&path, |out| {
                e.seal_into(&sealer, id, &kid, &meta, out)
                    .map_err(|e| e.worded(&path))
            })?;
            written.push(Written { path, sha256 });
        }
    }

    // Each view's index (and gate) is built from the ids, then sealed once
    // per distinct content too: views that see the same room share one.
    let mut indexes: Distinct<Vec<u8>, ()> = Distinct::new();
    let mut gates: Distinct<Vec<u8>, ()> = Distinct::new();
    let mut index_of = Vec::new();
    let mut gate_of = Vec::new();
    let per_view = streamed.routes.into_iter().zip(streamed.tables);
    for ((((v, view), (routes, tables)), search), exported) in views
        .iter()
        .enumerate()
        .zip(per_view)
        .zip(search_refs)
        .zip(export_entries)
    {
        // Record pages (`clients/<id>`) go in the view's route map, sealed for it alone.
        let mut routes = routes;
        let map = match routemap::split(&mut routes, &tables)? {
            Some(map) => {
                let kid = plan.key_for(&Readers::from([v]), &mut sealer).to_string();
                written.extend(routemap::seal(&map, &kid, &sealer, &write_payload)?);
                Some(map.reference)
            }
            None => None,
        };
        let mut index = SealedIndex {
            title: view.site.title.clone(),
            lang: view.site.lang.code().into(),
            home: "index".into(),
            nav: view.site.nav.clone(),
            routes,
            files: BTreeMap::new(),
            state: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, state_secret),
            audience: view.audience.clone(),
            denied: view.denied.clone(),
            search,
            tables,
            map,
        };
        for (a, &n) in view.attachments.iter().zip(&file_of[v]) {
            index.files.insert(
                a.path.clone(),
                FileEntry {
                    p: file_ids[n].clone(),
                    f: None,
                    name: a.file_name().into(),
                    mime: mime_of(&a.path).into(),
                    size: a.size,
                },
            );
        }
        index.files.extend(exported);
        let json = serde_json::to_vec(&index).map_err(|e| Wording::internal(e.to_string()))?;
        drop(index);
        index_of.push(indexes.add(json, (), v));
        if let Some(gate) = &view.gate {
            let json = serde_json::to_vec(gate).map_err(|e| Wording::internal(e.to_string()))?;
            gate_of.push(Some(gates.add(json, (), v)));
        } else {
            gate_of.push(None);
        }
    }
    let index_ids = new_ids(indexes.at.len());
    let gate_ids = new_ids(gates.at.len());
    let index_json: Vec<(&Vec<u8>, &Readers)> = by_number(&indexes);
    let gate_json: Vec<(&Vec<u8>, &Readers)> = by_number(&gates);

    // Every other payload's key exists before they are sealed in parallel.
    for readers in files
        .items
        .iter()
        .map(|(_, r)| r)
        .chain(index_json.iter().map(|(_, r)| *r))
        .chain(gate_json.iter().map(|(_, r)| *r))
    {
        plan.key_for(readers, &mut sealer);
    }
    progress.inc_length((files.items.len() + index_json.len() + gate_json.len()) as u64);
    let sealed = |id: &str, readers: &Readers, bytes: &[u8], z: bool, meta: &PayloadMeta| {
        let kid = plan.kid(readers)?;
        progress.inc(1);
        sealer.seal(id, kid, bytes, z, meta).map_err(Wording::from)
    };
    let sealed_files: Vec<Written> = files
        .items
        .par_iter()
        .zip(&file_ids)
        .map(|((a, readers), id)| {
            let bytes = std::fs::read(&a.abs_path)
                .map_err(|e| Wording::io_at("err_read", &a.abs_path, &e))?;
            let meta = PayloadMeta {
                content_type: mime_of(&a.path),
                name: a.file_name(),
            };
            write_payload(
                id,
                &sealed(id, readers, &bytes, compresses(&a.path), &meta)?,
            )
        })
        .collect::<Result<_, Wording>>()?;
    written.extend(sealed_files);
    // The index is stored uncompressed: it is mostly random payload ids, so its
    // gzip size varies from build to build, and near a size bucket's edge its
    // padded size would flip between builds of the same room.
    for ((json, readers), id) in index_json.iter().zip(&index_ids) {
        written.push(write_payload(
            id,
            &sealed(id, readers, json, false, &INDEX_META)?,
        )?);
    }
    for ((json, readers), id) in gate_json.iter().zip(&gate_ids) {
        written.push(write_payload(
            id,
            &sealed(id, readers, json, true, &GATE_META)?,
        )?);
    }

    // One index (gate) every slot opens is named once in the header; else
    // each slot names its own.
    let shared_index = index_ids.len() == 1;
    let shared_gate = gate_ids.len() == 1 && gate_of.iter().all(Option::is_some);
    let shared = (
        if shared_index {
            index_ids[0].clone()
        } else {
            String::new()
        },
        if shared_gate {
            gate_ids[0].clone()
        } else {
            String::new()
        },
    );
    let per_slot: Vec<(String, String)> = (0..views.len())
        .map(|v| {
            let index = if shared_index {
                String::new()
            } else {
                index_ids[index_of[v]].clone()
            };
            let gate = match gate_of[v] {
                Some(n) if !shared_gate => gate_ids[n].clone(),
                _ => String::new(),
            };
            (index, gate)
        })
        .collect();
    let header = sealer.header_js_per_slot(shared, per_slot);
    written.push(Written {
        path: "data/header.js".into(),
        sha256: site_files.write("data/header.js", &header)?,
    });
    let shell = engine.shell(public_title).map_err(Wording::from)?;
    written.push(Written {
        path: "index.html".into(),
        sha256: site_files.write("index.html", shell.as_bytes())?,
    });
    written.extend(write_static(theme, &site_files)?);
    Ok(Sealed {
        written,
        pages: page_count,
        search: search_size,
    })
}

/// Builds one view's search index and seals its shards under `kid` as they
/// are made (term and doc shards, each a file of its own so a query loads
/// only the ones it needs), writing each; returns what the view's index says
/// about them, and the files written.
fn seal_search(
    source: &SearchSource,
    kid: &str,
    sealer: &Sealer,
    write_payload: &super::stream::WritePack,
) -> Result<(SearchRef, crate::search::Streamed<Written>), Wording> {
    let seal = |name: ShardName, json: Vec<u8>| -> Result<(String, Written), Wording> {
        let id = Sealer::new_id();
        let written = super::stream::seal_json_shard(
            sealer,
            kid,
            &id,
            &name.payload_name(),
            &json,
            write_payload,
        )?;
        Ok((id, written))
    };
    let built = source.stream(&seal)?;
    let (terms, terms_written): (Vec<String>, Vec<Written>) = built.terms.into_iter().unzip();
    let (docs, docs_written): (Vec<String>, Vec<Written>) = built.docs.into_iter().unzip();
    let search_ref = SearchRef {
        key: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, built.key),
        terms,
        docs,
        per: crate::search::DOCS_PER_SHARD,
        count: built.doc_count,
        groups: built.groups.clone(),
    };
    let written = crate::search::Streamed {
        key: built.key,
        terms: terms_written,
        docs: docs_written,
        doc_count: built.doc_count,
        groups: built.groups,
        bytes: built.bytes,
    };
    Ok((search_ref, written))
}

/// Where payload `id` is written in `site/`.
fn payload_path(id: &str) -> String {
    format!("data/{id}.js")
}

/// A content-keyed [`Distinct`]'s contents in number order.
fn by_number<T: Sync>(d: &Distinct<Vec<u8>, T>) -> Vec<(&Vec<u8>, &Readers)> {
    let mut out: Vec<(usize, &Vec<u8>)> = d.at.iter().map(|(k, &n)| (n, k)).collect();
    out.sort_by_key(|(n, _)| *n);
    out.into_iter().map(|(n, k)| (k, &d.items[n].1)).collect()
}
