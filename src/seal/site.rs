//! Step 4, **seal**, for a whole site: pages (in packs), attachments, exports
//! and the encrypted index become payloads; the shell, the theme's static files
//! and the public header are the only plaintext.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::rows::{self, RowShards, ROWS_META};
use super::{Audience, PayloadMeta, Sealer, GATE_META, INDEX_META, PAGE_TYPE};
use crate::publish::plain::{write_static, Target};
use crate::publish::{Staging, Written};
use crate::render::{Engine, Export, Page, Site, Theme};
use crate::room::model::Attachment;
use crate::search::{doc_shard_name, term_shard_name, SearchIndex, SearchRef};

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
    /// This view's search index: its key and shards (`crate::search`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<SearchRef>,
    /// The index tables of pages (by route) whose rows are sealed data (`rows.rs`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tables: rows::Tables,
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

/// What one key slot opens: one reader's (one audience's) rendered site, the
/// attachments it shows, and what its gate and index say about it.
pub struct View<'a> {
    pub password: &'a str,
    pub site: &'a Site,
    pub attachments: Vec<&'a Attachment>,
    /// The audience's name, shown to it only.
    pub audience: Option<String>,
    /// Route prefixes of the sections this view does not see.
    pub denied: Vec<String>,
    pub gate: Option<Gate>,
    /// What this view's search finds (sealed for this view alone).
    pub search: Option<SearchIndex>,
}

/// The readers (view numbers) of one distinct payload.
pub(super) type Readers = BTreeSet<usize>;

/// Distinct contents in first-seen order, each with the views that show it:
/// content identical for several views is sealed once.
pub(super) struct Distinct<K, T> {
    at: HashMap<K, usize>,
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
/// includes its view).
pub struct SealPlan {
    kid_of: BTreeMap<Readers, String>,
}

impl SealPlan {
    fn new<'r>(sets: impl IntoIterator<Item = &'r Readers>) -> SealPlan {
        let distinct: BTreeSet<&Readers> = sets.into_iter().collect();
        SealPlan {
            kid_of: distinct
                .into_iter()
                .enumerate()
                .map(|(n, r)| (r.clone(), format!("k{n}")))
                .collect(),
        }
    }

    fn kid(&self, readers: &Readers) -> Result<&str, String> {
        self.kid_of
            .get(readers)
            .map(String::as_str)
            .ok_or_else(|| "the seal plan has no key for a payload's readers".to_string())
    }

