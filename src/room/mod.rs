//! The source model: loading a room folder and checking everything in it.
//!
//! Invariant: [`load`] never panics and never stops at the first problem. It
//! returns every diagnostic of the room, and a [`Room`] only when there are no
//! errors. Nothing outside the room folder is ever read.

pub mod client;
pub mod diagnostic;
pub mod document;
pub mod files;
pub mod mask;
pub mod model;
pub mod quality;
pub mod retention;
pub mod settings;
pub mod yaml;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use diagnostic::{Diagnostic, Diagnostics, Fingerprint, Loc, Sources, Wording};
use files::RoomFs;
pub use model::*;

pub struct Loaded {
    /// Present when the room has no errors (warnings allowed).
    pub room: Option<Room>,
    /// Wall time of reading and parsing (`load`) and of the cross-checks (`check`).
    pub timings: Vec<(&'static str, std::time::Duration)>,
    pub diagnostics: Diagnostics,
    pub sources: Sources,
    /// The room's language, known once `dataroom.yaml` reads as YAML, even
    /// with errors (the CLI speaks it).
    pub language: Option<Language>,
}

/// A parsed file: its path, its fingerprint for snippets (the text itself is
/// not kept: [`Sources`]) and the result.
type Parsed<T> = (PathBuf, Option<Fingerprint>, Result<T, Vec<Diagnostic>>);

/// The parsed files' values, each file remembered for its snippets and its
/// problems added to `diags`. Collected in place (the parsed list's own
/// allocation): two lists of 720-byte records at once were 140 MB at 100,000
/// clients (issue 11).
fn parsed_into<T>(
    parsed: Vec<Parsed<T>>,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Vec<T> {
    parsed
        .into_iter()
        .filter_map(|(rel, fingerprint, result)| {
            if let Some(fingerprint) = fingerprint {
                sources.read_from_room(rel, fingerprint);
            }
            result.map_err(|ds| diags.extend(ds)).ok()
        })
        .collect()
}

/// A source file found under one of the room's folders.
struct Found {
    path: PathBuf,
    rel: PathBuf,
}

/// Lists the regular files under `room/<dir>` in a stable order. Hidden files are
/// skipped; symlinks that leave the room are reported and skipped.
fn walk(fs: &RoomFs, dir: &str, diags: &mut Diagnostics) -> Vec<Found> {
    let base = fs.root.join(dir);
    if !base.exists() {
        return Vec::new();
    }
    // The folder itself may be the link: WalkDir would follow it.
    if let Err(d) = fs.check_contained(&base) {
        diags.push(d);
        return Vec::new();
    }
    let mut out = Vec::new();
    let walker = WalkDir::new(&base)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_dir() => {}
            Ok(e) => {
                let path = e.path().to_path_buf();
                if e.path_is_symlink() {
                    if let Err(d) = fs.check_contained(&path) {
                        diags.push(d);
                        continue;
                    }
                    if !path.is_file() {
                        continue;
                    }
                }
                out.push(Found {
                    rel: fs.relative(&path),
                    path,
                });
            }
            Err(err) => {
                let rel = err
                    .path()
                    .map_or_else(|| PathBuf::from(dir), |p| fs.relative(p));
                diags.push(Diagnostic::error(
                    "read-failed",
                    rel,
                    Loc::START,
                    Wording::new("diag_read_folder_failed").arg("error", err),
                ));
            }
        }
    }
    out
}

fn has_ext(p: &Path, exts: &[&str]) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| exts.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

fn ignored_file(rel: &Path, key: &'static str) -> Diagnostic {
    Diagnostic::finding(
        "ignored-file",
        rel,
        Loc::START,
        None,
        diagnostic::Wording {
            key: key.into(),
            args: vec![],
            lists: vec![],
            causes: vec![],
        },
    )
}

