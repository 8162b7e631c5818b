//! `dataroom restore`: the backup/restore drill (恢复演练). Verify first, refuse
//! anything tampered, then decrypt every page and attachment into ordinary files;
//! `--compare` renders the source afresh and compares byte for byte.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Mutex;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::plain::{write_failed, write_page_with_rows, write_pages, write_static, Frame, Target};
use super::verify::SiteFiles;
use super::{lock, Staging};
use crate::audiences::Audience;
use crate::i18n::Wording;
use crate::render::audience::room_for;
use crate::render::registry::Sees;
use crate::render::{self, Engine, Selection, Theme};
use crate::room::DocKind;
use crate::seal::site::SealedIndex;
use crate::{check, room, seal, Diagnostic};

pub struct RestoreReport {
    pub verify: super::verify::Report,
    pub pages: usize,
    pub files: usize,
    /// `--compare`: every record, document and attachment that differs.
    pub differences: Vec<Difference>,
    /// `--compare`: pages and exports that differ only because they show the
    /// records above (lists, handover documents).
    pub follow_on: usize,
}

/// `dataroom restore`: verify, refuse if tampered, decrypt everything into an
/// ordinary folder of HTML pages and original files, optionally compare with the source.
pub fn restore(
    target: &Path,
    pubkey: Option<&Path>,
    password: &str,
    out: &Path,
    compare: Option<&Path>,
) -> Result<RestoreReport, Wording> {
    let files = SiteFiles::open(target)?;
    let report = super::verify::verify(&files, pubkey)?;
    if !report.ok() {
        let failed = Wording::new("err_restore_unverified")
            .arg("changed", report.changed.len())
            .arg("missing", report.missing.len())
            .arg("extra", report.extra.len());
        return Err(match &report.signature_error {
            Some(e) => failed.cause("signature", e.clone()),
            None => failed.arg("signature", "-"),
        });
    }
    let header_js = files
        .read("data/header.js")
        .ok_or_else(|| Wording::new("err_restore_not_sealed"))?;
    let header = seal::parse_header(&String::from_utf8_lossy(&header_js)).map_err(Wording::from)?;
    let opener = seal::Opener::unlock(header, password).map_err(Wording::from)?;
    // The index of the slot the password opened: with audiences, exactly
    // what that audience sees.
    let index_id = opener.index_id().to_string();
    // Payloads are read one file (one pack) at a time: memory holds one pack,
    // never the room.
    let read_payloads =
        |file: &str, id: &str| -> Result<HashMap<String, seal::PayloadFile>, Wording> {
            let js = files.read(&format!("data/{file}.js")).ok_or_else(|| {
                Wording::new("err_file_missing").arg("file", format!("data/{file}.js"))
            })?;
            seal::parse_payload_file(&js).ok_or_else(|| seal::SealError::Tampered(id.into()).into())
        };
    let open_in = |payloads: &HashMap<String, seal::PayloadFile>,
                   id: &str,
                   meta: &seal::PayloadMeta|
     -> Result<Vec<u8>, Wording> {
        opener
            .open_payload(id, meta, payload_in(payloads, id)?)
            .map_err(Wording::from)
    };
    let open = |id: &str, file: Option<&str>, meta: &seal::PayloadMeta| {
        let file = file.unwrap_or(id);
        open_in(&read_payloads(file, id)?, id, meta)
    };
    let index: SealedIndex = serde_json::from_slice(&open(&index_id, None, &seal::INDEX_META)?)
        .map_err(|e| Wording::internal(format!("the index is unreadable: {e}")))?;

    let lang = if index.lang == "en" {
        room::Language::En
    } else {
        room::Language::ZhCn
    };
    let theme = Theme::load(&[]);
    let engine = Engine::new(&theme, lang)?;
    // Decrypted personal data: readable by the owner only (files 0600, folders 0700).
    let staging = Staging::begin_private(out).map_err(|e| {
        Wording::new("err_prepare_output")
            .path("out", out)
            .cause("error", Wording::io(&e))
    })?;
    // The handover confirmation shows the SHA-256 of SHA256SUMS. The sealed app
    // hashes data/manifest.js; a restored room has none, so the hash is written in.
    let manifest_hash = files
        .read(super::SUMS)
        .map(|sums| seal::hex(&Sha256::digest(&sums)))
        .unwrap_or_default();
    // `--compare` needs every page and file afterwards; without it nothing is kept.
    let keep = compare.is_some();
    // Filled by packs restored in parallel.
    let fragments: Mutex<BTreeMap<String, String>> = Mutex::default();
    let target = Target::Disk {
        staging: &staging,
        prefix: "",
    };
    let frame = Frame {
        engine: &engine,
        nav: &index.nav,
        title: &index.title,
        site_id: &opener.header.room,
    };
    let mut by_file: BTreeMap<&str, Vec<(&String, &seal::site::RouteEntry)>> = BTreeMap::new();
    // Record pages (`clients/<id>`) are named in the index's route map.
    let routes = seal::routemap::all_routes(&index, |id, meta| open(id, None, meta))?;
    for (route, entry) in &routes {
        safe_relative(route)?;
        by_file
            .entry(entry.f.as_deref().unwrap_or(&entry.p))
            .or_default()
            .push((route, entry));
    }
    // Written as restored; `--compare` keeps them (moved, not copied: an
    // index page with its rows back is tens of MB at 100,000 clients).
    // The manifest hash is filled in the written page only: `--compare`
    // compares the page as sealed with the source rendered afresh.
    let fill = |mut page: render::Page| {
        if page.html.contains(MANIFEST_HASH_MARK) {
            page.html = fill_manifest_hash(&page.html, &manifest_hash);
        }
        page
    };
    let write_restored = |pages: Vec<render::Page>| -> Result<(), Wording> {
        let (shown, kept): (Vec<render::Page>, Vec<render::Page>) = if keep {
            (pages.iter().cloned().map(fill).collect(), pages)
        } else {
            (pages.into_iter().map(fill).collect(), Vec::new())
        };
        // The same plain site as the training site and `serve`, into the private folder.
        write_pages(&shown, &frame, &target)?;
        if keep {
            lock(&fragments).extend(kept.into_iter().map(|p| (p.route, p.html)));
        }
        Ok(())
    };
    let open_rows = |id: &str| open(id, None, &seal::rows::ROWS_META);
    // Packs are restored in parallel, each read, opened and written on its own:
    // memory holds about one pack per core (a page's rows stream a shard at a
    // time), and one pack's whole-room page does not hold up the others.
    let restore_packs = || {
        by_file.into_par_iter().try_for_each(|(file, members)| {
            let payloads = read_payloads(file, &members[0].1.p)?;
            let restore_page = |route: &String, entry: &seal::site::RouteEntry| {
                let meta = seal::PayloadMeta {
                    content_type: seal::PAGE_TYPE,
                    name: route,
                };
                let html = String::from_utf8(open_in(&payloads, &entry.p, &meta)?)
                    .map_err(|_| Wording::internal(format!("page {route} is not UTF-8")))?;
                Ok::<_, Wording>(render::Page::plain(route.clone(), entry.t.clone(), html))
            };
            // Pages about the whole room (with rows) one at a time; the others of
            // the pack together (they are written in parallel).
            let (whole_room, records): (Vec<_>, Vec<_>) = members
                .into_iter()
                .partition(|(route, _)| index.tables.contains_key(route.as_str()));
            for (route, entry) in whole_room {
                let tables = &index.tables[route.as_str()];
                let mut page = restore_page(route, entry)?;
                if keep {
                    // `write_restored` fills in the manifest hash.
                    // Index pages get their rows back as the plain table the build took them from.
                    page.html = seal::rows::restore_rows(page.html, tables, open_rows)?;
                    write_restored(vec![page])?;
                    continue;
                }
                // Without `--compare`, the rows go into the page's file a shard
                // at a time: the payments of 100,000 clients are never one string.
                let page = fill(page);
                let path = render::route_file(route);
                let depth = render::route_depth(route);
                write_page_with_rows(
                    &page,
                    tables.iter().map(|t| t.name.as_str()),
                    &frame,
                    &target,
                    |name, out| {
                        let table = tables.iter().find(|t| t.name == name).ok_or_else(|| {
                            Wording::internal(format!("page {route} has no table {name}"))
                        })?;
                        seal::rows::write_rows(&page.html, table, depth, open_rows, out, |e| {
                            write_failed(&path, e)
                        })
                    },
                )?;
            }
            // A pack's pages are opened (decrypted, inflated) on every core.
            let pages = records
                .into_par_iter()
                .map(|(route, entry)| restore_page(route, entry))
                .collect::<Result<Vec<_>, Wording>>()?;
            drop(payloads);
            write_restored(pages)
        })
    };
    // Attachments and exports, each decompressed into its file as it is
    // written, in parallel with each other and with the packs (alone, the
    // clients' export was the last second of a 100k restore).
    let restored_files: Mutex<BTreeMap<String, Vec<u8>>> = Mutex::default();
    let restore_files = || {
        index.files.par_iter().try_for_each(|(path, entry)| {
            safe_relative(path)?;
            let meta = seal::PayloadMeta {
                content_type: &entry.mime,
                name: &entry.name,
            };
            let payloads = read_payloads(entry.f.as_deref().unwrap_or(&entry.p), &entry.p)?;
            let payload = payload_in(&payloads, &entry.p)?;
            let open_into = |out: &mut dyn std::io::Write| {
                opener
                    .open_payload_into(&entry.p, &meta, payload, out)
                    .map_err(|e| e.worded(path))
            };
            if keep {
                let mut bytes = Vec::new();
                open_into(&mut bytes)?;
                target.write(path, &bytes)?;
                lock(&restored_files).insert(path.clone(), bytes);
            } else {
                // Decompressed into the file as it is written: the export of
                // 100,000 clients is hundreds of MB of JSON.
                target.write_with(path, open_into)?;
            }
            Ok::<_, Wording>(())
        })
    };
    let (packs, files) = rayon::join(restore_packs, restore_files);
    packs?;
    files?;
    write_static(&theme, &target)?;
    staging.commit().map_err(|e| {
        Wording::new("err_swap_output")
            .path("out", out)
            .cause("error", Wording::io(&e))
    })?;

    let mut result = RestoreReport {
        verify: report,
        pages: routes.len(),
        files: index.files.len(),
        differences: Vec::new(),
        follow_on: 0,
    };
    if let Some(source) = compare {
        let signing = render::SigningInfo {
            key_id: result.verify.key_id.clone(),
            fingerprint: result.verify.fingerprint.clone(),
        };
        let iterations = opener.header.kdf.iterations;
        compare_with_source(
            source,
            index.audience.as_deref(),
            signing,
            iterations,
            &fragments.into_inner().unwrap_or_else(|p| p.into_inner()),
            &restored_files
                .into_inner()
                .unwrap_or_else(|p| p.into_inner()),
            &mut result,
        )?;
    }
    Ok(result)
}

