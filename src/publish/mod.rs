//! Publishing: atomic output, `SHA256SUMS` + minisign signature, the
//! deterministic zip; and the buyer's side: verify and restore.
//!
//! Invariant: `<DIR>` is replaced only by a finished, signed build
//! ([`output::Staging::commit`]); verify never writes, and restore writes only
//! after the signature and every hash check out.

pub mod archive;
pub mod output;
pub mod plain;
pub mod restore;
pub mod signing;
pub mod verify;

use std::fmt::Write as _;

use crate::seal::hex;
pub use output::Staging;
use signing::Signer;

/// A file written into `site/`, with its hash.
#[derive(Clone, Debug)]
pub struct Written {
    pub path: String,
    pub sha256: [u8; 32],
}

pub const SUMS: &str = "SHA256SUMS";
pub const SUMS_SIG: &str = "SHA256SUMS.minisig";
pub const PUBKEY: &str = "dataroom.pub";
/// A copy of SHA256SUMS the browser can load (file:// forbids reading it
/// directly), so the handover confirmation can show the manifest hash. It
/// cannot be listed in the manifest it contains; verify checks it equals
/// [`manifest_js`] of SHA256SUMS instead.
pub const MANIFEST_JS: &str = "data/manifest.js";

pub fn manifest_js(sums: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(sums);
    format!(
        "dataroomManifest({});\n",
        serde_json::to_string(&text).unwrap_or_default()
    )
    .into_bytes()
}

/// What the seller and the buyer compare against the paper confirmation.
#[derive(Clone, Debug)]
pub struct Sealed {
    pub file_count: usize,
    pub manifest_sha256: String,
    pub key_id: String,
    pub fingerprint: String,
    pub zip_name: String,
    pub trusted_comment: String,
    /// Every file of `site/` that is not encrypted (sorted): the shell, the
    /// header, the theme's static files, the signatures; for the training
    /// site, every file.
    pub unencrypted: Vec<String>,
}

/// `sha256sum`'s format: `<hex>  <path>`, sorted by path.
pub fn manifest(files: &[Written]) -> String {
    let mut sorted: Vec<&Written> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut out = String::with_capacity(sorted.len() * 100);
    for f in sorted {
        let _ = writeln!(out, "{}  {}", hex(&f.sha256), f.path);
    }
    out
}

pub struct Finish<'a> {
    /// The public name of what was built ([`public_name`]): names the zip and
    /// opens the signatures' trusted comments.
    pub name: &'a str,
    pub date: chrono::NaiveDate,
    /// Seconds since the epoch for the zip entries (SOURCE_DATE_EPOCH or the handover date).
    pub zip_time: i64,
    pub build_time: &'a str,
    pub signer: &'a Signer,
    /// Sealed rooms carry `data/manifest.js` for the handover confirmation.
    pub manifest_js: bool,
}

/// Adds the public key, the manifest and its signature to `site/`, then zips
/// `site/` and signs the zip.
pub fn finish(
    staging: &Staging,
    mut files: Vec<Written>,
    f: &Finish,
) -> Result<Sealed, crate::i18n::Wording> {
    let io = |e: std::io::Error| crate::i18n::Wording::io_at("err_write", staging.path(), &e);
    let pub_text = f.signer.public_box();
    files.push(Written {
        path: PUBKEY.into(),
        sha256: staging
            .write(&format!("site/{PUBKEY}"), pub_text.as_bytes())
            .map_err(io)?,
    });
    let sums = manifest(&files);
    let manifest_hash = staging
        .write(&format!("site/{SUMS}"), sums.as_bytes())
        .map_err(io)?;
    let trusted_comment = format!("{} files={} built={}", f.name, files.len(), f.build_time);
    if f.manifest_js {
        staging
            .write(
                &format!("site/{MANIFEST_JS}"),
                &manifest_js(sums.as_bytes()),
            )
            .map_err(io)?;
    }
    let sig = f.signer.sign(sums.as_bytes(), &trusted_comment)?;
    staging
        .write(&format!("site/{SUMS_SIG}"), sig.as_bytes())
        .map_err(io)?;

    let zip_name = format!("{}-{}.zip", f.name, f.date.format("%Y-%m-%d"));
    let zip_path = staging.path().join(&zip_name);
    let zip_comment = format!("{trusted_comment} archive={zip_name}");
    // The zip is signed (its BLAKE2b prehash) on another core while it is written.
    let zip_sig =
        archive::write_zip_read(&staging.path().join("site"), &zip_path, f.zip_time, |zip| {
            f.signer.sign_reader(zip, &zip_comment)
        })?;
    staging
        .write(&format!("{zip_name}.minisig"), zip_sig.as_bytes())
        .map_err(io)?;
    let mut unencrypted: Vec<String> = files
        .iter()
        .map(|w| w.path.clone())
        .filter(|p| !crate::seal::site::is_payload_path(p))
        .chain([SUMS.to_string(), SUMS_SIG.to_string()])
        .chain(f.manifest_js.then(|| MANIFEST_JS.to_string()))
        .collect();
    unencrypted.sort();
    Ok(Sealed {
        unencrypted,
        file_count: files.len(),
        manifest_sha256: hex(&manifest_hash),
        key_id: signing::key_id(&f.signer.public),
        fingerprint: signing::fingerprint(&f.signer.public),
        zip_name,
        trusted_comment,
    })
}

/// A lock on what the output's parallel writers share (a `serve` site's
/// files, what `restore --compare` keeps); a panic elsewhere already ends the run.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The name of a build in everything public (the zip, the signatures' trusted
/// comments): neutral, never the room folder's name, which can be confidential
/// (it is often the company's name). The training site has its own, so the two
/// zips cannot be confused.
pub fn public_name(selection: crate::render::Selection) -> &'static str {
    match selection {
        crate::render::Selection::All => "dataroom",
        crate::render::Selection::TrainingOnly => "dataroom-training",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_is_sorted_coreutils_format() {
        let files = vec![
            Written {
                path: "b.js".into(),
                sha256: [1; 32],
            },
            Written {
                path: "a.html".into(),
                sha256: [0; 32],
            },
        ];
        let m = manifest(&files);
        let lines: Vec<&str> = m.lines().collect();
        assert_eq!(lines[0], format!("{}  a.html", "00".repeat(32)));
        assert!(lines[1].ends_with("  b.js"));
    }
}