/// Loads and checks the room at `root`. `today` anchors the time-based findings
/// (the handover date when the room has one).
pub fn load(root: &Path) -> Loaded {
    let started = std::time::Instant::now();
    // libphonenumber's metadata (decoded and its patterns compiled on first
    // use, ~50 ms) is made while the room's files are listed and read, not
    // by the first record with a phone while the others wait for it.
    let _ = std::thread::Builder::new().spawn(|| {
        let _ = &*phonenumber::metadata::DATABASE;
    });
    let mut diags = Diagnostics::default();
    let fs = match RoomFs::open(root) {
        Ok(fs) => fs,
        Err(d) => {
            diags.push(d);
            return Loaded {
                room: None,
                timings: Vec::new(),
                diagnostics: diags,
                sources: Sources::default(),
                language: None,
            };
        }
    };
    let mut sources = Sources::of_room(fs.clone());

    let settings_path = root.join(settings::SETTINGS_FILE);
    let mut nda = None;
    let mut language = None;
    let settings = if !settings_path.exists() {
        diags.push(Diagnostic::error(
            "settings-missing",
            settings::SETTINGS_FILE,
            Loc::START,
            Wording::new("diag_settings_missing").arg("room", root.display()),
        ));
        None
    } else {
        match fs.read_text(&settings_path) {
            Ok(text) => {
                language = settings::language_of(&text);
                let parsed = settings::parse_settings(&text);
                nda = settings::nda_of(&text);
                sources.read_from_room(settings::SETTINGS_FILE.into(), Fingerprint::of(&text));
                parsed.map_err(|ds| diags.extend(ds)).ok()
            }
            Err(d) => {
                diags.push(d);
                None
            }
        }
    };

    // Clients and documents parse independently: in parallel.
    let client_files: Vec<Found> = walk(&fs, "clients", &mut diags)
        .into_iter()
        .filter(|f| {
            let keep = has_ext(&f.path, &["yaml", "yml"]);
            if !keep {
                diags.push(ignored_file(&f.rel, "ignored_client_file"));
            }
            keep
        })
        .collect();
    let mut doc_files: Vec<(DocKind, Found)> = Vec::new();
    for kind in DocKind::ALL {
        for f in walk(&fs, kind.dir(), &mut diags) {
            if has_ext(&f.path, &["md", "markdown"]) {
                doc_files.push((kind, f));
            } else {
                diags.push(ignored_file(&f.rel, "ignored_document_file"));
            }
        }
    }

    let parsed_clients: Vec<Parsed<Client>> = client_files
        .par_iter()
        .map(|f| match fs.read_text(&f.path) {
            Ok(text) => {
                let r = client::parse_client(&f.rel, &text);
                (f.rel.clone(), Some(Fingerprint::of(&text)), r)
            }
            Err(d) => (f.rel.clone(), None, Err(vec![d])),
        })
        .collect();
    let parsed_docs: Vec<Parsed<Document>> = doc_files
        .par_iter()
        .map(|(kind, f)| {
            let slug = f
                .rel
                .strip_prefix(kind.dir())
                .unwrap_or(&f.rel)
                .with_extension("")
                .to_string_lossy()
                .replace('\\', "/");
            match fs.read_text(&f.path) {
                Ok(text) => {
                    let r = document::parse_document(*kind, slug, &f.rel, &text);
                    (f.rel.clone(), Some(Fingerprint::of(&text)), r)
                }
                Err(d) => (f.rel.clone(), None, Err(vec![d])),
            }
        })
        .collect();

    let mut clients = parsed_into(parsed_clients, &mut sources, &mut diags);
    let mut documents = parsed_into(parsed_docs, &mut sources, &mut diags);

    // Attachments are hashed once here (in parallel, streaming) for the handover
    // checklist and the restore comparison.
    let hashed: Vec<Result<Attachment, Diagnostic>> = walk(&fs, "attachments", &mut diags)
        .into_par_iter()
        .map(|f| {
            let (size, sha256) = hash_file(&f.path).map_err(|e| {
                Diagnostic::error(
                    "read-failed",
                    &f.rel,
                    Loc::START,
                    Wording::new("diag_read_failed").arg("error", e),
                )
            })?;
            Ok(Attachment {
                path: f.rel.to_string_lossy().replace('\\', "/"),
                size,
                sha256,
                abs_path: f.path,
            })
        })
        .collect();
    let mut attachments = Vec::with_capacity(hashed.len());
    for a in hashed {
        match a {
            Ok(a) => attachments.push(a),
            Err(d) => diags.push(d),
        }
    }
    let loaded_at = started.elapsed();

    check_unique_ids(&clients, &mut diags);
    check_references(&fs, &clients, &attachments, &mut diags);
    check_images(&documents, &attachments, &mut diags);
    if let Some((path, loc)) = &nda {
        check_nda(&fs, path, *loc, &documents, &mut diags);
    }

    if let Some(s) = &settings {
        diags.extend(quality::check_quality(&clients, s.handover_date));
    }

    documents.sort_by(|a, b| {
        (a.kind as u8, a.order.unwrap_or(i64::MAX), &a.slug).cmp(&(
            b.kind as u8,
            b.order.unwrap_or(i64::MAX),
            &b.slug,
        ))
    });
    // Unstable: a stable sort buffers half the records (ids are unique, or
    // the room has an error).
    clients.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    let theme = load_theme(&fs, &mut diags);
    diags.sort();
    sources.keep_only_for(&diags);

    let room = match settings {
        Some(settings) if diags.error_count() == 0 => Some(Room {
            root: root.to_path_buf(),
            settings,
            clients,
            documents,
            attachments,
            theme,
        }),
        _ => None,
    };
    Loaded {
        room,
        timings: vec![
            ("load", loaded_at),
            ("check", started.elapsed() - loaded_at),
        ],
        diagnostics: diags,
        sources,
        language,
    }
}