/// Payload `id` of a payload file: one its file does not hold is tampering.
fn payload_in<'a>(
    payloads: &'a HashMap<String, seal::PayloadFile>,
    id: &str,
) -> Result<&'a seal::PayloadFile, Wording> {
    payloads
        .get(id)
        .ok_or_else(|| seal::SealError::Tampered(id.into()).into())
}

/// Where a page holds the handover confirmation's manifest hash placeholder.
const MANIFEST_HASH_MARK: &str = " data-manifest-hash>";

/// Replaces the "calculating…" placeholder of `<code … data-manifest-hash>` with
/// the hash, and drops the attribute so the app does not try to compute it.
fn fill_manifest_hash(html: &str, hash: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(pos) = rest.find(MANIFEST_HASH_MARK) {
        out.push_str(&rest[..pos]);
        out.push('>');
        out.push_str(hash);
        let after = &rest[pos + MANIFEST_HASH_MARK.len()..];
        rest = &after[after.find('<').unwrap_or(after.len())..];
    }
    out.push_str(rest);
    out
}

/// The language of the sealed room at `target`, from its lock screen's
/// `lang`: what `verify` and `restore` speak unless `--lang` says otherwise
/// (the buyer reads the seller's room, so the room's language comes first).
pub fn sealed_language(target: &Path) -> Option<room::Language> {
    let files = SiteFiles::open(target).ok()?;
    let index = files.read("index.html")?;
    let index = String::from_utf8_lossy(&index);
    let (_, rest) = index.split_once("lang=\"")?;
    room::Language::from_code(rest.split_once('"')?.0)
}

