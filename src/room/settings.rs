//! `dataroom.yaml` → [`Settings`].

use std::path::Path;

use super::client::FieldChecker;
use super::diagnostic::{Diagnostic, Loc, Wording};
use super::model::*;
use super::yaml::{parse_tree, Located, Node, Reader, Value};

struct RawSettings {
    title: Located<String>,
    public_title: Option<String>,
    language: Option<Located<String>>,
    seller: RawParty,
    buyer: RawParty,
    supervisor: Option<RawParty>,
    handover_date: Located<String>,
    retention: Vec<RawRule>,
    audiences: Option<Located<Vec<RawAudience>>>,
    nda: Option<Located<String>>,
    watermark: Option<bool>,
}

struct RawAudience {
    id: Located<String>,
    name: Located<String>,
    sees: Located<RawSees>,
    mask: Vec<Located<String>>,
}

/// `sees: all` or `sees: [clients, ...]`: a word or a list of words, each
/// kept with its place so an unknown name points at itself.
enum RawSees {
    Word(String),
    List(Vec<Located<String>>),
}

fn raw_audience(r: &mut Reader, node: &Node) -> Option<RawAudience> {
    let f = r.fields(node, "audiences", &["id", "name", "sees", "mask"])?;
    let id = r.required(&f, "id").and_then(|n| r.text(n, "audiences.id"));
    let name = r
        .required(&f, "name")
        .and_then(|n| r.text(n, "audiences.name"));
    let sees = r.required(&f, "sees").and_then(|n| {
        let value = match &n.value {
            Value::List(_) => RawSees::List(
                r.list(Some(n), "audiences.sees")
                    .iter()
                    .filter_map(|s| r.text(s, "audiences.sees"))
                    .collect(),
            ),
            _ => RawSees::Word(r.text(n, "audiences.sees")?.value),
        };
        Some(Located { value, loc: n.loc })
    });
    let mask = r
        .list(f.get("mask"), "audiences.mask")
        .iter()
        .filter_map(|m| r.text(m, "audiences.mask"))
        .collect();
    Some(RawAudience {
        id: id?,
        name: name?,
        sees: sees?,
        mask,
    })
}

struct RawParty {
    name: String,
    contact: String,
}

struct RawRule {
    category: Located<String>,
    years_after: Located<String>,
    years: u32,
}

fn raw_party(r: &mut Reader, node: &Node, path: &str) -> Option<RawParty> {
    let f = r.fields(node, path, &["name", "contact"])?;
    let name = r.required(&f, "name").and_then(|n| r.text(n, path));
    let contact = f.get("contact").and_then(|n| r.text(n, path));
    Some(RawParty {
        name: name?.value,
        contact: contact.map(|c| c.value).unwrap_or_default(),
    })
}

/// Reads `node` as `dataroom.yaml`, every problem in `r.problems`.
fn raw_settings(r: &mut Reader, node: &Node) -> Option<RawSettings> {
    let f = r.fields(
        node,
        "",
        &[
            "title",
            "public_title",
            "language",
            "seller",
            "buyer",
            "supervisor",
            "handover_date",
            "retention",
            "audiences",
            "nda",
            "watermark",
        ],
    )?;
    let title = r.required(&f, "title").and_then(|n| r.text(n, "title"));
    let public_title = f
        .get("public_title")
        .and_then(|n| r.text(n, "public_title"));
    let language = f.get("language").and_then(|n| r.text(n, "language"));
    let seller = r
        .required(&f, "seller")
        .and_then(|n| raw_party(r, n, "seller"));
    let buyer = r
        .required(&f, "buyer")
        .and_then(|n| raw_party(r, n, "buyer"));
    let supervisor = f
        .get("supervisor")
        .and_then(|n| raw_party(r, n, "supervisor"));
    let handover_date = r
        .required(&f, "handover_date")
        .and_then(|n| r.text(n, "handover_date"));
    let retention = r
        .list(f.get("retention"), "retention")
        .iter()
        .filter_map(|n| {
            let rule = r.fields(n, "retention", &["category", "years_after", "years"])?;
            let category = r
                .required(&rule, "category")
                .and_then(|n| r.text(n, "retention.category"));
            let years_after = r
                .required(&rule, "years_after")
                .and_then(|n| r.text(n, "retention.years_after"));
            let years = r
                .required(&rule, "years")
                .and_then(|n| r.number(n, "retention.years"));
            Some(RawRule {
                category: category?,
                years_after: years_after?,
                years: years?,
            })
        })
        .collect();
    let audiences = f.get("audiences").map(|n| Located {
        value: r
            .list(Some(n), "audiences")
            .iter()
            .filter_map(|a| raw_audience(r, a))
            .collect(),
        loc: n.loc,
    });
    let nda = f.get("nda").and_then(|n| r.text(n, "nda"));
    let watermark = f.get("watermark").and_then(|n| r.flag(n, "watermark"));
    Some(RawSettings {
        title: title?,
        public_title: public_title.map(|t| t.value),
        language,
        seller: seller?,
        buyer: buyer?,
        supervisor,
        handover_date: handover_date?,
        retention,
        audiences,
        nda,
        watermark,
    })
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
    top_level(text, "nda", |node| match node {
        Some(Node {
            value: Value::Text(path) | Value::Plain(path),
            loc,
        }) => Some((path.clone(), *loc)),
        _ => None,
    })
}

