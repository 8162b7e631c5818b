//! Retention (归档与销毁): when each part of each record must be destroyed, from
//! the room's `retention` rules and each record's own `retain_until`.

use chrono::{Months, NaiveDate};
use serde::Serialize;

use super::model::{Client, RetentionAnchor, RetentionCategory, Room};

#[derive(Clone, Debug, Serialize)]
pub struct Due {
    pub client_id: String,
    /// `record` (the whole record, from `retain_until`) or a rule's category.
    pub category: &'static str,
    /// What the due date counts from, e.g. `contract_end 2025-01-09 + 3y`.
    pub basis: String,
    /// The same in parts, for the reader's words: the anchor (`retain_until`
    /// or a rule's `years_after`), its date and the years after it.
    #[serde(skip)]
    pub anchor: &'static str,
    #[serde(skip)]
    pub from: Option<NaiveDate>,
    #[serde(skip)]
    pub years: u32,
    pub due: NaiveDate,
}

pub fn category_name(c: RetentionCategory) -> &'static str {
    match c {
        RetentionCategory::Clients => "clients",
        RetentionCategory::Contracts => "contracts",
        RetentionCategory::Payments => "payments",
        RetentionCategory::Services => "services",
    }
}

pub fn anchor_name(a: RetentionAnchor) -> &'static str {
    match a {
        RetentionAnchor::ContractEnd => "contract_end",
        RetentionAnchor::LastPayment => "last_payment",
        RetentionAnchor::LastService => "last_service",
        RetentionAnchor::Handover => "handover",
    }
}

fn has_data(c: &Client, category: RetentionCategory) -> bool {
    match category {
        RetentionCategory::Clients => true,
        RetentionCategory::Contracts => !c.contracts.is_empty(),
        RetentionCategory::Payments => !c.payments.is_empty(),
        RetentionCategory::Services => !c.services.is_empty(),
    }
}

/// Every due date of every record, sorted by date then client.
pub fn schedule(room: &Room) -> Vec<Due> {
    let mut out = Vec::new();
    for c in &room.clients {
        if let Some(until) = c.retain_until {
            out.push(Due {
                client_id: c.id.clone(),
                category: "record",
                basis: "retain_until".into(),
                anchor: "retain_until",
                from: None,
                years: 0,
                due: until,
            });
        }
        for rule in &room.settings.retention {
            if !has_data(c, rule.category) {
                continue;
            }
            let anchor = match rule.years_after {
                RetentionAnchor::ContractEnd => c.contracts.iter().filter_map(|k| k.end).max(),
                RetentionAnchor::LastPayment => c.last_payment(),
                RetentionAnchor::LastService => c.last_service(),
                RetentionAnchor::Handover => Some(room.settings.handover_date),
            };
            let Some(anchor) = anchor else { continue };
            let Some(due) = anchor.checked_add_months(Months::new(rule.years.saturating_mul(12)))
            else {
                continue;
            };
            out.push(Due {
                client_id: c.id.clone(),
                category: category_name(rule.category),
                basis: format!(
                    "{} {anchor} + {}y",
                    anchor_name(rule.years_after),
                    rule.years
                ),
                anchor: anchor_name(rule.years_after),
                from: Some(anchor),
                years: rule.years,
                due,
            });
        }
    }
    out.sort_by(|a, b| (a.due, &a.client_id, a.category).cmp(&(b.due, &b.client_id, b.category)));
    out
}

/// What is due for destruction on or before `as_of`.
pub fn due_as_of(room: &Room, as_of: NaiveDate) -> Vec<Due> {
    schedule(room)
        .into_iter()
        .filter(|d| d.due <= as_of)
        .collect()
}