fn safe_relative(path: &str) -> Result<(), Wording> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.contains('\\')
        || path
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..");
    if bad {
        Err(Wording::new("err_restore_unsafe_path").arg("path", path))
    } else {
        Ok(())
    }
}

/// One difference between the restored room and its source, for a person:
/// what, where in the source, and how (old → new). Worded from the
/// catalogue ([`Difference::worded`]); `Display` is English.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    pub what: Compared,
    /// The file of the source room it comes from, when there is one.
    pub source_file: Option<String>,
    pub change: Change,
}

/// What differs: `client HX-00010`, `document policies/nda`, ….
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Compared {
    Client(String),
    Document(String),
    Attachment(String),
    Page(String),
    Export(String),
    Audience(String),
}

/// How it differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// In the restored room, no longer in the source.
    Deleted,
    /// In the source, not in the restored room.
    Added,
    /// A record's field (`services[0].notes`), its values as JSON; `None`: absent.
    Field {
        field: String,
        old: Option<String>,
        new: Option<String>,
    },
    /// A page's first changed line of text; `None`: the text ended.
    Text {
        old: Option<String>,
        new: Option<String>,
    },
    /// An attachment's bytes.
    Content {
        old_size: u64,
        old_sha256: String,
        new_size: u64,
        new_sha256: String,
    },
    /// A page or export that differs from the source rendered afresh.
    Derived,
}

