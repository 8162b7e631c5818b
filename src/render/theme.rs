//! The theme: templates, static files and UI strings. The default theme is
//! embedded; a room's `theme/` folder overrides any single file of it.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use walkdir::WalkDir;

use crate::room::diagnostic::{Diagnostic, Loc};

include!(concat!(env!("OUT_DIR"), "/theme_files.rs"));

/// Where a room's own `theme/i18n/*.yaml` is kept, to be merged over the defaults.
pub const OVERRIDE_I18N: &str = "i18n-override/";

pub struct Theme {
    /// Path inside the theme (`templates/home.html`, `static/style.css`) → content.
    pub files: BTreeMap<String, Cow<'static, [u8]>>,
}

impl Theme {
    /// The default theme with the overrides found in `override_dir` (a room's `theme/`).
    pub fn load(override_dir: Option<&Path>) -> Result<Theme, Diagnostic> {
        let mut files: BTreeMap<String, Cow<'static, [u8]>> = DEFAULT_THEME
            .iter()
            .map(|(p, b)| (p.to_string(), Cow::Borrowed(*b)))
            .collect();
        if let Some(dir) = override_dir {
            for entry in WalkDir::new(dir).follow_links(false).sort_by_file_name() {
                let entry = entry.map_err(|e| {
                    Diagnostic::error(
                        "read-failed",
                        "theme",
                        Loc::START,
                        format!("cannot read the theme folder: {e}"),
                    )
                })?;
                if !entry.file_type().is_file() {
                    continue;
                }
                let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
                let rel = rel.to_string_lossy().replace('\\', "/");
                let bytes = std::fs::read(entry.path()).map_err(|e| {
                    Diagnostic::error(
                        "read-failed",
                        Path::new("theme").join(&rel),
                        Loc::START,
                        format!("cannot read: {e}"),
                    )
                })?;
                // UI strings merge key by key; every other file replaces the default.
                let key = match rel.strip_prefix("i18n/") {
                    Some(name) => format!("{OVERRIDE_I18N}{name}"),
                    None => rel,
                };
                files.insert(key, Cow::Owned(bytes));
            }
        }
        Ok(Theme { files })
    }

    pub fn under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        self.files
            .iter()
            .filter_map(move |(p, b)| p.strip_prefix(prefix).map(|rest| (rest, b.as_ref())))
    }
}
