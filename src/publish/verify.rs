//! `dataroom verify`: the signature over SHA256SUMS and every file's hash, for
//! a site folder or a zip (read entry by entry, hashed while streaming, never
//! unpacked to disk).
//!
//! A zip is taken for what its entries are, not what they claim: every entry
//! must be a plain file named exactly `site/<relative path>`, no two names may
//! mean the same file on any system (case, Unicode normalization), and the
//! entries must cover the archive with nothing hidden between them. Inflated
//! sizes are capped, whatever the headers say.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use unicode_normalization::UnicodeNormalization;
use walkdir::WalkDir;

use super::signing;
use super::{manifest_js, MANIFEST_JS, PUBKEY, SUMS, SUMS_SIG};
use crate::i18n::Wording;
use crate::seal::hex;

/// The most a compressed (deflated) entry may inflate to. The build deflates
/// only the shell, the theme's static files and the manifests (kilobytes to a
/// few megabytes); payloads are stored, and a stored entry is exactly as large
/// as the bytes it occupies in the zip.
pub const MAX_INFLATED_ENTRY: u64 = 64 * 1024 * 1024;

/// The files of a built site, from a folder or from a zip.
pub enum SiteFiles {
    Dir(PathBuf),
    Zip(ZipSite),
}

pub struct ZipSite {
    pub path: PathBuf,
    archive: Mutex<zip::ZipArchive<io::BufReader<fs::File>>>,
    /// Relative path (after `site/`) → entry index.
    entries: BTreeMap<String, usize>,
    /// Entries that make the zip untrustworthy, with why.
    pub problems: Vec<Wording>,
    /// Bytes still allowed to be inflated from this zip (a total cap: verify
    /// and restore each read every entry once).
    budget: Mutex<u64>,
}

/// Why a zip entry name is not a plain `site/<relative path>` (the catalogue
/// key that says it), or `None`.
fn entry_name_problem(name: &str) -> Option<&'static str> {
    let Some(rel) = name.strip_prefix("site/") else {
        return Some("err_zip_entry_outside");
    };
    if rel.is_empty() {
        return Some("err_zip_entry_folder");
    }
    if name.contains('\\') {
        return Some("err_zip_entry_backslash");
    }
    if name.chars().any(char::is_control) {
        return Some("err_zip_entry_control");
    }
    if rel.starts_with('/') {
        return Some("err_zip_entry_absolute");
    }
    if rel.ends_with('/') {
        return Some("err_zip_entry_folder");
    }
    if rel
        .split('/')
        .any(|p| p == ".." || p == "." || p.is_empty())
    {
        return Some("err_zip_entry_dots");
    }
    if rel
        .split('/')
        .any(|p| p.len() >= 2 && p.as_bytes()[1] == b':')
    {
        return Some("err_zip_entry_drive");
    }
    None
}

/// The key under which two names mean the same file on some system:
/// case-insensitive (Windows, macOS) and Unicode-normalized (macOS).
fn collision_key(rel: &str) -> String {
    rel.nfc().collect::<String>().to_lowercase()
}

