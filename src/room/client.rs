//! `clients/**/*.yaml` → [`Client`]: the YAML shape, then every value checked.

use std::path::Path;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use sha2::Digest;

use super::diagnostic::{Diagnostic, Loc};
use super::files::normalize_reference;
use super::model::*;
use super::yaml::{parse_yaml, S};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    id: S<String>,
    name: S<String>,
    kind: Option<S<String>>,
    contact: Option<RawContact>,
    id_number: Option<S<String>>,
    credit_code: Option<S<String>>,
    consent: Option<S<RawConsent>>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    services: Vec<RawService>,
    #[serde(default)]
    contracts: Vec<RawContract>,
    #[serde(default)]
    payments: Vec<RawPayment>,
    retain_until: Option<S<String>>,
    notes: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContact {
    phone: Option<S<String>>,
    email: Option<S<String>>,
    address: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConsent {
    given: bool,
    date: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    date: S<String>,
    #[serde(rename = "type")]
    kind: String,
    staff: String,
    notes: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContract {
    id: S<String>,
    signed: Option<S<String>>,
    start: Option<S<String>>,
    end: Option<S<String>>,
    amount: S<String>,
    file: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPayment {
    date: S<String>,
    amount: S<String>,
    method: String,
    invoice: Option<String>,
}

/// Collects the value problems of one file so all of them are reported together.
pub(crate) struct FieldChecker<'a> {
    pub file: &'a Path,
    pub problems: Vec<Diagnostic>,
}

impl FieldChecker<'_> {
    pub fn date(&mut self, v: &S<String>, field: &str) -> Option<NaiveDate> {
        match NaiveDate::parse_from_str(v.value.trim(), "%Y-%m-%d") {
            Ok(d) if v.value.trim().len() == 10 => Some(d),
            _ => {
                self.problems.push(
                    Diagnostic::error(
                        "invalid-date",
                        self.file,
                        Loc::from(&v.referenced),
                        format!("`{}` is not a valid date for `{field}`", v.value),
                    )
                    .help("write dates as YYYY-MM-DD, e.g. 2024-03-01, and check that the month and day exist"),
                );
                None
            }
        }
    }

    pub fn opt_date(&mut self, v: &Option<S<String>>, field: &str) -> Option<NaiveDate> {
        v.as_ref().and_then(|v| self.date(v, field))
    }

    pub fn amount(&mut self, v: &S<String>, field: &str) -> Option<Decimal> {
        let text = v.value.trim().replace(['_', ','], "");
        let parsed = text
            .parse::<Decimal>()
            .ok()
            .filter(|d| d.scale() <= 2 && !d.is_sign_negative() && !text.contains(['e', 'E']));
        if parsed.is_none() {
            self.problems.push(
                Diagnostic::error(
                    "invalid-amount",
                    self.file,
                    Loc::from(&v.referenced),
                    format!("`{}` is not a valid amount for `{field}`", v.value),
                )
                .help("write amounts as plain numbers in yuan with at most two decimals, e.g. 12000 or 1299.50"),
            );
        }
        parsed.map(|d| d.round_dp(2))
    }
}

pub(crate) fn is_safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Parses and checks one client file. All value problems of the file are returned together.
pub fn parse_client(rel: &Path, text: &str) -> Result<Client, Vec<Diagnostic>> {
    let raw: RawClient = parse_yaml(rel, text, 0, 0).map_err(|d| vec![d])?;
    let mut check = FieldChecker {
        file: rel,
        problems: Vec::new(),
    };

    if !is_safe_id(&raw.id.value) {
        check.problems.push(
            Diagnostic::error(
                "unsafe-id",
                rel,
                Loc::from(&raw.id.referenced),
                format!("client id `{}` may only contain letters, digits, `-` and `_`", raw.id.value),
            )
            .help("use an id like HX-00010; ids become parts of links and must not contain `/`, `.` or spaces"),
        );
    }
    if raw.name.value.trim().is_empty() {
        check.problems.push(
            Diagnostic::error(
                "missing-name",
                rel,
                Loc::from(&raw.name.referenced),
                "the client name is empty",
            )
            .help("write the client's full name or company name"),
        );
    }
    let kind = match raw.kind.as_ref().map(|k| k.value.as_str()) {
        None | Some("individual") => ClientKind::Individual,
        Some("company") => ClientKind::Company,
        Some(other) => {
            let loc = raw
                .kind
                .as_ref()
                .map(|k| Loc::from(&k.referenced))
                .unwrap_or_default();
            check.problems.push(
                Diagnostic::error(
                    "invalid-kind",
                    rel,
                    loc,
                    format!("unknown client kind `{other}`"),
                )
                .help(
                    "write `kind: individual` for a person or `kind: company` for an organisation",
                ),
            );
            ClientKind::Individual
        }
    };

    let consent = raw.consent.as_ref().map(|c| Consent {
        given: c.value.given,
        date: check.opt_date(&c.value.date, "consent.date"),
    });
    let services: Vec<Service> = raw
        .services
        .iter()
        .filter_map(|s| {
            Some(Service {
                date: check.date(&s.date, "services.date")?,
                kind: s.kind.clone(),
                staff: s.staff.clone(),
                notes: s.notes.clone(),
            })
        })
        .collect();
    let contracts = raw
        .contracts
        .iter()
        .filter_map(|c| contract(&mut check, c))
        .collect();
    let payments = raw
        .payments
        .iter()
        .filter_map(|p| {
            let date = check.date(&p.date, "payments.date");
            let amount = check.amount(&p.amount, "payments.amount");
            Some(Payment {
                date: date?,
                amount: amount?,
                method: p.method.clone(),
                invoice: p.invoice.clone(),
            })
        })
        .collect();
    let retain_until = check.opt_date(&raw.retain_until, "retain_until");

    if !check.problems.is_empty() {
        return Err(check.problems);
    }
    let contact = raw.contact.as_ref();
    let spanned_loc = |v: &Option<S<String>>| v.as_ref().map(|v| Loc::from(&v.referenced));
    Ok(Client {
        locs: ClientLocs {
            id: Loc::from(&raw.id.referenced),
            phone: contact.and_then(|c| spanned_loc(&c.phone)),
            email: contact.and_then(|c| spanned_loc(&c.email)),
            id_number: spanned_loc(&raw.id_number),
            credit_code: spanned_loc(&raw.credit_code),
            consent: raw.consent.as_ref().map(|c| Loc::from(&c.referenced)),
            latest_service: latest_service_index(&services)
                .and_then(|i| raw.services.get(i))
                .map(|s| Loc::from(&s.date.referenced)),
            retain_until: spanned_loc(&raw.retain_until),
        },
        id: raw.id.value,
        name: raw.name.value,
        kind,
        contact: Contact {
            phone: contact.and_then(|c| c.phone.as_ref().map(|p| p.value.clone())),
            email: contact.and_then(|c| c.email.as_ref().map(|p| p.value.clone())),
            address: contact.and_then(|c| c.address.clone()),
        },
        id_number: raw.id_number.map(|v| v.value),
        credit_code: raw.credit_code.map(|v| v.value),
        consent,
        tags: raw.tags,
        services,
        contracts,
        payments,
        retain_until,
        notes: raw.notes,
        file: rel.to_path_buf(),
        sha256: super::document::hex(&sha2::Sha256::digest(text.as_bytes())),
    })
}

/// The position of the latest service in the list (the list need not be in date
/// order); on a tie, the later entry.
fn latest_service_index(services: &[Service]) -> Option<usize> {
    services
        .iter()
        .enumerate()
        .max_by_key(|(_, s)| s.date)
        .map(|(i, _)| i)
}

fn contract(check: &mut FieldChecker, c: &RawContract) -> Option<Contract> {
    let signed = check.opt_date(&c.signed, "contracts.signed");
    let start = check.opt_date(&c.start, "contracts.start");
    let end = check.opt_date(&c.end, "contracts.end");
    let amount = check.amount(&c.amount, "contracts.amount");
    if let (Some(s), Some(e), Some(end_v)) = (start, end, c.end.as_ref()) {
        if e < s {
            check.problems.push(
                Diagnostic::error(
                    "contract-ends-before-start",
                    check.file,
                    Loc::from(&end_v.referenced),
                    format!(
                        "contract `{}` ends ({e}) before it starts ({s})",
                        c.id.value
                    ),
                )
                .help("check the start and end dates of the contract"),
            );
        }
    }
    let file = match &c.file {
        None => None,
        Some(f) => match normalize_reference(f.value.trim()) {
            Ok(path) => Some(path),
            Err(what) => {
                check.problems.push(
                    Diagnostic::error(
                        "attachment-outside-room",
                        check.file,
                        Loc::from(&f.referenced),
                        format!("`{}` is {what}; attachments must be inside the room's attachments/ folder", f.value),
                    )
                    .help("copy the file into attachments/ and write its path relative to the room, e.g. attachments/contracts/C-2024-001.pdf"),
                );
                None
            }
        },
    };
    Some(Contract {
        file_loc: c
            .file
            .as_ref()
            .map(|f| Loc::from(&f.referenced))
            .unwrap_or_default(),
        id: c.id.value.clone(),
        signed,
        start,
        end,
        amount: amount?,
        file,
    })
}
