//! `clients/**/*.yaml` → [`Client`]: the YAML shape, then every value checked.

use std::path::Path;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sha2::Digest;

use super::diagnostic::{Diagnostic, Wording};
use super::files::normalize_reference;
use super::model::*;
use super::yaml::{parse_tree, Located, Node, Reader};

/// A client file as written: every field taken from the YAML nodes by
/// [`raw_client`], which reports each missing, unknown or misshapen field.
struct RawClient {
    /// `None` when missing or misshapen (already a problem): the other fields
    /// are still checked.
    id: Option<Located<String>>,
    name: Option<Located<String>>,
    kind: Option<Located<String>>,
    contact: Option<RawContact>,
    id_number: Option<Located<String>>,
    credit_code: Option<Located<String>>,
    consent: Option<Located<RawConsent>>,
    tags: Vec<String>,
    services: Vec<RawService>,
    contracts: Vec<RawContract>,
    payments: Vec<RawPayment>,
    retain_until: Option<Located<String>>,
    notes: Option<String>,
}

struct RawContact {
    phone: Option<Located<String>>,
    email: Option<Located<String>>,
    address: Option<String>,
}

struct RawConsent {
    given: bool,
    date: Option<Located<String>>,
}

struct RawService {
    date: Located<String>,
    kind: String,
    staff: String,
    notes: Option<String>,
}

struct RawContract {
    id: Located<String>,
    signed: Option<Located<String>>,
    start: Option<Located<String>>,
    end: Option<Located<String>>,
    amount: Located<String>,
    file: Option<Located<String>>,
}

struct RawPayment {
    date: Located<String>,
    amount: Located<String>,
    method: String,
    invoice: Option<String>,
}