impl ZipSite {
    fn open(target: &Path) -> Result<ZipSite, Wording> {
        let file = fs::File::open(target)
            .map_err(|e| crate::i18n::Wording::io_at("err_read", target, &e))?;
        let zip_len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut zip = zip::ZipArchive::new(io::BufReader::new(file))
            .map_err(|_| Wording::new("err_zip_unreadable").path("path", target))?;
        let mut problems = Vec::new();
        if zip.has_duplicate_names() {
            problems.push(Wording::new("err_zip_duplicate_names"));
        }
        if zip.offset() != 0 {
            problems.push(Wording::new("err_zip_prefix").arg("bytes", zip.offset()));
        }
        let mut entries = BTreeMap::new();
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        // (local header start, end of its data): the entries must tile the
        // archive up to the central directory, so nothing hides between them.
        let mut spans: Vec<(u64, u64)> = Vec::new();
        for i in 0..zip.len() {
            let entry = zip
                .by_index(i)
                .map_err(|_| Wording::new("err_zip_entry_damaged").arg("entry", i))?;
            let raw = String::from_utf8_lossy(entry.name_raw()).into_owned();
            let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
            spans.push((
                entry.header_start(),
                entry
                    .data_start()
                    .unwrap_or(0)
                    .saturating_add(entry.compressed_size()),
            ));
            let shown = format!("{:?}", raw);
            let entry_problem = |key: &'static str| Wording::new(key).arg("entry", &shown);
            if name != raw {
                problems
                    .push(entry_problem("err_zip_entry_renamed").arg("name", format!("{name:?}")));
                continue;
            }
            if entry.is_symlink() {
                problems.push(entry_problem("err_zip_entry_symlink"));
                continue;
            }
            if entry.is_dir()
                || entry
                    .unix_mode()
                    .is_some_and(|m| m & 0o170000 != 0o100000 && m & 0o170000 != 0)
            {
                problems.push(entry_problem("err_zip_entry_not_file"));
                continue;
            }
            if entry.encrypted() {
                problems.push(entry_problem("err_zip_entry_encrypted"));
                continue;
            }
            if let Some(why) = entry_name_problem(&name) {
                problems.push(entry_problem(why));
                continue;
            }
            let rel = name["site/".len()..].to_string();
            if let Some(first) = seen.insert(collision_key(&rel), name.clone()) {
                problems.push(
                    entry_problem("err_zip_entry_collision").arg("first", format!("{first:?}")),
                );
                continue;
            }
            entries.insert(rel, i);
        }
        spans.sort_unstable();
        let mut end = 0;
        for (start, stop) in &spans {
            if *start != end {
                problems.push(
                    Wording::new("err_zip_gap")
                        .arg("bytes", start.abs_diff(end))
                        .arg("offset", end),
                );
            }
            end = (*stop).max(end);
        }
        if end != zip.central_directory_start() {
            problems.push(
                Wording::new("err_zip_before_directory")
                    .arg("end", end)
                    .arg("directory", zip.central_directory_start()),
            );
        }
        Ok(ZipSite {
            path: target.to_path_buf(),
            archive: Mutex::new(zip),
            entries,
            problems,
            budget: Mutex::new(
                zip_len
                    .saturating_mul(2)
                    .saturating_add(2 * MAX_INFLATED_ENTRY),
            ),
        })
    }

    /// Streams entry `rel` into `sink`, never more than it may inflate to.
    fn stream(&self, rel: &str, sink: &mut dyn Write) -> Option<Result<u64, Wording>> {
        let damaged = || Wording::new("err_zip_entry_damaged").arg("entry", rel);
        let index = *self.entries.get(rel)?;
        let mut zip = self.archive.lock().ok()?;
        let entry = match zip.by_index(index) {
            Ok(e) => e,
            Err(_) => return Some(Err(damaged())),
        };
        let cap = if entry.compression() == zip::CompressionMethod::Stored {
            entry.compressed_size()
        } else {
            MAX_INFLATED_ENTRY
        };
        let mut budget = self.budget.lock().ok()?;
        let limit = cap.min(*budget);
        let mut limited = entry.take(limit + 1);
        let copied = match io::copy(&mut limited, sink) {
            Ok(n) => n,
            Err(_) => return Some(Err(damaged())),
        };
        *budget = budget.saturating_sub(copied);
        if copied > limit {
            return Some(Err(Wording::new("err_zip_entry_bomb")
                .arg("entry", rel)
                .arg("limit", limit)));
        }
        Some(Ok(copied))
    }
}

impl SiteFiles {
    /// Accepts the build's `--out` folder, its `site/` folder, or the zip.
    pub fn open(target: &Path) -> Result<SiteFiles, Wording> {
        if target.is_dir() {
            let site = if target.join("site").join(SUMS).exists() {
                target.join("site")
            } else {
                target.to_path_buf()
            };
            if !site.join(SUMS).exists() {
                return Err(Wording::new("err_not_a_site")
                    .path("path", target)
                    .arg("sums", SUMS));
            }
            return Ok(SiteFiles::Dir(site));
        }
        ZipSite::open(target).map(SiteFiles::Zip)
    }

