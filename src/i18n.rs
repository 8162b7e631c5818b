//! The message catalogue: `themes/default/i18n/<language>.yaml`, one file per
//! language, embedded with the theme. It is the one source of every string a
//! reader sees: the templates get it as `t`, the browser as the shell's
//! `dataroom-i18n` JSON, and Rust formats data-quality findings, retention
//! bases and export headers from it. Choosing a language is choosing the file.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::room::Language;

/// Catalogue key → text, for one language.
pub type Strings = HashMap<String, String>;

/// The language the command line speaks: `--lang` (or `DATAROOM_LANG`) when
/// given, else the room's `language` (a Chinese seller's room is zh-CN), else
/// the locale's, else English. Commands without a room, and `--help`, have
/// only `--lang` and the locale.
pub fn cli_language(forced: Option<Language>, room: Option<Language>) -> Language {
    forced
        .or(room)
        .or_else(|| locale_language(|name| std::env::var(name).ok()))
        .unwrap_or(Language::En)
}

/// The language of the locale, as POSIX chooses it: the first set of
/// `LC_ALL`, `LC_MESSAGES`, `LANG`; `zh_CN.UTF-8`, `zh_TW`, `zh` are Chinese,
/// any other set value is English; `None` when none is set.
pub fn locale_language(var: impl Fn(&str) -> Option<String>) -> Option<Language> {
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| var(name))
        .find(|value| !value.is_empty())?;
    Some(if locale.starts_with("zh") {
        Language::ZhCn
    } else {
        Language::En
    })
}

/// Whether `key` is one of the command line's own texts (`cli_*`, `help*`,
/// `diag_*`, `build_*`, `import_*`, `serve_*`, errors `err_*` and their
/// causes `io_*`), which the browser never shows.
pub fn is_terminal_only(key: &str) -> bool {
    key == "help"
        || [
            "cli_", "help_", "diag_", "build_", "import_", "serve_", "err_", "io_",
        ]
        .iter()
        .any(|p| key.starts_with(p))
}