    /// The keys view `view`'s slot holds.
    pub fn slot_kids(&self, view: usize) -> Vec<String> {
        self.kid_of
            .iter()
            .filter(|(readers, _)| readers.contains(&view))
            .map(|(_, kid)| kid.clone())
            .collect()
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
) -> Result<Vec<Written>, String> {
    // Pages are sealed without their index tables' rows, which are data of their own.
    let page_html: Vec<Vec<std::borrow::Cow<str>>> = views
        .iter()
        .map(|view| view.site.pages.iter().map(rows::sealed_html).collect())
        .collect();
    let mut pages: Distinct<(&str, &str), (&Page, &str)> = Distinct::new();
    let mut files: Distinct<&str, &Attachment> = Distinct::new();
    let mut exports: Distinct<(&str, &[u8]), &Export> = Distinct::new();
    let mut page_of: Vec<Vec<usize>> = Vec::new();
    let mut file_of: Vec<Vec<usize>> = Vec::new();
    let mut export_of: Vec<Vec<usize>> = Vec::new();
    for (v, view) in views.iter().enumerate() {
        page_of.push(
            view.site
                .pages
                .iter()
                .zip(&page_html[v])
                .map(|(p, html)| pages.add((&p.route, html), (p, html), v))
                .collect(),
        );
        file_of.push(
            view.attachments
                .iter()
                .map(|a| files.add(&a.path, *a, v))
                .collect(),
        );
        export_of.push(
            view.site
                .exports
                .iter()
                .map(|e| exports.add((&e.path, &e.bytes), e, v))
                .collect(),
        );
    }
    let new_ids = |n: usize| -> Vec<String> { (0..n).map(|_| Sealer::new_id()).collect() };
    let page_ids = new_ids(pages.items.len());
    let file_ids = new_ids(files.items.len());
    let export_ids = new_ids(exports.items.len());

    // Pages are small: they are sealed one by one but stored in packs, so a
    // room of 10,000 clients is a few hundred files (quick to write and to copy
    // to a USB stick), while each page still decrypts on its own. Packs are
    // filled in random order and padded with filler payloads to a fixed count,
    // so neither a pack's position nor its size points to particular clients.
    let mut page_order: Vec<usize> = (0..pages.items.len()).collect();
    page_order.shuffle(&mut rand::rngs::OsRng);
    let packs: Vec<(String, Vec<usize>)> = page_order
        .chunks(PACK_PAYLOADS)
        .map(|chunk| (Sealer::new_id(), chunk.to_vec()))
        .collect();
    let mut pack_of_page: Vec<&str> = vec![""; pages.items.len()];
    for (pack_id, members) in &packs {
        for &i in members {
            pack_of_page[i] = pack_id;
        }
    }

    // Each view's index (and gate) is built from the ids, then sealed once
    // per distinct content too: views that see the same room share one.
    // Each view's search shards: for that view alone (its own key).
    let search_ids: Vec<Option<(Vec<String>, Vec<String>)>> = views
        .iter()
        .map(|v| {
            v.search
                .as_ref()
                .map(|s| (new_ids(s.terms.len()), new_ids(s.docs.len())))
        })
        .collect();
    let only_view: Vec<Readers> = (0..views.len()).map(|v| Readers::from([v])).collect();

    let mut indexes: Distinct<Vec<u8>, ()> = Distinct::new();
    let mut gates: Distinct<Vec<u8>, ()> = Distinct::new();
    let mut row_shards = RowShards::new();
    let mut index_of = Vec::new();
    let mut gate_of = Vec::new();
    for (v, view) in views.iter().enumerate() {
        let mut index = SealedIndex {
            title: view.site.title.clone(),
            lang: view.site.lang.code().into(),
            home: "index".into(),
            nav: view.site.nav.clone(),
            routes: BTreeMap::new(),
            files: BTreeMap::new(),
            state: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, state_secret),
            audience: view.audience.clone(),
            denied: view.denied.clone(),
            search: view
                .search
                .as_ref()
                .zip(search_ids[v].as_ref())
                .map(|(s, (terms, docs))| SearchRef {
                    key: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, s.key),
                    terms: terms.clone(),
                    docs: docs.clone(),
                    per: crate::search::DOCS_PER_SHARD,
                    count: s.doc_count,
                    groups: s.groups.clone(),
                }),
            tables: rows::Tables::new(),
        };
        for (page, &n) in view.site.pages.iter().zip(&page_of[v]) {
            index.routes.insert(
                page.route.clone(),
                RouteEntry {
                    p: page_ids[n].clone(),
                    t: page.title.clone(),
                    f: Some(pack_of_page[n].to_string()),
                },
            );
            if !page.tables.is_empty() {
                let tables = row_shards.add(v, page)?;
                index.tables.insert(page.route.clone(), tables);
            }
        }
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
        for (e, &n) in view.site.exports.iter().zip(&export_of[v]) {
            index.files.insert(
                e.path.clone(),
                FileEntry {
                    p: export_ids[n].clone(),
                    f: None,
                    name: export_name(&e.path).to_string(),
                    mime: e.mime.into(),
                    size: e.bytes.len() as u64,
                },
            );
        }
        let json = serde_json::to_vec(&index).map_err(|e| e.to_string())?;
        index_of.push(indexes.add(json, (), v));
        if let Some(gate) = &view.gate {
            let json = serde_json::to_vec(gate).map_err(|e| e.to_string())?;
            gate_of.push(Some(gates.add(json, (), v)));
        } else {
            gate_of.push(None);
        }
    }
    let index_ids = new_ids(indexes.at.len());
    let gate_ids = new_ids(gates.at.len());
    let index_json: Vec<(&Vec<u8>, &Readers)> = by_number(&indexes);
    let gate_json: Vec<(&Vec<u8>, &Readers)> = by_number(&gates);

    let plan = SealPlan::new(
        pages
            .items
            .iter()
            .map(|(_, r)| r)
            .chain(files.items.iter().map(|(_, r)| r))
            .chain(exports.items.iter().map(|(_, r)| r))
            .chain(index_json.iter().map(|(_, r)| *r))
            .chain(gate_json.iter().map(|(_, r)| *r))
            .chain(
                only_view
                    .iter()
                    .zip(&search_ids)
                    .filter(|(_, ids)| ids.is_some())
                    .map(|(r, _)| r),
            )
            .chain(row_shards.shards.items.iter().map(|(_, r)| r)),
    );
    let slots: Vec<Audience> = views
        .iter()
        .enumerate()
        .map(|(v, view)| Audience {
            password: view.password,
            kids: plan.slot_kids(v),
        })
        .collect();
    let mut sealer = Sealer::with_audiences(&slots, iterations);
    sealer.set_site(site_id.to_string());
    let total =
        pages.items.len() + files.items.len() + exports.items.len() + row_shards.shards.items.len();
    progress.set_length(total as u64);
    let write_payload = |id: &str, payload: &[u8]| -> Result<Written, String> {
        let path = format!("data/{id}.js");
        let sha256 = staging
            .write(&format!("site/{path}"), payload)
            .map_err(|e| format!("cannot write {path}: {e}"))?;
        progress.inc(1);
        Ok(Written { path, sha256 })
    };
    let sealed = |id: &str, readers: &Readers, bytes: &[u8], z: bool, meta: &PayloadMeta| {
        let kid = plan.kid(readers)?;
        sealer
            .seal(id, kid, bytes, z, meta)
            .map_err(|e| e.to_string())
    };

    let mut written: Vec<Written> = packs
        .par_iter()
        .map(|(pack_id, members)| {
            let mut lines: Vec<Vec<u8>> = members
                .iter()
                .map(|&i| {
                    let ((page, html), readers) = &pages.items[i];
                    let meta = PayloadMeta {
                        content_type: PAGE_TYPE,
                        name: &page.route,
                    };
                    sealed(&page_ids[i], readers, html.as_bytes(), true, &meta)
                })
                .collect::<Result<_, String>>()?;
            let filler_kid = plan.kid(&pages.items[members[0]].1)?;
            while lines.len() < PACK_PAYLOADS {
                lines.push(sealer.seal_filler(filler_kid).map_err(|e| e.to_string())?);
            }
            lines.shuffle(&mut rand::rngs::OsRng);
            let w = write_payload(pack_id, &lines.concat())?;
            progress.inc((members.len() as u64).saturating_sub(1));
            Ok(w)
        })
        .collect::<Result<_, String>>()?;
    let sealed_files: Vec<Written> = files
        .items
        .par_iter()
        .zip(&file_ids)
        .map(|((a, readers), id)| {
            let bytes =
                std::fs::read(&a.abs_path).map_err(|e| format!("cannot read {}: {e}", a.path))?;
            let meta = PayloadMeta {
                content_type: mime_of(&a.path),
                name: a.file_name(),
            };
            write_payload(
                id,
                &sealed(id, readers, &bytes, compresses(&a.path), &meta)?,
            )
        })
        .collect::<Result<_, String>>()?;
    written.extend(sealed_files);
    let sealed_exports: Vec<Written> = exports
        .items
        .par_iter()
        .zip(&export_ids)
        .map(|((e, readers), id)| {
            let meta = PayloadMeta {
                content_type: e.mime,
                name: export_name(&e.path),
            };
            write_payload(id, &sealed(id, readers, &e.bytes, true, &meta)?)
        })
        .collect::<Result<_, String>>()?;
    written.extend(sealed_exports);
    let sealed_shards: Vec<Written> = by_number(&row_shards.shards)
        .into_par_iter()
        .map(|(json, readers)| {
            let id = &row_shards.shards.items[row_shards.shards.at[json]].0;
            write_payload(id, &sealed(id, readers, json, true, &ROWS_META)?)
        })
        .collect::<Result<_, String>>()?;
    written.extend(sealed_shards);
    // The index is stored uncompressed: it is mostly random payload ids, so its
    // gzip size varies from build to build, and near a size bucket's edge its
    // padded size would flip between builds of the same room.
    for ((json, readers), id) in index_json.iter().zip(&index_ids) {
        written.push(write_payload(
            id,
            &sealed(id, readers, json, false, &INDEX_META)?,
        )?);
    }
    written.extend(seal_search(
        views,
        &search_ids,
        &only_view,
        |id, readers, json, name| {
            let meta = PayloadMeta {
                content_type: "application/json",
                name,
            };
            write_payload(id, &sealed(id, readers, json, true, &meta)?)
        },
    )?);
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