    pub fn list(&self) -> Vec<String> {
        match self {
            SiteFiles::Dir(root) => WalkDir::new(root)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| !e.file_type().is_dir())
                .filter_map(|e| {
                    e.path()
                        .strip_prefix(root)
                        .ok()
                        .map(|p| p.to_string_lossy().replace('\\', "/"))
                })
                .collect(),
            SiteFiles::Zip(z) => z.entries.keys().cloned().collect(),
        }
    }

    fn dir_path(root: &Path, rel: &str) -> Option<PathBuf> {
        // Manifest paths are checked before they are joined: nothing outside the site is read.
        if rel.split('/').any(|p| p == ".." || p.is_empty()) || rel.starts_with('/') {
            return None;
        }
        Some(root.join(rel))
    }

    /// The whole file. A zip entry that inflates beyond its cap reads as `None`
    /// (and `sha256` reports why).
    pub fn read(&self, rel: &str) -> Option<Vec<u8>> {
        self.read_checked(rel)?.ok()
    }

    /// A file's bytes; `None` when it is absent, the reason when it is there
    /// but cannot be read (a damaged zip entry is not a missing file).
    pub fn read_checked(&self, rel: &str) -> Option<Result<Vec<u8>, Wording>> {
        match self {
            SiteFiles::Dir(root) => match fs::read(Self::dir_path(root, rel)?) {
                Ok(bytes) => Some(Ok(bytes)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => Some(Err(crate::i18n::Wording::io_at(
                    "err_read",
                    Path::new(rel),
                    &e,
                ))),
            },
            SiteFiles::Zip(z) => {
                let mut bytes = Vec::new();
                Some(z.stream(rel, &mut bytes)?.map(|_| bytes))
            }
        }
    }

    /// SHA-256 of a file, hashed while it streams: `None` when it is absent.
    pub fn sha256(&self, rel: &str) -> Option<Result<[u8; 32], Wording>> {
        let mut hasher = super::output::Hashed::new(io::sink());
        let streamed = match self {
            SiteFiles::Dir(root) => {
                let mut file = fs::File::open(Self::dir_path(root, rel)?).ok()?;
                io::copy(&mut file, &mut hasher)
                    .map(|_| ())
                    .map_err(|e| crate::i18n::Wording::io_at("err_read", Path::new(rel), &e))
            }
            SiteFiles::Zip(z) => z.stream(rel, &mut hasher)?.map(|_| ()),
        };
        Some(streamed.map(|()| hasher.finish().1))
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub key_id: String,
    pub fingerprint: String,
    /// Where the public key came from (a file, or the one shipped in the site).
    pub key_source: Wording,
    pub trusted_comment: Option<String>,
    pub signature_error: Option<Wording>,
    pub zip_signature: Option<Result<String, Wording>>,
    pub checked: usize,
    pub changed: Vec<String>,
    pub missing: Vec<String>,
    pub extra: Vec<String>,
    pub malformed: Vec<Wording>,
    /// Not failures, but said loudly: e.g. a zip without its own signature.
    pub warnings: Vec<Wording>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.signature_error.is_none()
            && !matches!(self.zip_signature, Some(Err(_)))
            && self.changed.is_empty()
            && self.missing.is_empty()
            && self.extra.is_empty()
            && self.malformed.is_empty()
    }
}

/// Parses `sha256sum` lines: `<64 hex>  <path>` (or ` *<path>` for binary mode).
pub fn parse_manifest(text: &str) -> (Vec<(String, String)>, Vec<Wording>) {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        match line.split_once("  ").or_else(|| line.split_once(" *")) {
            Some((h, p)) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                ok.push((h.to_ascii_lowercase(), p.to_string()))
            }
            _ => bad.push(
                Wording::new("err_sums_line")
                    .arg("sums", SUMS)
                    .arg("line", i + 1),
            ),
        }
    }
    (ok, bad)
}

/// What the zip's `.minisig` said.
enum ZipSignature {
    Checked(Result<String, Wording>),
    Missing(Wording),
}