/// Reads `theme/` under the rules of every room folder (no link leaving the
/// room), and one more: its files are published unencrypted, so each must be a
/// real file inside `theme/` — a link to a client record elsewhere in the room
/// would publish it in plaintext.
fn load_theme(fs: &RoomFs, diags: &mut Diagnostics) -> Vec<ThemeFile> {
    let mut theme = Vec::new();
    for f in walk(fs, "theme", diags) {
        if !fs.is_inside_folder(&f.path, "theme") {
            diags.push(Diagnostic::error(
                "theme-link",
                &f.rel,
                Loc::START,
                Wording::new("diag_theme_link"),
            ));
            continue;
        }
        match std::fs::read(&f.path) {
            Ok(bytes) => theme.push(ThemeFile {
                path: f
                    .rel
                    .strip_prefix("theme")
                    .unwrap_or(&f.rel)
                    .to_string_lossy()
                    .replace('\\', "/"),
                bytes,
            }),
            Err(e) => diags.push(Diagnostic::error(
                "read-failed",
                &f.rel,
                Loc::START,
                Wording::new("diag_read_failed").arg("error", e),
            )),
        }
    }
    theme
}

fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    use sha2::{Digest, Sha256};
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut file, &mut hasher)?;
    Ok((size, document::hex(&hasher.finalize())))
}

fn check_unique_ids(clients: &[Client], diags: &mut Diagnostics) {
    let mut first: HashMap<&str, &Client> = HashMap::with_capacity(clients.len());
    for c in clients {
        if let Some(other) = first.get(c.id.as_str()) {
            let other_at = Loc::from(other.locs.id);
            diags.push(Diagnostic::error(
                "duplicate-id",
                &c.file,
                c.locs.id.into(),
                Wording::new("diag_duplicate_id").arg("id", &c.id).arg(
                    "other",
                    format!(
                        "{}:{}:{}",
                        other.file.display(),
                        other_at.line,
                        other_at.column
                    ),
                ),
            ));
        } else {
            first.insert(&c.id, c);
        }
    }
}

/// `nda:` must name one of the room's Markdown documents (under policies/,
/// checklists/ or training/): it is rendered like them, inside the room.
fn check_nda(fs: &RoomFs, path: &str, loc: Loc, documents: &[Document], diags: &mut Diagnostics) {
    let is_document = |d: &&Document| d.file.to_string_lossy().replace('\\', "/") == path;
    if documents.iter().any(|d| is_document(&d)) {
        return;
    }
    let in_document_folder = DocKind::ALL
        .iter()
        .any(|k| path.starts_with(&format!("{}/", k.dir())))
        && has_ext(Path::new(path), &["md", "markdown"])
        && !path
            .split('/')
            .any(|part| part == ".." || part.starts_with('.'));
    let on_disk = fs.root.join(path);
    // A document that exists but failed to parse has its own errors already.
    if in_document_folder && on_disk.is_file() {
        return;
    }
    let (code, key) = if in_document_folder {
        ("nda-missing", "nda_missing")
    } else {
        ("nda-not-document", "nda_not_document")
    };
    diags.push(Diagnostic::catalogued(
        code,
        settings::SETTINGS_FILE,
        loc,
        key,
        &[("path", path)],
    ));
}

/// Every image a document shows must be one of the room's attachments.
fn check_images(documents: &[Document], attachments: &[Attachment], diags: &mut Diagnostics) {
    let known: std::collections::HashSet<&str> =
        attachments.iter().map(|a| a.path.as_str()).collect();
    for d in documents {
        for (path, loc) in &d.images {
            if !known.contains(path.as_str()) {
                diags.push(Diagnostic::error(
                    "attachment-missing",
                    &d.file,
                    *loc,
                    Wording::new("diag_image_missing").arg("path", path),
                ));
            }
        }
    }
}

fn check_references(
    fs: &RoomFs,
    clients: &[Client],
    attachments: &[Attachment],
    diags: &mut Diagnostics,
) {
    let known: BTreeMap<&str, &Attachment> =
        attachments.iter().map(|a| (a.path.as_str(), a)).collect();
    for c in clients {
        for contract in &c.contracts {
            let Some(file) = &contract.file else { continue };
            if known.contains_key(file.as_str()) {
                continue;
            }
            let on_disk = fs.root.join(file);
            let leaves = std::fs::symlink_metadata(&on_disk).is_ok() && !fs.is_inside(&on_disk);
            let d = if leaves {
                Diagnostic::error(
                    "attachment-outside-room",
                    &c.file,
                    contract.file_loc,
                    Wording::new("diag_attachment_link").arg("file", file),
                )
            } else {
                Diagnostic::error(
                    "attachment-missing",
                    &c.file,
                    contract.file_loc,
                    Wording::new("diag_attachment_missing")
                        .arg("file", file)
                        .arg("contract", &contract.id),
                )
            };
            diags.push(d);
        }
    }
}
