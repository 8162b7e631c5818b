//! The theme: templates, static files and UI strings. The default theme is
//! embedded; a room's `theme/` folder overrides any single file of it.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use crate::room::ThemeFile;

include!(concat!(env!("OUT_DIR"), "/theme_files.rs"));

/// Where a room's own `theme/i18n/*.yaml` is kept, to be merged over the defaults.
pub const OVERRIDE_I18N: &str = "i18n-override/";

pub struct Theme {
    /// Path inside the theme (`templates/home.html`, `static/style.css`) → content.
    pub files: BTreeMap<String, Cow<'static, [u8]>>,
    /// The paths of `files` the room's own `theme/` folder supplied.
    pub from_room: BTreeSet<String>,
}

impl Theme {
    /// The default theme with a room's `theme/` files (already checked and read
    /// by `room::load`) over it.
    pub fn load(overrides: &[ThemeFile]) -> Theme {
        let mut files: BTreeMap<String, Cow<'static, [u8]>> = DEFAULT_THEME
            .iter()
            .map(|(p, b)| (p.to_string(), Cow::Borrowed(*b)))
            .collect();
        let mut from_room = BTreeSet::new();
        for file in overrides {
            // UI strings merge key by key; every other file replaces the default.
            let key = match file.path.strip_prefix("i18n/") {
                Some(name) => format!("{OVERRIDE_I18N}{name}"),
                None => file.path.clone(),
            };
            files.insert(key.clone(), Cow::Owned(file.bytes.clone()));
            from_room.insert(key);
        }
        Theme { files, from_room }
    }

    /// Where a theme file comes from, for messages: the room's own `theme/…` when
    /// it overrides the default, else the embedded `themes/default/…`.
    pub fn source_path(&self, key: &str) -> String {
        let overridden = matches!(self.files.get(key), Some(Cow::Owned(_)));
        match (overridden, key.strip_prefix(OVERRIDE_I18N)) {
            (_, Some(name)) => format!("theme/i18n/{name}"),
            (true, None) => format!("theme/{key}"),
            (false, None) => format!("themes/default/{key}"),
        }
    }

    pub fn under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        self.files
            .iter()
            .filter_map(move |(p, b)| p.strip_prefix(prefix).map(|rest| (rest, b.as_ref())))
    }
}