/// Reads `node` as a client (`None` when it is not a mapping); every missing,
/// unknown or misshapen field is a problem in `r.problems`.
fn raw_client(r: &mut Reader, node: &Node) -> Option<RawClient> {
    let f = r.fields(
        node,
        "",
        &[
            "id",
            "name",
            "kind",
            "contact",
            "id_number",
            "credit_code",
            "consent",
            "tags",
            "services",
            "contracts",
            "payments",
            "retain_until",
            "notes",
        ],
    )?;
    let id = r.required(&f, "id").and_then(|n| r.text(n, "id"));
    let name = r.required(&f, "name").and_then(|n| r.text(n, "name"));
    let kind = f.get("kind").and_then(|n| r.text(n, "kind"));
    let contact = f.get("contact").and_then(|n| {
        let c = r.fields(n, "contact", &["phone", "email", "address"])?;
        Some(RawContact {
            phone: c.get("phone").and_then(|n| r.text(n, "contact.phone")),
            email: c.get("email").and_then(|n| r.text(n, "contact.email")),
            address: c
                .get("address")
                .and_then(|n| r.text(n, "contact.address"))
                .map(|v| v.value),
        })
    });
    let id_number = f.get("id_number").and_then(|n| r.text(n, "id_number"));
    let credit_code = f.get("credit_code").and_then(|n| r.text(n, "credit_code"));
    let consent = f.get("consent").and_then(|n| {
        let c = r.fields(n, "consent", &["given", "date"])?;
        let given = r
            .required(&c, "given")
            .and_then(|g| r.flag(g, "consent.given"));
        let date = c.get("date").and_then(|d| r.text(d, "consent.date"));
        Some(Located {
            value: RawConsent {
                given: given?,
                date,
            },
            loc: n.loc,
        })
    });
    let tags = r
        .list(f.get("tags"), "tags")
        .iter()
        .filter_map(|t| r.text(t, "tags").map(|t| t.value))
        .collect();
    let services = r
        .list(f.get("services"), "services")
        .iter()
        .filter_map(|n| {
            let s = r.fields(n, "services", &["date", "type", "staff", "notes"])?;
            let date = r
                .required(&s, "date")
                .and_then(|n| r.text(n, "services.date"));
            let kind = r
                .required(&s, "type")
                .and_then(|n| r.text(n, "services.type"));
            let staff = r
                .required(&s, "staff")
                .and_then(|n| r.text(n, "services.staff"));
            let notes = s.get("notes").and_then(|n| r.text(n, "services.notes"));
            Some(RawService {
                date: date?,
                kind: kind?.value,
                staff: staff?.value,
                notes: notes.map(|n| n.value),
            })
        })
        .collect();
    let contracts = r
        .list(f.get("contracts"), "contracts")
        .iter()
        .filter_map(|n| {
            let c = r.fields(
                n,
                "contracts",
                &["id", "signed", "start", "end", "amount", "file"],
            )?;
            let id = r.required(&c, "id").and_then(|n| r.text(n, "contracts.id"));
            let amount = r
                .required(&c, "amount")
                .and_then(|n| r.text(n, "contracts.amount"));
            let mut optional = |name: &str, field: &str| c.get(name).and_then(|n| r.text(n, field));
            Some(RawContract {
                signed: optional("signed", "contracts.signed"),
                start: optional("start", "contracts.start"),
                end: optional("end", "contracts.end"),
                file: optional("file", "contracts.file"),
                id: id?,
                amount: amount?,
            })
        })
        .collect();
    let payments = r
        .list(f.get("payments"), "payments")
        .iter()
        .filter_map(|n| {
            let p = r.fields(n, "payments", &["date", "amount", "method", "invoice"])?;
            let date = r
                .required(&p, "date")
                .and_then(|n| r.text(n, "payments.date"));
            let amount = r
                .required(&p, "amount")
                .and_then(|n| r.text(n, "payments.amount"));
            let method = r
                .required(&p, "method")
                .and_then(|n| r.text(n, "payments.method"));
            let invoice = p.get("invoice").and_then(|n| r.text(n, "payments.invoice"));
            Some(RawPayment {
                date: date?,
                amount: amount?,
                method: method?.value,
                invoice: invoice.map(|i| i.value),
            })
        })
        .collect();
    let retain_until = f
        .get("retain_until")
        .and_then(|n| r.text(n, "retain_until"));
    let notes = f
        .get("notes")
        .and_then(|n| r.text(n, "notes"))
        .map(|n| n.value);
    Some(RawClient {
        id,
        name,
        kind,
        contact,
        id_number,
        credit_code,
        consent,
        tags,
        services,
        contracts,
        payments,
        retain_until,
        notes,
    })
}

/// Collects the value problems of one file so all of them are reported together.
pub(crate) struct FieldChecker<'a> {
    pub file: &'a Path,
    pub problems: Vec<Diagnostic>,
}