pub fn verify(files: &SiteFiles, pubkey: Option<&Path>) -> Result<Report, Wording> {
    let mut report = Report::default();
    let (pk_text, source) = match pubkey {
        Some(p) => (
            fs::read_to_string(p)
                .map_err(|e| crate::i18n::Wording::io_at("err_public_key_unreadable", p, &e))?,
            Wording::new("err_key_source_file").path("path", p),
        ),
        None => (
            String::from_utf8(
                files
                    .read(PUBKEY)
                    .ok_or_else(|| Wording::new("err_public_key_missing").arg("file", PUBKEY))?,
            )
            .map_err(|_| Wording::new("err_public_key_invalid"))?,
            Wording::new("err_key_source_shipped").arg("file", PUBKEY),
        ),
    };
    let pk = signing::parse_public(&pk_text)?;
    report.key_id = signing::key_id(&pk);
    report.fingerprint = signing::fingerprint(&pk);
    report.key_source = source;

    let missing = |file: &str| Wording::new("err_file_missing").arg("file", file);
    let sums = files
        .read_checked(SUMS)
        .unwrap_or_else(|| Err(missing(SUMS)))?;
    match files.read_checked(SUMS_SIG) {
        None => report.signature_error = Some(missing(SUMS_SIG)),
        Some(Err(damaged)) => report.signature_error = Some(damaged),
        Some(Ok(sig)) => match signing::verify(&pk, &sums, &String::from_utf8_lossy(&sig)) {
            Ok(tc) => report.trusted_comment = Some(tc),
            Err(e) => report.signature_error = Some(e),
        },
    }
    // The zip's own signature reads the whole zip through a file handle of
    // its own: checked while the entries are hashed, not after.
    let zip_signature = || -> Result<Option<ZipSignature>, Wording> {
        let SiteFiles::Zip(zip) = files else {
            return Ok(None);
        };
        let mut sig_path = zip.path.as_os_str().to_owned();
        sig_path.push(".minisig");
        let sig_path = PathBuf::from(sig_path);
        Ok(Some(match fs::read_to_string(&sig_path) {
            Ok(sig) => {
                let zip_file = fs::File::open(&zip.path)
                    .map_err(|e| crate::i18n::Wording::io_at("err_read", &zip.path, &e))?;
                ZipSignature::Checked(signing::verify_reader(
                    &pk,
                    io::BufReader::new(zip_file),
                    &sig,
                ))
            }
            Err(_) => {
                let name = sig_path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                ZipSignature::Missing(
                    Wording::new("err_zip_signature_missing")
                        .path("path", &sig_path)
                        .arg("name", name)
                        .arg("sums", SUMS),
                )
            }
        }))
    };
    let (zip_signature, ()) = rayon::join(zip_signature, || {
        let sums_text = String::from_utf8_lossy(&sums);
        let (listed, bad) = parse_manifest(&sums_text);
        report.malformed = bad;
        let listed_paths: BTreeSet<&str> = listed.iter().map(|(_, p)| p.as_str()).collect();
        for (hash, path) in &listed {
            match files.sha256(path) {
                None => report.missing.push(path.clone()),
                Some(Err(e)) => report.malformed.push(e),
                Some(Ok(digest)) => {
                    report.checked += 1;
                    if hex(&digest) != *hash {
                        report.changed.push(path.clone());
                    }
                }
            }
        }
        match files.read(MANIFEST_JS) {
            Some(copy) if copy != manifest_js(&sums) => report.changed.push(MANIFEST_JS.into()),
            _ => {}
        }
        for path in files.list() {
            if path != SUMS
                && path != SUMS_SIG
                && path != MANIFEST_JS
                && !listed_paths.contains(path.as_str())
            {
                report.extra.push(path);
            }
        }
        report.extra.sort();
    });
    if let SiteFiles::Zip(zip) = files {
        report.malformed.extend(zip.problems.iter().cloned());
    }
    match zip_signature? {
        Some(ZipSignature::Checked(checked)) => report.zip_signature = Some(checked),
        Some(ZipSignature::Missing(warning)) => report.warnings.push(warning),
        None => {}
    }
    Ok(report)
}
