//! The handover documents, generated from the records so they are always complete
//! and agree with the signed manifest: 移交清单, 移交确认书, PIPL Art. 22 notices,
//! the data-quality report, the retention schedule and destruction certificate,
//! the impact assessment, and the buyer's exports.

use std::collections::BTreeMap;
use std::collections::HashMap;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::registry::Counts;
use super::rows::{Cell, Column, Kind, Row, Rows, Table};
use super::views::route_url;
use super::{moved_into_object, Extras};
use crate::room::document::hex;
use crate::room::retention;
use crate::room::{Client, ClientKind, DocKind, Room};

use crate::i18n::{fill, text as t};

fn json_hash(v: &impl serde::Serialize) -> String {
    hex(&Sha256::digest(serde_json::to_vec(v).unwrap_or_default()))
}

/// The context of one handover page (its route, template and title are in
/// the page registry, `registry::HANDOVER`).
pub fn page(
    route: &str,
    room: &Room,
    extras: &Extras,
    strings: &HashMap<String, String>,
    counts: &Counts,
) -> Option<(Value, Vec<Table>)> {
    if route == "handover/checklist" {
        return Some(checklist(room, counts));
    }
    if route == "handover/notices" {
        return Some(notices(room, strings));
    }
    if route == "handover/retention" {
        return Some(retention_view(room, strings));
    }
    Some((
        handover_context(route, room, extras, strings, counts)?,
        Vec::new(),
    ))
}

fn handover_context(
    route: &str,
    room: &Room,
    extras: &Extras,
    strings: &HashMap<String, String>,
    counts: &Counts,
) -> Option<Value> {
    Some(match route {
        "handover/confirmation" => confirmation(room, extras, strings, counts),
        "handover/quality" => quality(extras, strings),
        "handover/destruction" => destruction(room, strings),
        "handover/impact" => impact(room, extras),
        "handover/exports" => json!({}),
        _ => return None,
    })
}

/// The 移交清单: its per-client groups (clients, then services, contracts and
/// payments) are row data with a tick box per row (`rows.rs`: a virtual list
/// in the sealed room, keyed by item id); documents and attachments stay HTML.
fn checklist(room: &Room, counts: &Counts) -> (Value, Vec<Table>) {
    let text = || Column::new(Kind::Text, "");
    let tick = |item: String, label: &str| Cell::tick(item, label);
    let clients = Table {
        name: "checklist_clients".into(),
        columns: vec![text(), text(), text(), Column::new(Kind::Text, "hash")],
        rows: room
            .clients
            .iter()
            .map(|c| Row {
                k: String::new(),
                c: vec![
                    tick(format!("c-{}", c.id), &c.id),
                    Cell::link(route_url(&format!("clients/{}", c.id)), c.id.clone()),
                    Cell::text(c.name.clone()),
                    Cell::text(hex(&c.sha256)),
                ],
            })
            .collect(),
    };
    let part = |key: &str, f: &dyn Fn(&Client) -> (usize, String)| -> Table {
        Table {
            name: format!("checklist_{key}"),
            columns: vec![
                text(),
                Column::new(Kind::Text, "nowrap"),
                text(),
                Column::new(Kind::Num, "num"),
                Column::new(Kind::Text, "hash"),
            ],
            rows: room
                .clients
                .iter()
                .filter_map(|c| {
                    let (n, hash) = f(c);
                    (n > 0).then(|| Row {
                        k: String::new(),
                        c: vec![
                            tick(format!("{key}-{}", c.id), &c.id),
                            Cell::text(c.id.clone()),
                            Cell::text(c.name.clone()),
                            Cell::text(n.to_string()),
                            Cell::text(hash),
                        ],
                    })
                })
                .collect(),
        }
    };
    let parts = [
        part("services", &|c| (c.services.len(), json_hash(&c.services))),
        part("contracts", &|c| {
            (c.contracts.len(), json_hash(&c.contracts))
        }),
        part("payments", &|c| (c.payments.len(), json_hash(&c.payments))),
    ];
    let docs: Vec<Value> = room
        .documents
        .iter()
        .map(|d| json!({"route": d.route(), "title": d.title, "kind": d.kind, "sha256": d.sha256, "file": d.file.to_string_lossy().replace('\\', "/")}))
        .collect();
    let attachments: Vec<Value> = room
        .attachments
        .iter()
        .map(|a| json!({"path": a.path, "size": a.size, "sha256": a.sha256}))
        .collect();
    let ctx = json!({
        "parts": ["services", "contracts", "payments"],
        "documents": docs, "attachments": attachments,
        "counts": counts,
    });
    let mut tables = vec![clients];
    tables.extend(parts);
    (ctx, tables)
}