/// A text as catalogue entries with the values of their `{name}` placeholders:
/// the one way a message for a person is kept until it is shown, so the CLI
/// words it in its language (diagnostics, findings, and every error the library
/// returns). The message is `<key>_message`, or `<key>` itself for a one-line
/// entry; the fix, when the catalogue has one, `<key>_fix`. A finding is given
/// its short key (`shared`) and words `finding_<key>_…`
/// ([`crate::Diagnostic::finding`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Wording {
    pub key: std::borrow::Cow<'static, str>,
    pub args: Vec<(&'static str, String)>,
    /// Values that are lists, joined with the language's `list_separator`.
    pub lists: Vec<(&'static str, Vec<String>)>,
    /// Values that are texts of their own (the cause of a failure: an I/O
    /// error, a weakness), worded in the same language.
    pub causes: Vec<(&'static str, Wording)>,
}

impl Wording {
    pub fn new(key: &'static str) -> Self {
        Wording {
            key: key.into(),
            ..Wording::default()
        }
    }

    /// Fills `{name}` with `value`.
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// Fills `{name}` with `path` as the user wrote it.
    pub fn path(self, name: &'static str, path: &std::path::Path) -> Self {
        self.arg(name, path.display())
    }

    /// Fills `{name}` with the message of `cause`, in the same language.
    pub fn cause(mut self, name: &'static str, cause: Wording) -> Self {
        self.causes.push((name, cause));
        self
    }

    /// What an I/O error means, without the operating system's English: the
    /// wording it carries when one was put into it ([`Wording::into_io`]), else
    /// its kind's (`io_<kind>`).
    pub fn io(error: &std::io::Error) -> Wording {
        use std::io::ErrorKind as K;
        if let Some(worded) = error.get_ref().and_then(|e| e.downcast_ref::<Wording>()) {
            return worded.clone();
        }
        let key = match error.kind() {
            K::NotFound => "io_not_found",
            K::PermissionDenied => "io_permission_denied",
            K::AlreadyExists => "io_already_exists",
            K::IsADirectory => "io_is_a_directory",
            K::NotADirectory => "io_not_a_directory",
            K::StorageFull | K::QuotaExceeded => "io_storage_full",
            K::ReadOnlyFilesystem => "io_read_only",
            K::InvalidData => "io_invalid_data",
            K::AddrInUse => "io_addr_in_use",
            K::UnexpectedEof => "io_unexpected_eof",
            _ => "io_other",
        };
        let code = error
            .raw_os_error()
            .map_or_else(|| "-".to_string(), |c| c.to_string());
        Wording::new(key).arg("code", code)
    }

    /// `key` (`err_create`, `err_write`, `err_read` …) about `path`, with the
    /// I/O error's reason as `{error}`.
    pub fn io_at(key: &'static str, path: &std::path::Path, error: &std::io::Error) -> Wording {
        Wording::new(key)
            .path("path", path)
            .cause("error", Wording::io(error))
    }

    /// A failure that only a bug in dataroom causes: the catalogue's frame
    /// asks for a report; `detail` is for the developers.
    pub fn internal(detail: impl Into<String>) -> Wording {
        Wording::new("err_internal").arg("detail", detail.into())
    }

    /// An I/O error that carries this wording (for functions that return `io::Result`).
    pub fn into_io(self, kind: std::io::ErrorKind) -> std::io::Error {
        std::io::Error::new(kind, self)
    }

    /// The message in the language of `strings`.
    pub fn message(&self, strings: &Strings) -> String {
        self.worded_with(strings, &[]).0
    }

    /// The message and the fix (when the catalogue has one) in the language of
    /// `strings`, `extra` filling placeholders the wording itself does not.
    pub fn worded_with(
        &self,
        strings: &Strings,
        extra: &[(&str, &str)],
    ) -> (String, Option<String>) {
        let lists: Vec<(&str, String)> = self
            .lists
            .iter()
            .map(|(k, items)| (*k, items.join(text(strings, "list_separator"))))
            .collect();
        let causes: Vec<(&str, String)> = self
            .causes
            .iter()
            .map(|(k, cause)| (*k, cause.message(strings)))
            .collect();
        let args: Vec<(&str, &str)> = extra
            .iter()
            .copied()
            .chain(self.args.iter().map(|(k, v)| (*k, v.as_str())))
            .chain(lists.iter().chain(&causes).map(|(k, v)| (*k, v.as_str())))
            .collect();
        let message_key = format!("{}_message", self.key);
        let message = strings
            .get(&message_key)
            .or_else(|| strings.get(self.key.as_ref()))
            .map_or(message_key.as_str(), String::as_str);
        let fix = match strings.get(&format!("{}_fix", self.key)) {
            Some(fix) => Some(fill(fix, &args)),
            // A frame such as "cannot prepare {out}: {error}" has no fix of its own: its cause's.
            None => self
                .causes
                .iter()
                .find_map(|(_, cause)| cause.worded_with(strings, &[]).1),
        };
        (fill(message, &args), fix)
    }
}

/// English, for the library's callers that print it as it is (tests, logs).
impl std::fmt::Display for Wording {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (message, fix) = self.worded_with(embedded(Language::En), &[]);
        match fix {
            Some(fix) => write!(f, "{message}; {fix}"),
            None => f.write_str(&message),
        }
    }
}

impl std::error::Error for Wording {}

/// A detail the library has no wording for (a crate's own message), shown as
/// it is inside the catalogue's frame.
impl From<String> for Wording {
    fn from(detail: String) -> Self {
        Wording::new("err_detail").arg("detail", detail)
    }
}

/// A diagnostic as a failure: its file and position, then its message.
impl From<crate::Diagnostic> for Wording {
    fn from(d: crate::Diagnostic) -> Self {
        let at = Wording::new("err_at")
            .path("file", &d.file)
            .arg("line", d.loc.line)
            .arg("column", d.loc.column);
        match d.wording {
            Some(wording) => at.cause("message", wording),
            None => at.arg("message", d.message),
        }
    }
}

/// The text of `key`, or the key itself when the catalogue lacks it (visible in
/// review, never a panic).
pub fn text<'a>(strings: &'a Strings, key: &'a str) -> &'a str {
    strings.get(key).map_or(key, String::as_str)
}

/// A record field's label, e.g. `contact.phone` → `field_contact_phone` → 联系电话.
pub fn field_label(strings: &Strings, path: &str) -> String {
    let key = format!("field_{}", path.replace('.', "_"));
    text(strings, &key).to_string()
}

/// A date as people write it in letters: the catalogue's `date_long`
/// (`{y}年{m}月{d}日` → 2026年12月15日; `{d} {month} {y}` → 15 December 2026).
pub fn long_date(strings: &Strings, date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    fill(
        text(strings, "date_long"),
        &[
            ("y", &date.year().to_string()),
            ("m", &date.month().to_string()),
            ("d", &date.day().to_string()),
            ("month", &date.format("%B").to_string()),
        ],
    )
}

/// `1234567` → `1,234,567`: digits grouped by thousands, as both catalogue
/// languages write counts and amounts.
pub fn grouped(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `template` with each `{name}` replaced by its value.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// The default theme's catalogue of `lang`, parsed once.
pub fn embedded(lang: Language) -> &'static Strings {
    static ZH: OnceLock<Strings> = OnceLock::new();
    static EN: OnceLock<Strings> = OnceLock::new();
    let cell = match lang {
        Language::ZhCn => &ZH,
        Language::En => &EN,
    };
    cell.get_or_init(|| {
        let name = format!("i18n/{}.yaml", lang.code());
        crate::render::theme::DEFAULT_THEME
            .iter()
            .find(|(path, _)| *path == name)
            .and_then(|(_, bytes)| serde_saphyr::from_str(&String::from_utf8_lossy(bytes)).ok())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_puts_a_comma_every_three_digits() {
        assert_eq!(grouped("0"), "0");
        assert_eq!(grouped("999"), "999");
        assert_eq!(grouped("1234"), "1,234");
        assert_eq!(grouped("100000"), "100,000");
        assert_eq!(grouped("1234567"), "1,234,567");
    }

    #[test]
    fn fill_replaces_every_named_value() {
        assert_eq!(
            fill("{a} and {b}, {a}", &[("a", "x"), ("b", "y")]),
            "x and y, x"
        );
    }

    #[test]
    fn the_locale_is_read_in_posix_order() {
        let env = |pairs: &'static [(&str, &str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(locale_language(env(&[])), None);
        assert_eq!(
            locale_language(env(&[("LANG", "zh_CN.UTF-8")])),
            Some(Language::ZhCn)
        );
        assert_eq!(
            locale_language(env(&[("LANG", "zh_CN.UTF-8"), ("LC_ALL", "en_US.UTF-8")])),
            Some(Language::En)
        );
        assert_eq!(
            locale_language(env(&[("LANG", "en_GB.UTF-8"), ("LC_MESSAGES", "zh_TW")])),
            Some(Language::ZhCn)
        );
        assert_eq!(
            locale_language(env(&[("LC_ALL", ""), ("LANG", "zh_SG")])),
            Some(Language::ZhCn)
        );
    }

    #[test]
    fn cli_and_diagnostic_keys_exist_in_both_catalogues() {
        let (zh, en) = (embedded(Language::ZhCn), embedded(Language::En));
        for (a, b) in [(zh, en), (en, zh)] {
            for key in a.keys().filter(|k| is_terminal_only(k)) {
                assert!(b.contains_key(key), "{key} is in one catalogue only");
            }
        }
    }

    /// Every key the code words a message with (`Wording::new("…")`,
    /// `io_at("…", …)`, `text(strings, "…")`) is in both catalogues: a
    /// missing one would show the key itself to the user.
    #[test]
    fn every_key_the_code_uses_is_in_both_catalogues() {
        let (zh, en) = (embedded(Language::ZhCn), embedded(Language::En));
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut checked = 0;
        let mut missing = Vec::new();
        for entry in walkdir::WalkDir::new(&src).into_iter().flatten() {
            if entry.path().extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let code = std::fs::read_to_string(entry.path()).expect("source");
            for opener in ["Wording::new(\"", "io_at(\"", "text(strings, \""] {
                for (at, _) in code.match_indices(opener) {
                    let rest = &code[at + opener.len()..];
                    let Some(key) = rest.split('"').next() else {
                        continue;
                    };
                    if key.is_empty() || !key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                        continue;
                    }
                    checked += 1;
                    for (name, catalogue) in [("zh-CN", zh), ("en", en)] {
                        let found = catalogue.contains_key(key)
                            || catalogue.contains_key(&format!("{key}_message"));
                        if !found {
                            missing.push(format!("{key} ({name}, {})", entry.path().display()));
                        }
                    }
                }
            }
        }
        assert!(
            checked > 100,
            "only {checked} keys found: the scan is broken"
        );
        assert!(missing.is_empty(), "keys missing: {missing:#?}");
    }

    #[test]
    fn long_dates_read_as_in_letters() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).expect("date");
        assert_eq!(long_date(embedded(Language::ZhCn), date), "2026年12月5日");
        assert_eq!(long_date(embedded(Language::En), date), "5 December 2026");
    }

    #[test]
    fn both_embedded_catalogues_parse_whole() {
        // A YAML slip in one entry would silently empty the catalogue.
        for (lang, clients) in [(Language::ZhCn, "客户资料"), (Language::En, "Clients")] {
            let strings = embedded(lang);
            assert_eq!(text(strings, "clients"), clients);
            assert!(strings.contains_key("finding_shared_message"));
        }
    }
}
