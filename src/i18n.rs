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
/// `diag_*`, `build_*`), which the browser never shows.
pub fn is_terminal_only(key: &str) -> bool {
    key == "help"
        || ["cli_", "help_", "diag_", "build_"]
            .iter()
            .any(|p| key.starts_with(p))
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