impl Difference {
    /// The difference as one line in the language of `strings`.
    pub fn worded(&self, strings: &crate::i18n::Strings) -> String {
        use crate::i18n::{fill, text};
        let (what_key, name) = match &self.what {
            Compared::Client(id) => ("cli_compare_what_client", id),
            Compared::Document(route) => ("cli_compare_what_document", route),
            Compared::Attachment(path) => ("cli_compare_what_attachment", path),
            Compared::Page(route) => ("cli_compare_what_page", route),
            Compared::Export(path) => ("cli_compare_what_export", path),
            Compared::Audience(name) => ("cli_compare_what_audience", name),
        };
        let what = fill(text(strings, what_key), &[("name", name)]);
        let or_none = |v: &Option<String>, none: &str| {
            v.clone().unwrap_or_else(|| text(strings, none).to_string())
        };
        let change = match &self.change {
            Change::Deleted => text(strings, "cli_compare_deleted").to_string(),
            Change::Added => text(strings, "cli_compare_added").to_string(),
            Change::Field { field, old, new } => fill(
                text(strings, "cli_compare_field"),
                &[
                    ("path", field),
                    ("field", &field_shown(strings, field)),
                    ("old", &or_none(old, "cli_compare_none")),
                    ("new", &or_none(new, "cli_compare_none")),
                ],
            ),
            Change::Text { old, new } => fill(
                text(strings, "cli_compare_text"),
                &[
                    ("old", &or_none(old, "cli_compare_end")),
                    ("new", &or_none(new, "cli_compare_end")),
                ],
            ),
            Change::Content {
                old_size,
                old_sha256,
                new_size,
                new_sha256,
            } => fill(
                text(strings, "cli_compare_content"),
                &[
                    ("old_size", &crate::i18n::grouped(&old_size.to_string())),
                    ("old_sha256", old_sha256),
                    ("new_size", &crate::i18n::grouped(&new_size.to_string())),
                    ("new_sha256", new_sha256),
                ],
            ),
            Change::Derived => text(strings, "cli_compare_derived").to_string(),
        };
        match &self.source_file {
            Some(file) => fill(
                text(strings, "cli_compare_line_in_file"),
                &[("what", &what), ("file", file), ("change", &change)],
            ),
            None => fill(
                text(strings, "cli_compare_line"),
                &[("what", &what), ("change", &change)],
            ),
        }
    }
}

