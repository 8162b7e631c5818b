//! Reading files of the room safely: never outside the room, never a panic on
//! bytes that are not UTF-8, and a located error for every refusal.

use std::fs;
use std::path::{Component, Path, PathBuf};

use super::diagnostic::{Diagnostic, Loc, Wording};

/// The room root, canonicalized once so every containment check compares real paths.
#[derive(Clone)]
pub struct RoomFs {
    pub root: PathBuf,
    canonical_root: PathBuf,
}

impl RoomFs {
    pub fn open(root: &Path) -> Result<RoomFs, Diagnostic> {
        // These are about the room folder itself: no file inside it, no position.
        let not_found = || {
            Diagnostic::error(
                "room-not-found",
                "",
                Loc::START,
                Wording::new("diag_room_not_found").arg("room", root.display()),
            )
        };
        let meta = fs::metadata(root).map_err(|_| not_found())?;
        if !meta.is_dir() {
            let archive = root
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
            let stem = if archive {
                "diag_room_is_zip"
            } else {
                "diag_room_is_file"
            };
            return Err(Diagnostic::error(
                "room-not-a-folder",
                "",
                Loc::START,
                Wording::new(stem).arg("room", root.display()),
            ));
        }
        let canonical_root = fs::canonicalize(root).map_err(|_| not_found())?;
        Ok(RoomFs {
            root: root.to_path_buf(),
            canonical_root,
        })
    }

    /// The path relative to the room root, for messages and routes.
    pub fn relative(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root).unwrap_or(path).to_path_buf()
    }

    /// Whether `path` (which may be a symlink) really lies inside the room.
    pub fn is_inside(&self, path: &Path) -> bool {
        match fs::canonicalize(path) {
            Ok(real) => real.starts_with(&self.canonical_root),
            Err(_) => false,
        }
    }

    /// Refuses symlinks that lead out of the room before anything is read.
    pub fn check_contained(&self, path: &Path) -> Result<(), Diagnostic> {
        let is_link = fs::symlink_metadata(path)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        if is_link && !self.is_inside(path) {
            return Err(Diagnostic::error(
                "path-outside-room",
                self.relative(path),
                Loc::START,
                Wording::new("diag_path_outside_room"),
            ));
        }
        Ok(())
    }

    /// Whether `path` really lies inside the room's folder `dir`, which must not
    /// itself be a link (`theme/`, whose files are published unencrypted).
    pub fn is_inside_folder(&self, path: &Path, dir: &str) -> bool {
        match fs::canonicalize(path) {
            Ok(real) => real.starts_with(self.canonical_root.join(dir)),
            Err(_) => false,
        }
    }

    /// Reads a text source: contained, non-empty, valid UTF-8 (BOM removed).
    pub fn read_text(&self, path: &Path) -> Result<String, Diagnostic> {
        self.check_contained(path)?;
        let rel = self.relative(path);
        let bytes = fs::read(path).map_err(|e| {
            Diagnostic::error(
                "read-failed",
                &rel,
                Loc::START,
                Wording::new("diag_read_failed").arg("error", e),
            )
        })?;
        text_from_bytes(&rel, bytes)
    }
}

pub fn text_from_bytes(rel: &Path, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Diagnostic::error(
            "empty-file",
            rel,
            Loc::START,
            Wording::new("diag_empty_file"),
        ));
    }
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                text.drain(..3);
            }
            Ok(text)
        }
        Err(e) => {
            // Notepad's "Unicode" is UTF-16, which starts with the byte-order mark FF FE.
            let stem = if e.as_bytes().starts_with(&[0xFF, 0xFE])
                || e.as_bytes().starts_with(&[0xFE, 0xFF])
            {
                "diag_utf16"
            } else {
                "diag_invalid_utf8"
            };
            let at = e.utf8_error().valid_up_to();
            let loc = Loc::at_offset(e.as_bytes(), at, 0);
            Err(Diagnostic::error(
                "invalid-utf8",
                rel,
                loc,
                Wording::new(stem).arg("byte", format!("0x{:02X}", e.as_bytes()[at])),
            ))
        }
    }
}

/// A reference written in a record (`file: attachments/…`) must be a plain relative
/// path under `attachments/`. Returns the normalized `a/b/c` form, or the
/// catalogue stem saying what is wrong with it.
pub fn normalize_reference(raw: &str) -> Result<String, &'static str> {
    let path = Path::new(raw);
    if path.is_absolute() || raw.starts_with('/') || raw.starts_with('\\') || raw.contains(':') {
        return Err("diag_reference_absolute");
    }
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => return Err("diag_reference_parent"),
            Component::RootDir | Component::Prefix(_) => return Err("diag_reference_absolute"),
        }
    }
    if parts.first().map(String::as_str) != Some("attachments") || parts.len() < 2 {
        return Err("diag_reference_outside");
    }
    Ok(parts.join("/"))
}

/// An image in a document: `attachments/x.png` (from the room folder) or
/// `../attachments/x.png` (from the document's folder, as Markdown editors
/// preview it) → `attachments/x.png`. `None` for anything else (web images).
pub fn image_reference(url: &str) -> Option<String> {
    let mut rest = url;
    while let Some(up) = rest.strip_prefix("../") {
        rest = up;
    }
    normalize_reference(rest).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_must_stay_in_attachments() {
        assert_eq!(
            normalize_reference("attachments/a/b.pdf").as_deref(),
            Ok("attachments/a/b.pdf")
        );
        assert_eq!(
            normalize_reference("./attachments/b.pdf").as_deref(),
            Ok("attachments/b.pdf")
        );
        assert!(normalize_reference("../../etc/passwd").is_err());
        assert!(normalize_reference("/etc/passwd").is_err());
        assert!(normalize_reference("attachments/../dataroom.yaml").is_err());
        assert!(normalize_reference("clients/x.yaml").is_err());
        assert!(normalize_reference("C:/x").is_err());
    }

    #[test]
    fn utf8_errors_are_located() {
        let err = text_from_bytes(Path::new("x.yaml"), b"id: a\nname: \xff\n".to_vec())
            .err()
            .map(|d| (d.code, d.loc.line, d.loc.column));
        assert_eq!(err, Some(("invalid-utf8", 2, 7)));
    }
}