impl FieldChecker<'_> {
    pub fn date(&mut self, v: &Located<String>, field: &str) -> Option<NaiveDate> {
        match NaiveDate::parse_from_str(v.value.trim(), "%Y-%m-%d") {
            Ok(d) if v.value.trim().len() == 10 => Some(d),
            _ => {
                self.problems.push(Diagnostic::error(
                    "invalid-date",
                    self.file,
                    v.loc,
                    Wording::new("diag_invalid_date")
                        .arg("value", &v.value)
                        .arg("name", field),
                ));
                None
            }
        }
    }

    pub fn opt_date(&mut self, v: &Option<Located<String>>, field: &str) -> Option<NaiveDate> {
        v.as_ref().and_then(|v| self.date(v, field))
    }

    pub fn amount(&mut self, v: &Located<String>, field: &str) -> Option<Decimal> {
        let text = v.value.trim().replace(['_', ','], "");
        let parsed = text
            .parse::<Decimal>()
            .ok()
            .filter(|d| d.scale() <= 2 && !d.is_sign_negative() && !text.contains(['e', 'E']));
        if parsed.is_none() {
            self.problems.push(Diagnostic::error(
                "invalid-amount",
                self.file,
                v.loc,
                Wording::new("diag_invalid_amount")
                    .arg("value", &v.value)
                    .arg("name", field),
            ));
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
    let tree = parse_tree(rel, text)?;
    let mut reader = Reader::new(rel);
    let raw = raw_client(&mut reader, &tree);
    let mut check = FieldChecker {
        file: rel,
        problems: reader.problems,
    };
    let Some(raw) = raw else {
        return Err(check.problems);
    };

    if let Some(id) = raw.id.as_ref().filter(|id| !is_safe_id(&id.value)) {
        check.problems.push(Diagnostic::error(
            "unsafe-id",
            rel,
            id.loc,
            Wording::new("diag_unsafe_id").arg("id", &id.value),
        ));
    }
    if let Some(name) = raw.name.as_ref().filter(|n| n.value.trim().is_empty()) {
        check.problems.push(Diagnostic::error(
            "missing-name",
            rel,
            name.loc,
            Wording::new("diag_client_name_empty"),
        ));
    }
    let kind = match raw.kind.as_ref().map(|k| k.value.as_str()) {
        None | Some("individual") => ClientKind::Individual,
        Some("company") => ClientKind::Company,
        Some(other) => {
            let loc = raw.kind.as_ref().map(|k| k.loc).unwrap_or_default();
            check.problems.push(Diagnostic::error(
                "invalid-kind",
                rel,
                loc,
                Wording::new("diag_invalid_kind").arg("value", other),
            ));
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
                kind: Word::new(&s.kind),
                staff: Word::new(&s.staff),
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
                method: Word::new(&p.method),
                invoice: p.invoice.clone(),
            })
        })
        .collect();
    let retain_until = check.opt_date(&raw.retain_until, "retain_until");

    let (Some(id), Some(name), true) = (raw.id, raw.name, check.problems.is_empty()) else {
        return Err(check.problems);
    };
    let contact = raw.contact.as_ref();
    let spanned_loc = |v: &Option<Located<String>>| v.as_ref().map(|v| v.loc.into());
    Ok(Client {
        locs: ClientLocs {
            id: id.loc.into(),
            phone: contact.and_then(|c| spanned_loc(&c.phone)),
            email: contact.and_then(|c| spanned_loc(&c.email)),
            id_number: spanned_loc(&raw.id_number),
            credit_code: spanned_loc(&raw.credit_code),
            consent: raw.consent.as_ref().map(|c| c.loc.into()),
            latest_service: latest_service_index(&services)
                .and_then(|i| raw.services.get(i))
                .map(|s| s.date.loc.into()),
            retain_until: spanned_loc(&raw.retain_until),
        },
        id: id.value,
        name: name.value,
        kind,
        contact: Contact {
            phone_parsed: contact
                .and_then(|c| c.phone.as_ref())
                .map(|p| super::quality::parse_phone(&p.value)),
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
        sha256: sha2::Sha256::digest(text.as_bytes()).into(),
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
            check.problems.push(Diagnostic::error(
                "contract-ends-before-start",
                check.file,
                end_v.loc,
                Wording::new("diag_contract_ends_before_start")
                    .arg("contract", &c.id.value)
                    .arg("end", e)
                    .arg("start", s),
            ));
        }
    }
    let file = match &c.file {
        None => None,
        Some(f) => match normalize_reference(f.value.trim()) {
            Ok(path) => Some(path),
            Err(stem) => {
                check.problems.push(Diagnostic::error(
                    "attachment-outside-room",
                    check.file,
                    f.loc,
                    Wording::new(stem).arg("file", &f.value),
                ));
                None
            }
        },
    };
    Some(Contract {
        file_loc: c.file.as_ref().map(|f| f.loc).unwrap_or_default(),
        id: c.id.value.clone(),
        signed,
        start,
        end,
        amount: amount?,
        file,
    })
}