/// A record's field path as the catalogue names it: `contact.phone` → 联系电话,
/// `services[0].notes` → 服务记录第 1 条·备注; a path it has no name for, as it is.
fn field_shown(strings: &crate::i18n::Strings, path: &str) -> String {
    use crate::i18n::{fill, text};
    let label = |path: &str| {
        strings
            .get(&format!("field_{}", path.replace('.', "_")))
            .cloned()
    };
    let Some((list, rest)) = path.split_once('[') else {
        return label(path).unwrap_or_else(|| path.to_string());
    };
    let Some((index, field)) = rest.split_once(']') else {
        return path.to_string();
    };
    let (Some(list_label), Ok(index)) = (label(list), index.parse::<usize>()) else {
        return path.to_string();
    };
    // `i` counts from 0 as the YAML path does, `n` from 1 as people do.
    let (i, n) = (index.to_string(), (index + 1).to_string());
    match field.strip_prefix('.') {
        None => fill(
            text(strings, "cli_compare_item"),
            &[("list", &list_label), ("i", &i), ("n", &n)],
        ),
        Some(field) => match label(&format!("{list}.{field}")) {
            Some(field_label) => fill(
                text(strings, "cli_compare_item_field"),
                &[
                    ("list", &list_label),
                    ("i", &i),
                    ("n", &n),
                    ("field", &field_label),
                ],
            ),
            None => path.to_string(),
        },
    }
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let strings = crate::i18n::embedded(crate::room::Language::En);
        f.write_str(&self.worded(strings))
    }
}