fn confirmation(
    room: &Room,
    extras: &Extras,
    strings: &HashMap<String, String>,
    n: &Counts,
) -> Value {
    let s = &room.settings;
    let counts = json!([
        ["basic_info", n.clients],
        ["services", n.services],
        ["contracts", n.contracts],
        ["payments", n.payments],
        ["policies", n.policies],
        ["checklists", n.checklists],
        ["training", n.training],
        ["attachments", n.attachments],
    ]);
    // Two categories a row: the confirmation must fit one A4 page with its signatures.
    let counts_rows: Vec<Value> = counts
        .as_array()
        .map(|a| {
            a.chunks(2)
                .map(|pair| Value::Array(pair.to_vec()))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "room": {"title": s.title, "seller": s.seller, "buyer": s.buyer, "supervisor": s.supervisor, "handover_date": s.handover_date.to_string()},
        "counts_rows": counts_rows,
        "counts": counts,
        "key_id": extras.signing.as_ref().map(|k| k.key_id.clone()),
        "fingerprint": extras.signing.as_ref().map(|k| k.fingerprint.clone()),
        "audiences": extras.audiences.iter().map(|a| json!({
            "name": a.name,
            "sections": a.sees.0.iter().map(|s| t(strings, s.title_key())).collect::<Vec<_>>().join(t(strings, "list_separator")),
        })).collect::<Vec<_>>(),
    })
}

/// The categories of personal information a client's record holds, in words.
fn categories(c: &Client, strings: &HashMap<String, String>) -> String {
    let mut parts = vec![t(strings, "notice_cat_basic").to_string()];
    if c.id_number.is_some() {
        parts.push(t(strings, "id_number").into());
    }
    for (present, key) in [
        (!c.services.is_empty(), "services"),
        (!c.contracts.is_empty(), "contracts"),
        (!c.payments.is_empty(), "payments"),
    ] {
        if present {
            parts.push(t(strings, key).into());
        }
    }
    parts.join(t(strings, "list_separator"))
}

pub struct Notice {
    pub client_id: String,
    pub name: String,
    pub phone: String,
    pub address: String,
    pub text: String,
}

/// One PIPL Art. 22 notice per client, as text (also the mail-merge column).
pub fn notice_texts<'a>(
    room: &'a Room,
    strings: &'a HashMap<String, String>,
) -> impl Iterator<Item = Notice> + 'a {
    let s = &room.settings;
    let date = crate::i18n::long_date(strings, s.handover_date);
    // One at a time: every client's letter together is ~200 MB at 100,000 clients.
    room.clients.iter().map(move |c| {
        let text = t(strings, "notice_body")
            .replace("{client}", &c.name)
            .replace("{seller}", &s.seller.name)
            .replace("{buyer}", &s.buyer.name)
            .replace("{buyer_contact}", &s.buyer.contact)
            .replace("{categories}", &categories(c, strings))
            .replace("{date}", &date);
        Notice {
            client_id: c.id.clone(),
            name: c.name.clone(),
            phone: c.contact.phone.clone().unwrap_or_default(),
            address: c.contact.address.clone().unwrap_or_default(),
            text,
        }
    })
}

