//! `dataroom.yaml` → [`Settings`].

use std::path::Path;

use serde::Deserialize;

use super::client::FieldChecker;
use super::diagnostic::{Diagnostic, Loc};
use super::model::*;
use super::yaml::{parse_yaml, S};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    title: S<String>,
    public_title: Option<String>,
    language: Option<S<String>>,
    seller: RawParty,
    buyer: RawParty,
    supervisor: Option<RawParty>,
    handover_date: S<String>,
    #[serde(default)]
    retention: Vec<RawRule>,
    audiences: Option<S<Vec<RawAudience>>>,
    nda: Option<S<String>>,
    watermark: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAudience {
    id: S<String>,
    name: S<String>,
    sees: S<RawSees>,
    #[serde(default)]
    mask: Vec<S<String>>,
}

/// `sees: all` or `sees: [clients, ...]`: a word or a list of words, each
/// kept with its place so an unknown name points at itself.
enum RawSees {
    Word(String),
    List(Vec<S<String>>),
}

impl<'de> Deserialize<'de> for RawSees {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawSees;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("`all` or a list of sections")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawSees, E> {
                Ok(RawSees::Word(v.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawSees, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(RawSees::List(items))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParty {
    name: String,
    #[serde(default)]
    contact: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    category: S<String>,
    years_after: S<String>,
    years: u32,
}

impl From<RawParty> for Party {
    fn from(p: RawParty) -> Party {
        Party {
            name: p.name,
            contact: p.contact,
        }
    }
}

pub const SETTINGS_FILE: &str = "dataroom.yaml";

/// `nda:` and where it was written, read on its own so that a missing NDA
/// document is reported even when other settings have errors.
pub fn nda_of(text: &str) -> Option<(String, Loc)> {
    #[derive(Deserialize)]
    struct OnlyNda {
        nda: Option<S<String>>,
    }
    let only: OnlyNda = serde_saphyr::from_str(text).ok()?;
    only.nda.map(|n| (n.value, Loc::from(&n.referenced)))
}

pub fn parse_settings(text: &str) -> Result<Settings, Vec<Diagnostic>> {
    let file = Path::new(SETTINGS_FILE);
    let raw: RawSettings = parse_yaml(file, text, 0, 0).map_err(|d| vec![d])?;
    let mut check = FieldChecker {
        file,
        problems: Vec::new(),
    };
    let language = match raw.language.as_ref().map(|l| l.value.as_str()) {
        None | Some("zh-CN") | Some("zh") => Language::ZhCn,
        Some("en") => Language::En,
        Some(other) => {
            let loc = raw
                .language
                .as_ref()
                .map(|l| Loc::from(&l.referenced))
                .unwrap_or_default();
            check.problems.push(
                Diagnostic::error(
                    "invalid-language",
                    file,
                    loc,
                    format!("unknown language `{other}`"),
                )
                .help("write `language: zh-CN` (Chinese, the default) or `language: en`"),
            );
            Language::ZhCn
        }
    };
    if raw.title.value.trim().is_empty() {
        check.problems.push(
            Diagnostic::error(
                "missing-title",
                file,
                Loc::from(&raw.title.referenced),
                "the room title is empty",
            )
            .help("give the room a title, e.g. the company name and 客户资料移交"),
        );
    }
    let handover_date = check.date(&raw.handover_date, "handover_date");
    let mut retention = Vec::new();
    for rule in &raw.retention {
        let category = match rule.category.value.as_str() {
            "clients" => Some(RetentionCategory::Clients),
            "contracts" => Some(RetentionCategory::Contracts),
            "payments" => Some(RetentionCategory::Payments),
            "services" => Some(RetentionCategory::Services),
            _ => None,
        };
        let anchor = match rule.years_after.value.as_str() {
            "contract_end" => Some(RetentionAnchor::ContractEnd),
            "last_payment" => Some(RetentionAnchor::LastPayment),
            "last_service" => Some(RetentionAnchor::LastService),
            "handover" => Some(RetentionAnchor::Handover),
            _ => None,
        };
        if category.is_none() {
            check.problems.push(
                Diagnostic::error(
                    "invalid-retention",
                    file,
                    Loc::from(&rule.category.referenced),
                    format!("unknown retention category `{}`", rule.category.value),
                )
                .help("use one of: clients, contracts, payments, services"),
            );
        }
        if anchor.is_none() {
            check.problems.push(
                Diagnostic::error(
                    "invalid-retention",
                    file,
                    Loc::from(&rule.years_after.referenced),
                    format!("unknown retention anchor `{}`", rule.years_after.value),
                )
                .help("use one of: contract_end, last_payment, last_service, handover"),
            );
        }
        if let (Some(category), Some(years_after)) = (category, anchor) {
            retention.push(RetentionRule {
                category,
                years_after,
                years: rule.years,
            });
        }
    }
    let audiences = raw
        .audiences
        .as_ref()
        .map(|a| check_audiences(file, &a.value, &mut check.problems))
        .unwrap_or_default();
    let audiences_loc = raw
        .audiences
        .as_ref()
        .map(|a| Loc::from(&a.referenced))
        .unwrap_or_default();
    let watermark = raw.watermark.unwrap_or(!audiences.is_empty());
    let (nda, nda_loc) = match raw.nda {
        Some(n) => (Some(n.value), Loc::from(&n.referenced)),
        None => (None, Loc::default()),
    };
    match handover_date {
        Some(handover_date) if check.problems.is_empty() => Ok(Settings {
            title: raw.title.value,
            public_title: raw.public_title,
            language,
            seller: raw.seller.into(),
            buyer: raw.buyer.into(),
            supervisor: raw.supervisor.map(Party::from),
            handover_date,
            retention,
            audiences,
            audiences_loc,
            nda,
            nda_loc,
            watermark,
        }),
        _ => Err(check.problems),
    }
}

/// Audience ids name password variables and, later, files: `[a-z0-9-]+`.
fn is_audience_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 40
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Checks every entry of `audiences:`, reporting each mistake in `problems`.
fn check_audiences(
    file: &Path,
    raw: &[RawAudience],
    problems: &mut Vec<Diagnostic>,
) -> Vec<AudienceSpec> {
    let strings = crate::i18n::embedded(crate::i18n::CLI_LANGUAGE);
    let mut error = |code, loc: Loc, key, args: &[(&str, &str)]| {
        problems.push(Diagnostic::catalogued(code, file, loc, strings, key, args));
    };
    let sections = Section::ALL.map(Section::as_str).join(", ");
    let fields = MaskedField::ALL.map(MaskedField::as_str).join(", ");
    let mut seen: Vec<&RawAudience> = Vec::new();
    let mut out = Vec::new();
    for a in raw {
        let id = a.id.value.as_str();
        let id_loc = Loc::from(&a.id.referenced);
        if !is_audience_id(id) {
            error(
                "audience-id-invalid",
                id_loc,
                "audience_id_invalid",
                &[("id", id)],
            );
        } else if let Some(first) = seen.iter().find(|f| f.id.value == id) {
            let first = Loc::from(&first.id.referenced);
            let at = format!("{}:{}:{}", SETTINGS_FILE, first.line, first.column);
            error(
                "audience-duplicate",
                id_loc,
                "audience_duplicate",
                &[("id", id), ("first", &at)],
            );
        }
        seen.push(a);
        if a.name.value.trim().is_empty() {
            error(
                "audience-name-empty",
                Loc::from(&a.name.referenced),
                "audience_name_empty",
                &[("id", id)],
            );
        }
        let mut sees = std::collections::BTreeSet::new();
        match &a.sees.value {
            RawSees::Word(w) if w == "all" => sees.extend(Section::ALL),
            RawSees::Word(w) => error(
                "audience-section-unknown",
                Loc::from(&a.sees.referenced),
                "audience_section_unknown",
                &[("name", w), ("sections", &sections)],
            ),
            RawSees::List(list) if list.is_empty() => error(
                "audience-sees-nothing",
                Loc::from(&a.sees.referenced),
                "audience_sees_nothing",
                &[("id", id), ("sections", &sections)],
            ),
            RawSees::List(list) => {
                for item in list {
                    match Section::parse(&item.value) {
                        Some(s) => {
                            sees.insert(s);
                        }
                        None => error(
                            "audience-section-unknown",
                            Loc::from(&item.referenced),
                            "audience_section_unknown",
                            &[("name", &item.value), ("sections", &sections)],
                        ),
                    }
                }
            }
        }
        let mut mask = std::collections::BTreeSet::new();
        for item in &a.mask {
            match MaskedField::parse(&item.value) {
                Some(f) => {
                    mask.insert(f);
                }
                None => error(
                    "audience-mask-unknown",
                    Loc::from(&item.referenced),
                    "audience_mask_unknown",
                    &[("name", &item.value), ("fields", &fields)],
                ),
            }
        }
        out.push(AudienceSpec {
            id: id.to_string(),
            name: a.name.value.trim().to_string(),
            sees,
            mask,
            loc: id_loc,
        });
    }
    out
}