/// The room's language as `dataroom.yaml` gives it (zh-CN when it says
/// nothing), even when the file has other problems; `None` when the file is not
/// YAML or the language is unknown.
pub fn language_of(text: &str) -> Option<Language> {
    top_level(text, "language", |node| match node {
        None => Some(Language::ZhCn),
        Some(Node {
            value: Value::Text(code),
            ..
        }) => Language::from_code(code),
        Some(_) => None,
    })
}

/// `read` applied to the top-level field `name` of `dataroom.yaml` (`None`
/// when absent); `None` when the file is not a YAML mapping.
fn top_level<T>(
    text: &str,
    name: &str,
    read: impl FnOnce(Option<&Node>) -> Option<T>,
) -> Option<T> {
    let tree = parse_tree(Path::new(SETTINGS_FILE), text).ok()?;
    let Value::Map(entries) = &tree.value else {
        return None;
    };
    read(
        entries
            .iter()
            .find(|(key, _)| key.value == name)
            .map(|(_, v)| v),
    )
}

pub fn parse_settings(text: &str) -> Result<Settings, Vec<Diagnostic>> {
    let file = Path::new(SETTINGS_FILE);
    let tree = parse_tree(file, text)?;
    let mut reader = Reader::new(file);
    let raw = raw_settings(&mut reader, &tree);
    let mut check = FieldChecker {
        file,
        problems: reader.problems,
    };
    let Some(raw) = raw else {
        return Err(check.problems);
    };
    let language = match &raw.language {
        None => Language::ZhCn,
        Some(code) => Language::from_code(&code.value).unwrap_or_else(|| {
            check.problems.push(Diagnostic::error(
                "invalid-language",
                file,
                code.loc,
                Wording::new("diag_invalid_language").arg("value", &code.value),
            ));
            Language::ZhCn
        }),
    };
    if raw.title.value.trim().is_empty() {
        check.problems.push(Diagnostic::error(
            "missing-title",
            file,
            raw.title.loc,
            Wording::new("diag_room_title_empty"),
        ));
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
            check.problems.push(Diagnostic::error(
                "invalid-retention",
                file,
                rule.category.loc,
                Wording::new("diag_retention_category").arg("value", &rule.category.value),
            ));
        }
        if anchor.is_none() {
            check.problems.push(Diagnostic::error(
                "invalid-retention",
                file,
                rule.years_after.loc,
                Wording::new("diag_retention_anchor").arg("value", &rule.years_after.value),
            ));
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
    let audiences_loc = raw.audiences.as_ref().map(|a| a.loc).unwrap_or_default();
    let watermark = raw.watermark.unwrap_or(!audiences.is_empty());
    let (nda, nda_loc) = match raw.nda {
        Some(n) => (Some(n.value), n.loc),
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
    let mut error = |code, loc: Loc, key: &'static str, args: &[(&'static str, &str)]| {
        problems.push(Diagnostic::catalogued(code, file, loc, key, args));
    };
    let sections = Section::ALL.map(Section::as_str).join(", ");
    let fields = MaskedField::ALL.map(MaskedField::as_str).join(", ");
    let mut seen: Vec<&RawAudience> = Vec::new();
    let mut out = Vec::new();
    for a in raw {
        let id = a.id.value.as_str();
        let id_loc = a.id.loc;
        if !is_audience_id(id) {
            error(
                "audience-id-invalid",
                id_loc,
                "audience_id_invalid",
                &[("id", id)],
            );
        } else if let Some(first) = seen.iter().find(|f| f.id.value == id) {
            let first = first.id.loc;
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
                a.name.loc,
                "audience_name_empty",
                &[("id", id)],
            );
        }
        let mut sees = std::collections::BTreeSet::new();
        match &a.sees.value {
            RawSees::Word(w) if w == "all" => sees.extend(Section::ALL),
            RawSees::Word(w) => error(
                "audience-section-unknown",
                a.sees.loc,
                "audience_section_unknown",
                &[("name", w), ("sections", &sections)],
            ),
            RawSees::List(list) if list.is_empty() => error(
                "audience-sees-nothing",
                a.sees.loc,
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
                            item.loc,
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
                    item.loc,
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