/// The printable notices: recipient's address block, text, then the sender
/// (the seller, with room for its seal) and the date as written in letters.
/// One row per notice (client id, recipient, address, text), filled into the
/// template's row form (`rows.rs`): a virtual list in the sealed room.
fn notices(room: &Room, strings: &HashMap<String, String>) -> (Value, Vec<Table>) {
    let s = &room.settings;
    let rows: Rows = notice_texts(room, strings)
        .map(|n| Row {
            k: String::new(),
            c: vec![
                Cell::text(n.client_id),
                Cell::text(fill(t(strings, "notice_recipient"), &[("name", &n.name)])),
                Cell::text(n.address),
                Cell::text(n.text),
            ],
        })
        .collect();
    let ctx = json!({
        "count": rows.len(),
        "sender": fill(t(strings, "notice_sender"), &[("seller", &s.seller.name)]),
        "date": crate::i18n::long_date(strings, s.handover_date),
    });
    let table = Table {
        name: "notices".into(),
        columns: vec![Column::new(Kind::Text, ""); 4],
        rows,
    };
    (ctx, vec![table])
}

pub fn notices_csv(
    room: &Room,
    strings: &HashMap<String, String>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let rows = notice_texts(room, strings).map(|n| {
        vec![
            n.client_id,
            n.name,
            n.phone,
            n.address,
            n.text.replace("\n\n", "\n"),
        ]
    });
    super::views::write_csv(
        out,
        strings,
        &["client_id", "name", "phone", "address", "notice"],
        rows,
    )
}

fn quality(extras: &Extras, strings: &HashMap<String, String>) -> Value {
    let mut groups: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for d in extras.findings {
        let (message, help) = d.worded(strings);
        let field = d
            .field
            .as_deref()
            .map(|f| crate::i18n::field_label(strings, f));
        groups.entry(d.code).or_default().push(json!({
            "client": d.client, "field": field, "message": message, "help": help,
            "file": d.file.to_string_lossy().replace('\\', "/"), "line": d.loc.line,
        }));
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(code, items)| {
            let key = format!("finding_{}", code.replace('-', "_"));
            let title = strings
                .get(&key)
                .cloned()
                .unwrap_or_else(|| code.to_string());
            moved_into_object([
                ("code", json!(code)),
                ("title", json!(title)),
                ("items", Value::Array(items)),
            ])
        })
        .collect();
    moved_into_object([
        ("groups", Value::Array(groups)),
        ("total", json!(extras.findings.len())),
    ])
}

/// A retention category in the reader's words (合同协议, 整条客户记录 …).
fn category_label<'a>(strings: &'a HashMap<String, String>, category: &str) -> &'a str {
    strings
        .get(&format!("retention_category_{category}"))
        .map_or("", String::as_str)
}

fn anchor_label<'a>(strings: &'a HashMap<String, String>, anchor: &str) -> &'a str {
    strings
        .get(&format!("retention_anchor_{anchor}"))
        .map_or("", String::as_str)
}

/// Why a record is due, in words: 合同结束（2024-05-09）后 3 年.
fn basis_label(strings: &HashMap<String, String>, d: &retention::Due) -> String {
    match d.from {
        None => t(strings, "retention_basis_retain_until").to_string(),
        Some(from) => fill(
            t(strings, "retention_basis_rule"),
            &[
                ("anchor", anchor_label(strings, d.anchor)),
                ("date", &from.to_string()),
                ("years", &d.years.to_string()),
            ],
        ),
    }
}

