//! `dataroom verify`: the signature over SHA256SUMS and every file's hash, for
//! a site folder or a zip (read in memory, never unpacked to disk).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use walkdir::WalkDir;

use super::signing;
use super::{manifest_js, MANIFEST_JS, PUBKEY, SUMS, SUMS_SIG};
use crate::seal::hex;

/// The files of a built site, from a folder or from a zip.
pub enum SiteFiles {
    Dir(PathBuf),
    Zip {
        path: PathBuf,
        entries: BTreeMap<String, Vec<u8>>,
    },
}

impl SiteFiles {
    /// Accepts the build's `--out` folder, its `site/` folder, or the zip.
    pub fn open(target: &Path) -> Result<SiteFiles, String> {
        if target.is_dir() {
            let site = if target.join("site").join(SUMS).exists() {
                target.join("site")
            } else {
                target.to_path_buf()
            };
            if !site.join(SUMS).exists() {
                return Err(format!(
                    "{} has no {SUMS}: not a dataroom site",
                    target.display()
                ));
            }
            return Ok(SiteFiles::Dir(site));
        }
        let file =
            fs::File::open(target).map_err(|e| format!("cannot open {}: {e}", target.display()))?;
        let mut zip = zip::ZipArchive::new(file)
            .map_err(|e| format!("{} is not a readable zip: {e}", target.display()))?;
        let mut entries = BTreeMap::new();
        for i in 0..zip.len() {
            let mut entry = zip
                .by_index(i)
                .map_err(|e| format!("damaged zip entry {i}: {e}"))?;
            if entry.is_dir() {
                continue;
            }
            let name = entry
                .name()
                .map_err(|e| format!("damaged zip entry {i}: {e}"))?
                .into_owned();
            let mut bytes = Vec::with_capacity(entry.size() as usize);
            entry
                .read_to_end(&mut bytes)
                .map_err(|e| format!("damaged zip entry {name}: {e}"))?;
            let rel = name.strip_prefix("site/").unwrap_or(&name).to_string();
            entries.insert(rel, bytes);
        }
        Ok(SiteFiles::Zip {
            path: target.to_path_buf(),
            entries,
        })
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
            SiteFiles::Zip { entries, .. } => entries.keys().cloned().collect(),
        }
    }

    pub fn read(&self, rel: &str) -> Option<Vec<u8>> {
        match self {
            SiteFiles::Dir(root) => {
                // Manifest paths are checked before they are joined: nothing outside the site is read.
                if rel.split('/').any(|p| p == ".." || p.is_empty()) || rel.starts_with('/') {
                    return None;
                }
                fs::read(root.join(rel)).ok()
            }
            SiteFiles::Zip { entries, .. } => entries.get(rel).cloned(),
        }
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub key_id: String,
    pub fingerprint: String,
    pub key_source: String,
    pub trusted_comment: Option<String>,
    pub signature_error: Option<String>,
    pub zip_signature: Option<Result<String, String>>,
    pub checked: usize,
    pub changed: Vec<String>,
    pub missing: Vec<String>,
    pub extra: Vec<String>,
    pub malformed: Vec<String>,
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
pub fn parse_manifest(text: &str) -> (Vec<(String, String)>, Vec<String>) {
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
            _ => bad.push(format!("{SUMS} line {}: not `<sha256>  <path>`", i + 1)),
        }
    }
    (ok, bad)
}

pub fn verify(files: &SiteFiles, pubkey: Option<&Path>) -> Result<Report, String> {
    let mut report = Report::default();
    let (pk_text, source) = match pubkey {
        Some(p) => (
            fs::read_to_string(p).map_err(|e| format!("cannot read the public key {}: {e}", p.display()))?,
            format!("{}", p.display()),
        ),
        None => (
            String::from_utf8(files.read(PUBKEY).ok_or(format!("no {PUBKEY} in the site; pass --pubkey FILE"))?)
                .map_err(|_| format!("{PUBKEY} is not text"))?,
            format!("{PUBKEY} shipped inside the site — compare the key id with the handover confirmation"),
        ),
    };
    let pk = signing::parse_public(&pk_text)?;
    report.key_id = signing::key_id(&pk);
    report.fingerprint = signing::fingerprint(&pk);
    report.key_source = source;

    let sums = files.read(SUMS).ok_or(format!("{SUMS} is missing"))?;
    match files.read(SUMS_SIG) {
        None => report.signature_error = Some(format!("{SUMS_SIG} is missing")),
        Some(sig) => match signing::verify(&pk, &sums, &String::from_utf8_lossy(&sig)) {
            Ok(tc) => report.trusted_comment = Some(tc),
            Err(e) => report.signature_error = Some(e),
        },
    }
    let sums_text = String::from_utf8_lossy(&sums);
    let (listed, bad) = parse_manifest(&sums_text);
    report.malformed = bad;
    let listed_paths: BTreeSet<&str> = listed.iter().map(|(_, p)| p.as_str()).collect();
    for (hash, path) in &listed {
        match files.read(path) {
            None => report.missing.push(path.clone()),
            Some(bytes) => {
                report.checked += 1;
                if hex(&Sha256::digest(&bytes)) != *hash {
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
    if let SiteFiles::Zip { path, .. } = files {
        let mut sig_path = path.as_os_str().to_owned();
        sig_path.push(".minisig");
        if let Ok(sig) = fs::read_to_string(&sig_path) {
            let zip_bytes =
                fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            report.zip_signature = Some(signing::verify(&pk, &zip_bytes, &sig));
        }
    }
    Ok(report)
}