/// Compares the restored room with its source, record by record and field by
/// field (the restored `exports/clients.json` against the source's records,
/// or each client's page for an audience that does not see the exports),
/// document by document and attachment by attachment. Pages that only show
/// those (lists, handover documents) are counted, not listed, when the
/// records explain them. A room restored with an audience's password
/// (`audience`, its name) is compared with the source as that audience sees
/// it: its sections only, its masked values masked.
fn compare_with_source(
    source: &Path,
    audience: Option<&str>,
    signing: render::SigningInfo,
    kdf_iterations: u32,
    fragments: &BTreeMap<String, String>,
    files: &BTreeMap<String, Vec<u8>>,
    result: &mut RestoreReport,
) -> Result<(), Wording> {
    let loaded = check(source, false);
    let findings: Vec<Diagnostic> = loaded.diagnostics.warnings().cloned().collect();
    let whole = loaded
        .room
        .ok_or_else(|| Wording::new("err_compare_source").path("room", source))?;
    let theme = Theme::load(&whole.theme);
    let listed: Vec<Audience> = whole.audiences().iter().map(Audience::of).collect();
    let summaries = crate::audiences::summaries(&listed);
    let extras = render::Extras {
        findings: &findings,
        signing: Some(signing),
        kdf_iterations,
        audiences: &summaries,
    };
    let mut found = Vec::new();
    let shown = audience.and_then(|name| listed.iter().find(|a| a.name == name));
    if let (Some(name), None) = (audience, shown) {
        found.push(Difference {
            what: Compared::Audience(name.to_string()),
            source_file: Some(room::settings::SETTINGS_FILE.to_string()),
            change: Change::Deleted,
        });
    }
    let own_room = shown.map(|a| room_for(&whole, &a.sees, &a.mask));
    let room = own_room.as_ref().unwrap_or(&whole);
    let sees = shown.map_or_else(Sees::all, |a| a.sees.clone());
    let site =
        render::render_for(room, &theme, Selection::All, &extras, &sees).map_err(Wording::from)?;

    // Records, field by field: from the restored export when this reader
    // sees the exports, else from each client's page.
    let restored_export = files.get(CLIENTS_JSON);
    let restored_clients: Vec<serde_json::Value> = restored_export
        .and_then(|bytes| serde_json::from_slice(bytes).ok())
        .unwrap_or_default();
    let source_clients: Vec<serde_json::Value> = match restored_export {
        Some(_) => room
            .clients
            .iter()
            .map(|c| serde_json::to_value(c).unwrap_or_default())
            .collect(),
        None => Vec::new(),
    };
    let by_id = |clients: &[serde_json::Value]| -> BTreeMap<String, serde_json::Value> {
        clients
            .iter()
            .filter_map(|c| Some((c.get("id")?.as_str()?.to_string(), c.clone())))
            .collect()
    };
    let (old_clients, new_clients) = (by_id(&restored_clients), by_id(&source_clients));
    let client_file = |id: &str| {
        room.clients
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.file.to_string_lossy().replace('\\', "/"))
    };
    for id in old_clients
        .keys()
        .chain(new_clients.keys())
        .collect::<BTreeSet<_>>()
    {
        let what = Compared::Client(id.clone());
        match (old_clients.get(id), new_clients.get(id)) {
            (Some(_), None) => found.push(Difference {
                what,
                source_file: None,
                change: Change::Deleted,
            }),
            (None, Some(_)) => found.push(Difference {
                what,
                source_file: client_file(id),
                change: Change::Added,
            }),
            (Some(old), Some(new)) => {
                let (mut old_fields, mut new_fields) = (BTreeMap::new(), BTreeMap::new());
                flatten("", old, &mut old_fields);
                flatten("", new, &mut new_fields);
                for field in old_fields
                    .keys()
                    .chain(new_fields.keys())
                    .collect::<BTreeSet<_>>()
                {
                    let (old, new) = (old_fields.get(field), new_fields.get(field));
                    if old != new {
                        found.push(Difference {
                            what: what.clone(),
                            source_file: client_file(id),
                            change: Change::Field {
                                field: field.clone(),
                                old: old.cloned(),
                                new: new.cloned(),
                            },
                        });
                    }
                }
            }
            (None, None) => {}
        }
    }

    let source_pages: BTreeMap<&str, &str> = site
        .pages
        .iter()
        .map(|p| (p.route.as_str(), p.html.as_str()))
        .collect();
    let mut explained: BTreeSet<&str> = BTreeSet::new();
    if restored_export.is_none() {
        let client_route = |r: &&str| r.strip_prefix("clients/").is_some_and(|id| !id.is_empty());
        for route in fragments
            .keys()
            .map(String::as_str)
            .chain(source_pages.keys().copied())
            .filter(client_route)
            .collect::<BTreeSet<_>>()
        {
            let id = &route["clients/".len()..];
            let change = page_change(
                fragments.get(route).map(String::as_str),
                source_pages.get(route).copied(),
            );
            explained.insert(route);
            if let Some(change) = change {
                found.push(Difference {
                    what: Compared::Client(id.to_string()),
                    source_file: client_file(id),
                    change,
                });
            }
        }
    }

    // Documents: deleted, added, or their text changed (the first changed line).
    let doc_prefixes: Vec<String> = DocKind::ALL
        .iter()
        .map(|k| format!("{}/", k.dir()))
        .collect();
    let is_document = |route: &str| doc_prefixes.iter().any(|p| route.starts_with(p.as_str()));
    let doc_routes: BTreeSet<String> = fragments
        .keys()
        .filter(|r| is_document(r))
        .cloned()
        .chain(room.documents.iter().map(|d| d.route()))
        .collect();
    for route in doc_routes.iter().map(String::as_str) {
        let doc = room.documents.iter().find(|d| d.route() == route);
        let what = Compared::Document(route.to_string());
        let source_file = doc.map(|d| d.file.to_string_lossy().replace('\\', "/"));
        let change = page_change(
            fragments.get(route).map(String::as_str),
            source_pages.get(route).copied(),
        );
        explained.insert(route);
        if let Some(change) = change {
            found.push(Difference {
                what,
                source_file,
                change,
            });
        }
    }

    // Attachments, byte for byte.
    let source_attachments: BTreeMap<&str, &room::Attachment> = room
        .attachments
        .iter()
        .map(|a| (a.path.as_str(), a))
        .collect();
    let restored_attachments = files.keys().filter(|p| p.starts_with("attachments/"));
    for path in restored_attachments
        .map(String::as_str)
        .chain(source_attachments.keys().copied())
        .collect::<BTreeSet<_>>()
    {
        let what = Compared::Attachment(path.to_string());
        let change = match (files.get(path), source_attachments.get(path)) {
            (Some(_), None) => Some(Change::Deleted),
            (None, Some(_)) => Some(Change::Added),
            (Some(bytes), Some(a)) => {
                let hash = seal::hex(&Sha256::digest(bytes));
                (hash != a.sha256).then(|| Change::Content {
                    old_size: bytes.len() as u64,
                    old_sha256: hash[..12].to_string(),
                    new_size: a.size,
                    new_sha256: a.sha256[..a.sha256.len().min(12)].to_string(),
                })
            }
            (None, None) => None,
        };
        if let Some(change) = change {
            found.push(Difference {
                what,
                source_file: Some(path.to_string()),
                change,
            });
        }
    }

    // Every other page and export: listed when nothing above explains it (a
    // changed dataroom.yaml or theme), counted otherwise.
    let records_changed = !found.is_empty();
    let mut derived = Vec::new();
    for route in fragments
        .keys()
        .map(String::as_str)
        .chain(source_pages.keys().copied())
        .filter(|r| !explained.contains(r))
        .collect::<BTreeSet<_>>()
    {
        if fragments.get(route).map(String::as_str) != source_pages.get(route).copied() {
            derived.push(Compared::Page(route.to_string()));
        }
    }
    for export in &site.exports {
        if files.get(&export.path) != Some(&export.bytes) {
            derived.push(Compared::Export(export.path.clone()));
        }
    }
    if records_changed {
        result.follow_on = derived.len();
    } else {
        found.extend(derived.into_iter().map(|what| Difference {
            what,
            source_file: None,
            change: Change::Derived,
        }));
    }
    result.differences = found;
    Ok(())
}

