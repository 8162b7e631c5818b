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
        }),
        _ => Err(check.problems),
    }
}