/// Seals every view's search shards (term and doc shards, each a file of its
/// own so a query loads only the ones it needs) with `seal_one(id, readers,
/// json, name)`.
fn seal_search(
    views: &[View],
    ids: &[Option<(Vec<String>, Vec<String>)>],
    only_view: &[Readers],
    seal_one: impl Fn(&str, &Readers, &[u8], &str) -> Result<Written, String> + Sync,
) -> Result<Vec<Written>, String> {
    let mut jobs: Vec<(&str, &Readers, &[u8], String)> = Vec::new();
    for ((view, ids), readers) in views.iter().zip(ids).zip(only_view) {
        let (Some(search), Some((term_ids, doc_ids))) = (&view.search, ids) else {
            continue;
        };
        for (n, (json, id)) in search.terms.iter().zip(term_ids).enumerate() {
            jobs.push((id, readers, json, term_shard_name(n)));
        }
        for (n, (json, id)) in search.docs.iter().zip(doc_ids).enumerate() {
            jobs.push((id, readers, json, doc_shard_name(n)));
        }
    }
    jobs.par_iter()
        .map(|(id, readers, json, name)| seal_one(id, readers, json, name))
        .collect()
}

/// A content-keyed [`Distinct`]'s contents in number order.
fn by_number<T: Sync>(d: &Distinct<Vec<u8>, T>) -> Vec<(&Vec<u8>, &Readers)> {
    let mut out: Vec<(usize, &Vec<u8>)> = d.at.iter().map(|(k, &n)| (n, k)).collect();
    out.sort_by_key(|(n, _)| *n);
    out.into_iter().map(|(n, k)| (k, &d.items[n].1)).collect()
}