/// How a page changed from the restored room to the source: deleted, added,
/// or its first changed line; `None` when it is the same.
fn page_change(restored: Option<&str>, source: Option<&str>) -> Option<Change> {
    match (restored, source) {
        (Some(_), None) => Some(Change::Deleted),
        (None, Some(_)) => Some(Change::Added),
        (Some(old), Some(new)) if old != new => Some(first_changed_line(old, new)),
        _ => None,
    }
}

const CLIENTS_JSON: &str = "exports/clients.json";

/// `{"contact": {"phone": "1"}, "services": [{"notes": "a"}]}` →
/// `contact.phone = "1"`, `services[0].notes = "a"`.
fn flatten(path: &str, value: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                let sub = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                flatten(&sub, v, out);
            }
        }
        serde_json::Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{path}[{i}]"), v, out);
            }
        }
        serde_json::Value::Null => {}
        other => {
            out.insert(path.to_string(), other.to_string());
        }
    }
}

/// The first line of a document's text that differs, as plain text: `"old" → "new"`.
fn first_changed_line(old: &str, new: &str) -> Change {
    let text = |html: &str| -> Vec<String> {
        let mut plain = String::with_capacity(html.len());
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                _ if !in_tag => plain.push(c),
                _ => {}
            }
        }
        plain
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    };
    let (old, new) = (text(old), text(new));
    let at = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let line = |lines: &[String]| lines.get(at).map(|l| format!("{l:?}"));
    Change::Text {
        old: line(&old),
        new: line(&new),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_hash_is_written_into_the_confirmation() {
        let html = r#"<dd><code class="hash" data-manifest-hash>正在计算…</code></dd>"#;
        assert_eq!(
            fill_manifest_hash(html, "ab12"),
            r#"<dd><code class="hash">ab12</code></dd>"#
        );
        assert_eq!(fill_manifest_hash("<p>x</p>", "ab12"), "<p>x</p>");
    }
}