/// The retention schedule: one row per record and category, sorted by due
/// date, as row data like the indexes (at 100,000 clients it has hundreds of
/// thousands of rows); a row due by the handover date is `overdue`.
fn retention_view(room: &Room, strings: &HashMap<String, String>) -> (Value, Vec<Table>) {
    let today = room.settings.handover_date;
    let text = || Column::new(Kind::Text, "");
    let due_now = t(strings, "due_now");
    let table = Table {
        name: "retention".into(),
        columns: vec![Column::new(Kind::Text, "nowrap"), text(), text(), text()],
        rows: retention::schedule(room)
            .into_iter()
            .map(|d| {
                let overdue = d.due <= today;
                let due = Cell::text(d.due.to_string());
                Row {
                    k: if overdue {
                        "overdue".into()
                    } else {
                        String::new()
                    },
                    c: vec![
                        if overdue {
                            due.badges(vec![due_now.to_string()])
                        } else {
                            due
                        },
                        Cell::link(
                            route_url(&format!("clients/{}", d.client_id)),
                            d.client_id.clone(),
                        ),
                        Cell::text(category_label(strings, d.category)),
                        Cell::text(basis_label(strings, &d)),
                    ],
                }
            })
            .collect(),
    };
    let rules: Vec<String> = room
        .settings
        .retention
        .iter()
        .map(|r| {
            fill(
                t(strings, "retention_rule"),
                &[
                    (
                        "category",
                        category_label(strings, retention::category_name(r.category)),
                    ),
                    (
                        "anchor",
                        anchor_label(strings, retention::anchor_name(r.years_after)),
                    ),
                    ("years", &r.years.to_string()),
                ],
            )
        })
        .collect();
    let ctx = json!({"count": table.rows.len(), "rules": rules, "as_of": today.to_string()});
    (ctx, vec![table])
}

fn destruction(room: &Room, strings: &HashMap<String, String>) -> Value {
    let as_of = room.settings.handover_date;
    let mut by_client: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for d in retention::due_as_of(room, as_of) {
        by_client
            .entry(d.client_id)
            .or_default()
            .push(category_label(strings, d.category));
    }
    // Record ids and categories only: a destruction certificate carries no personal data.
    let rows: Vec<Value> = by_client
        .into_iter()
        .map(|(id, cats)| json!({"client_id": id, "categories": cats.join(t(strings, "list_separator"))}))
        .collect();
    moved_into_object([
        ("rows", Value::Array(rows)),
        ("as_of", json!(as_of.to_string())),
        ("seller", json!(room.settings.seller.name)),
    ])
}

fn impact(room: &Room, extras: &Extras) -> Value {
    let individuals: Vec<&Client> = room
        .clients
        .iter()
        .filter(|c| c.kind == ClientKind::Individual)
        .collect();
    let n = room.clients.len().max(1);
    let consented = room
        .clients
        .iter()
        .filter(|c| c.consent.as_ref().is_some_and(|k| k.given))
        .count();
    let with_schedule = room
        .clients
        .iter()
        .filter(|c| c.contact.address.is_some() && !c.services.is_empty())
        .count();
    // Records with anything due, counted once each.
    let past_retention = retention::due_as_of(room, room.settings.handover_date)
        .into_iter()
        .map(|d| d.client_id)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let assessment = room
        .documents_of(DocKind::Policy)
        .find(|d| d.slug == "impact-assessment")
        .map(|d| super::markdown::render_titled(&d.body, &d.route(), Some(&d.title)).html);
    json!({
        "individuals": individuals.len(),
        "companies": room.clients.len() - individuals.len(),
        "id_numbers": room.clients.iter().filter(|c| c.id_number.is_some()).count(),
        "addresses": room.clients.iter().filter(|c| c.contact.address.is_some()).count(),
        "addresses_with_schedule": with_schedule,
        "phones": room.clients.iter().filter(|c| c.contact.phone.is_some()).count(),
        "consented": consented,
        "consent_percent": consented * 100 / n,
        "past_retention": past_retention,
        "findings": extras.findings.len(),
        "cipher": "AES-256-GCM",
        "kdf": "PBKDF2-HMAC-SHA256",
        "kdf_iterations": extras.kdf_iterations,
        "key_id": extras.signing.as_ref().map(|k| k.key_id.clone()),
        "assessment": assessment,
        "handover_date": room.settings.handover_date.to_string(),
        "keep_until": room.settings.handover_date.checked_add_months(chrono::Months::new(36)).map(|d| d.to_string()),
    })
}
