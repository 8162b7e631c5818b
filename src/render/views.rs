//! What each template sees. Totals and counts are computed here, in exact
//! decimals, so templates only lay them out.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use rust_decimal::Decimal;
use serde_json::{json, Value};
use tera::Context;

use super::markdown;
use super::registry::{self, Job, NavGroup, PageSpec, Section, Sees};
use super::rows::{self, Cell, Column, Kind, Row, Rows, Table};
use super::{
    doc_kind_label, encode_route, handover, moved_into_object, Engine, Extras, Page, Selection,
};
use crate::room::diagnostic::Diagnostic;
use crate::room::{Client, ClientKind, DocKind, Document, Room};

/// `12345.5` → `12,345.50`: exact, grouped by thousands.
pub fn money(d: Decimal) -> String {
    let s = format!("{:.2}", d.round_dp(2));
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    format!("{sign}{}.{frac}", crate::i18n::grouped(digits))
}

/// `#/route`, as the templates' `url(route=…)` writes it.
pub(super) fn route_url(route: &str) -> String {
    format!("#/{}", encode_route(route))
}

/// `#/file/path`, as the templates' `url(file=…)` writes it.
fn file_url(path: &str) -> String {
    format!("#/file/{}", encode_route(path))
}

/// A numbered section of the room index: title, its own page, its items (route, title).
type IndexSection = (String, Option<String>, Vec<(String, String)>);

pub struct RoomView<'a> {
    room: &'a Room,
    strings: &'a HashMap<String, String>,
    selection: Selection,
    extras: &'a Extras<'a>,
    sees: &'a Sees,
    /// Index tables' rows as data only, not in the page's HTML (the sealed
    /// site stores them as shards: `rows::place_without_rows`).
    pub rows_as_data: bool,
}

use crate::i18n::text as t;

impl<'a> RoomView<'a> {
    pub fn new(
        room: &'a Room,
        strings: &'a HashMap<String, String>,
        selection: Selection,
        extras: &'a Extras<'a>,
        sees: &'a Sees,
    ) -> Self {
        RoomView {
            room,
            strings,
            selection,
            extras,
            sees,
            rows_as_data: false,
        }
    }

    fn t(&self, key: &'a str) -> &'a str {
        t(self.strings, key)
    }

    fn sees(&self, section: Section) -> bool {
        self.sees.contains(section)
    }

    pub fn site_title(&self) -> String {
        match self.selection {
            Selection::All => self.room.settings.title.clone(),
            // The public training site must not reveal the sale.
            Selection::TrainingOnly => self.t("training_site_title").to_string(),
        }
    }

    fn docs(&self, kind: DocKind) -> impl Iterator<Item = &'a Document> + '_ {
        self.room
            .documents_of(kind)
            .filter(move |_| self.sees(Section::of_doc(kind)))
    }

    /// The pages this reader gets, from the registry.
    pub fn specs(&self) -> Vec<PageSpec> {
        registry::pages(self.room, self.selection, self.sees)
    }

    /// Renders `spec`, one of `specs`: this reader's pages ([`Self::specs`]),
    /// which the room index lists (100,000 client pages: never made twice).
    pub fn render_job(
        &self,
        engine: &Engine,
        specs: &[PageSpec],
        spec: &PageSpec,
    ) -> Result<Page, Diagnostic> {
        if spec.job == Job::Home && self.selection == Selection::TrainingOnly {
            // The public training site opens on its lesson list.
            let index = specs.iter().find(|p| p.job == Job::TrainingIndex);
            if let Some(index) = index {
                return self.render_job(engine, specs, index).map(|p| Page {
                    route: spec.route.clone(),
                    ..p
                });
            }
        }
        let mut tables = Vec::new();
        let mut with_rows = |(ctx, table): (Value, Table)| {
            tables.push(table);
            ctx
        };
        let ctx = match spec.job {
            Job::Home => self.home(),
            Job::Clients => with_rows(self.clients()),
            Job::Client(i) => self.client(&self.room.clients[i]),
            Job::Contracts => with_rows(self.contracts()),
            Job::Payments => with_rows(self.payments()),
            Job::Services => with_rows(self.services()),
            Job::Doc(i) => self.document(&self.room.documents[i]),
            Job::TrainingIndex => self.training(),
            Job::RoomIndex => self.room_index(specs),
            Job::Handover(route) => handover::page(
                route,
                self.room,
                self.extras,
                self.strings,
                &registry::Counts::of(self.room),
            )
            .map(|(ctx, handover_tables)| {
                tables.extend(handover_tables);
                ctx
            })
            .ok_or_else(|| {
                Diagnostic::error(
                    "theme-error",
                    "theme",
                    crate::room::diagnostic::Loc::START,
                    crate::room::diagnostic::Wording::new("diag_no_handover_page")
                        .arg("route", route),
                )
            })?,
        };
        let title = spec.title.text(self.strings);
        let mut ctx = ctx;
        if let Value::Object(values) = &mut ctx {
            values.insert("title".into(), Value::String(title.clone()));
            values.insert("site_title".into(), Value::String(self.site_title()));
            values.insert("sees".into(), json!(self.sees.flags()));
            // Only index pages get `rows` (handover pages have values of that name).
            if !tables.is_empty() {
                let marks: serde_json::Map<String, Value> = tables
                    .iter()
                    .map(|t| (t.name.clone(), Value::String(rows::placeholder(&t.name))))
                    .collect();
                values.insert("rows".into(), Value::Object(marks));
            }
        }
        let html = engine.render_page(spec.template, ctx)?;
        let (html, tables) = match self.rows_as_data {
            true => rows::place_without_rows(html, tables),
            false => rows::place(html, tables),
        };
        Ok(Page {
            route: spec.route.clone(),
            title,
            html,
            tables,
        })
    }

    /// The navigation, from the registry: the main list, the handover
    /// documents, then each kind of document under its heading.
    pub fn nav(&self, engine: &Engine, specs: &[PageSpec]) -> Result<String, Diagnostic> {
        let group = |g: NavGroup| -> Vec<Value> {
            specs
                .iter()
                .filter(|p| p.nav == g)
                .map(|p| json!({"route": p.route, "title": p.title.text(self.strings)}))
                .collect()
        };
        let ctx = json!({
            "site_title": self.site_title(),
            "full": self.selection == Selection::All,
            "main": group(NavGroup::Main),
            "handover": group(NavGroup::Handover),
            "policies": group(NavGroup::Docs(DocKind::Policy)),
            "checklists": group(NavGroup::Docs(DocKind::Checklist)),
            "training": group(NavGroup::Docs(DocKind::Training)),
            "training_index": specs.iter().any(|p| p.job == Job::TrainingIndex),
        });
        engine.render("nav.html", Context::from_value(ctx).unwrap_or_default())
    }

    fn readiness(&self) -> Value {
        let (mut total, mut done) = (0, 0);
        for d in self.docs(DocKind::Checklist) {
            let r = markdown::render(&d.body, &d.route());
            total += r.tasks_total;
            done += r.tasks_done;
        }
        let percent = (done * 100).checked_div(total).unwrap_or(0);
        json!({"total": total, "done": done, "percent": percent})
    }

    /// A checklist on the home page with its progress as written in the source
    /// (the browser replaces it with the ticks kept on this computer, if any).
    fn checklist_link(&self, d: &Document) -> Value {
        let r = markdown::render(&d.body, &d.route());
        let mut link = doc_link(d);
        link["progress"] = Value::String(crate::i18n::fill(
            self.t("checklist_progress"),
            &[
                ("done", &r.tasks_done.to_string()),
                ("total", &r.tasks_total.to_string()),
            ],
        ));
        link
    }

    fn home(&self) -> Value {
        let s = &self.room.settings;
        json!({
            "room": {
                "title": s.title, "seller": s.seller, "buyer": s.buyer, "supervisor": s.supervisor,
                "handover_date": s.handover_date.to_string(),
            },
            "counts": registry::Counts::of(self.room),
            "readiness": self.readiness(),
            "policies": self.docs(DocKind::Policy).map(doc_link).collect::<Vec<_>>(),
            "checklists": self.docs(DocKind::Checklist).map(|d| self.checklist_link(d)).collect::<Vec<_>>(),
            "training": self.docs(DocKind::Training).map(doc_link).collect::<Vec<_>>(),
        })
    }

    /// An amount as the catalogue's `money` form (¥12,800.00), the same on every page.
    fn money(&self, d: Decimal) -> String {
        crate::i18n::fill(self.t("money"), &[("amount", &money(d))])
    }

    fn kind_label(&self, c: &Client) -> &str {
        match c.kind {
            ClientKind::Individual => self.t("individual"),
            ClientKind::Company => self.t("company"),
        }
    }

    /// A link cell to a client's page: its id, then its name when `named`.
    fn client_cell(&self, c: &Client, named: bool) -> Cell {
        let cell = Cell::link(route_url(&format!("clients/{}", c.id)), c.id.clone());
        if named {
            cell.then(c.name.clone())
        } else {
            cell
        }
    }

    /// The clients index: its count; its rows as data (`rows.rs`).
    fn clients(&self) -> (Value, Table) {
        let (services, contracts, payments) = (
            self.sees(Section::Services),
            self.sees(Section::Contracts),
            self.sees(Section::Payments),
        );
        let mut columns = vec![
            Column::new(Kind::Text, ""),
            Column::new(Kind::Text, ""),
            Column::new(Kind::Text, ""),
            Column::new(Kind::Text, ""),
        ];
        let num = || Column::new(Kind::Num, "num");
        columns.extend(services.then(num));
        columns.extend(contracts.then(num));
        columns.extend(payments.then(num));
        columns.extend(contracts.then(num));
        let rows = self
            .room
            .clients
            .iter()
            .map(|c| {
                let mut cells = vec![
                    self.client_cell(c, false),
                    Cell::text(c.name.clone()),
                    Cell::text(self.kind_label(c)),
                    Cell::default().badges(c.tags.clone()),
                ];
                let count = |n: usize| Cell::text(n.to_string());
                cells.extend(services.then(|| count(c.services.len())));
                cells.extend(contracts.then(|| count(c.contracts.len())));
                cells.extend(payments.then(|| count(c.payments.len())));
                cells.extend(contracts.then(|| {
                    Cell::text(self.money(c.contracts_total()))
                        .sorted_by(c.contracts_total().to_string())
                }));
                Row {
                    k: String::new(),
                    c: cells,
                }
            })
            .collect();
        (
            json!({"count": self.room.clients.len()}),
            Table {
                name: "clients".into(),
                columns,
                rows,
            },
        )
    }

    fn client(&self, c: &Client) -> Value {
        let attachments: Vec<Value> = c
            .contracts
            .iter()
            .filter_map(|k| k.file.as_ref())
            .filter_map(|f| self.room.attachments.iter().find(|a| &a.path == f))
            .map(|a| json!({"path": a.path, "name": a.file_name(), "size": a.size}))
            .collect();
        let contracts: Vec<Value> = c
            .contracts
            .iter()
            .map(|k| {
                json!({
                    "id": k.id, "signed": k.signed.map(|d| d.to_string()), "start": k.start.map(|d| d.to_string()),
                    "end": k.end.map(|d| d.to_string()), "amount": self.money(k.amount), "file": k.file,
                })
            })
            .collect();
        let payments: Vec<Value> = c
            .payments
            .iter()
            .map(|p| json!({"date": p.date.to_string(), "amount": self.money(p.amount), "method": p.method, "invoice": p.invoice}))
            .collect();
        let services: Vec<Value> = c
            .services
            .iter()
            .map(|s| json!({"date": s.date.to_string(), "type": s.kind, "staff": s.staff, "notes": s.notes}))
            .collect();
        // Phones as a reader writes them (138 1234 5678, 021 6438 1234).
        let contact = crate::room::Contact {
            phone: c
                .contact
                .phone
                .as_deref()
                .map(|raw| match &c.contact.phone_parsed {
                    Some(parsed) => crate::room::quality::shown_phone(raw, parsed),
                    None => crate::room::quality::display_phone(raw),
                }),
            ..c.contact.clone()
        };
        json!({
            "client": {
                "id": c.id, "name": c.name, "kind": self.kind_label(c), "contact": contact,
                "id_number": c.id_number, "credit_code": c.credit_code,
                "consent": c.consent.as_ref().map(|k| json!({"given": k.given, "date": k.date.map(|d| d.to_string())})),
                "tags": c.tags, "notes": c.notes, "retain_until": c.retain_until.map(|d| d.to_string()),
                "source": c.file.to_string_lossy().replace('\\', "/"),
            },
            "services": services,
            "contracts": contracts,
            "payments": payments,
            "attachments": attachments,
            "contracts_total": self.money(c.contracts_total()),
            "payments_total": self.money(c.payments_total()),
        })
    }

    fn contracts(&self) -> (Value, Table) {
        let mut rows: Vec<(&Client, &crate::room::Contract)> = self
            .room
            .clients
            .iter()
            .flat_map(|c| c.contracts.iter().map(move |k| (c, k)))
            .collect();
        rows.sort_by(|a, b| (a.1.end, &a.1.id).cmp(&(b.1.end, &b.1.id)));
        let total: Decimal = rows.iter().map(|(_, k)| k.amount).sum();
        let today = self.room.settings.handover_date;
        let date =
            |d: Option<chrono::NaiveDate>| Cell::text(d.map_or(String::new(), |d| d.to_string()));
        let rows: Rows = rows
            .iter()
            .map(|(c, k)| {
                let active = k.end.is_none_or(|e| e >= today);
                let end = date(k.end);
                Row {
                    k: if active { "" } else { "expired" }.into(),
                    c: vec![
                        Cell::text(k.id.clone()),
                        self.client_cell(c, true),
                        date(k.signed),
                        date(k.start),
                        if active {
                            end
                        } else {
                            end.badges(vec![self.t("expired").to_string()])
                        },
                        Cell::text(self.money(k.amount)).sorted_by(k.amount.to_string()),
                        k.file.as_ref().map_or_else(Cell::default, |f| {
                            Cell::link(file_url(f), f.rsplit('/').next().unwrap_or(f))
                        }),
                    ],
                }
            })
            .collect();
        let nowrap = |k| Column::new(k, "nowrap");
        (
            json!({"count": rows.len(), "total": self.money(total)}),
            Table {
                name: "contracts".into(),
                columns: vec![
                    nowrap(Kind::Text),
                    Column::new(Kind::Text, ""),
                    nowrap(Kind::Date),
                    nowrap(Kind::Date),
                    nowrap(Kind::Date),
                    Column::new(Kind::Num, "num"),
                    Column::new(Kind::Text, ""),
                ],
                rows,
            },
        )
    }

    fn payments(&self) -> (Value, Table) {
        let mut by_method: BTreeMap<&str, (usize, Decimal)> = BTreeMap::new();
        let mut by_month: BTreeMap<String, (usize, Decimal)> = BTreeMap::new();
        let mut rows = Vec::new();
        let mut total = Decimal::ZERO;
        for c in &self.room.clients {
            for p in &c.payments {
                let m = by_method.entry(p.method.as_str()).or_default();
                m.0 += 1;
                m.1 += p.amount;
                let month = by_month
                    .entry(p.date.format("%Y-%m").to_string())
                    .or_default();
                month.0 += 1;
                month.1 += p.amount;
                total += p.amount;
                rows.push((p.date, c, p));
            }
        }
        rows.sort_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
        let sums = |m: BTreeMap<String, (usize, Decimal)>| -> Vec<Value> {
            m.into_iter()
                .map(|(k, (n, s))| json!({"key": k, "count": n, "total": self.money(s)}))
                .collect()
        };
        let table = Table {
            name: "payments".into(),
            columns: vec![
                Column::new(Kind::Date, "nowrap"),
                Column::new(Kind::Text, ""),
                Column::new(Kind::Num, "num"),
                Column::new(Kind::Text, ""),
                Column::new(Kind::Text, ""),
            ],
            rows: rows
                .iter()
                .map(|(_, c, p)| Row {
                    k: String::new(),
                    c: vec![
                        Cell::text(p.date.to_string()),
                        self.client_cell(c, true),
                        Cell::text(self.money(p.amount)).sorted_by(p.amount.to_string()),
                        Cell::text(p.method.as_str()),
                        Cell::text(p.invoice.clone().unwrap_or_default()),
                    ],
                })
                .collect(),
        };
        (
            json!({
                "count": rows.len(),
                "by_method": sums(by_method.into_iter().map(|(k, v)| (k.to_string(), v)).collect()),
                "by_month": sums(by_month),
                "total": self.money(total),
            }),
            table,
        )
    }

    fn services(&self) -> (Value, Table) {
        let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
        let mut rows = Vec::new();
        for c in &self.room.clients {
            for s in &c.services {
                *by_type.entry(s.kind.as_str()).or_default() += 1;
                rows.push((s.date, c, s));
            }
        }
        rows.sort_by(|a, b| (b.0, &a.1.id).cmp(&(a.0, &b.1.id)));
        let table = Table {
            name: "services".into(),
            columns: vec![
                Column::new(Kind::Date, "nowrap"),
                Column::new(Kind::Text, ""),
                Column::new(Kind::Text, ""),
                Column::new(Kind::Text, ""),
            ],
            rows: rows
                .iter()
                .map(|(_, c, s)| Row {
                    k: String::new(),
                    c: vec![
                        Cell::text(s.date.to_string()),
                        self.client_cell(c, true),
                        Cell::text(s.kind.as_str()),
                        Cell::text(s.staff.as_str()),
                    ],
                })
                .collect(),
        };
        (
            json!({
                "count": rows.len(),
                "by_type": by_type.into_iter().map(|(k, n)| json!({"key": k, "count": n})).collect::<Vec<_>>(),
            }),
            table,
        )
    }

    fn document(&self, d: &Document) -> Value {
        let r = markdown::render_titled(&d.body, &d.route(), Some(&d.title));
        json!({
            "doc": {
                "kind": d.kind, "kind_label": doc_kind_label(d.kind, self.strings), "route": d.route(),
                "title": d.title, "summary": d.summary, "sha256": d.sha256, "lesson": d.lesson,
                "source": d.file.to_string_lossy().replace('\\', "/"),
            },
            "body": r.html,
            "tasks": {"total": r.tasks_total, "done": r.tasks_done},
        })
    }

    fn training(&self) -> Value {
        let lessons: Vec<Value> = self
            .room
            .documents_of(DocKind::Training)
            .map(|d| {
                let l = d.lesson.as_ref();
                json!({
                    "route": d.route(), "title": d.title, "summary": d.summary, "sha256": d.sha256,
                    "duration": l.and_then(|l| l.duration), "audience": l.and_then(|l| l.audience.clone()),
                    "pass_mark": l.map(|l| l.pass_mark), "questions": l.map_or(0, |l| l.quiz.len()),
                })
            })
            .collect();
        let minutes: u32 = self
            .room
            .documents_of(DocKind::Training)
            .filter_map(|d| d.lesson.as_ref().and_then(|l| l.duration))
            .sum();
        json!({"lessons": lessons, "total_minutes": minutes})
    }

    /// The numbered index of everything in the room, numbered as data rooms number
    /// their folders: 1, 1.1, 1.2, 2 … Derived from the registry: the main
    /// pages (clients with their pages), each kind of document, the handover
    /// documents, the attachments.
    fn room_index(&self, specs: &[PageSpec]) -> Value {
        let item = |p: &PageSpec| (p.route.clone(), p.title.text(self.strings));
        let mut sections: Vec<IndexSection> = specs
            .iter()
            .filter(|p| p.nav == NavGroup::Main && p.job != Job::RoomIndex)
            .map(|p| {
                let items = match p.job {
                    Job::Clients => specs
                        .iter()
                        .filter(|c| matches!(c.job, Job::Client(_)))
                        .map(item)
                        .collect(),
                    _ => vec![],
                };
                (p.title.text(self.strings), Some(p.route.clone()), items)
            })
            .collect();
        for kind in DocKind::ALL
            .into_iter()
            .filter(|k| self.sees(Section::of_doc(*k)))
        {
            let route = (kind == DocKind::Training).then(|| "training".to_string());
            sections.push((
                doc_kind_label(kind, self.strings),
                route,
                specs
                    .iter()
                    .filter(|p| p.nav == NavGroup::Docs(kind))
                    .map(item)
                    .collect(),
            ));
        }
        let handover: Vec<(String, String)> = specs
            .iter()
            .filter(|p| p.nav == NavGroup::Handover)
            .map(item)
            .collect();
        if !handover.is_empty() {
            sections.push((self.t("handover_documents").into(), None, handover));
        }
        sections.push((
            self.t("attachments").into(),
            None,
            self.room
                .attachments
                .iter()
                .map(|a| (format!("file/{}", a.path), a.path.clone()))
                .collect(),
        ));
        // Values moved in, not `json!`: 100,000 client items are ~70 MB as Values.
        let sections: Vec<Value> = sections
            .into_iter()
            .enumerate()
            .map(|(i, (title, route, items))| {
                let n = i + 1;
                let items = items
                    .into_iter()
                    .enumerate()
                    .map(|(j, (route, title))| {
                        moved_into_object([
                            ("number", Value::String(format!("{n}.{}", j + 1))),
                            ("route", Value::String(route)),
                            ("title", Value::String(title)),
                        ])
                    })
                    .collect();
                moved_into_object([
                    ("number", Value::String(n.to_string())),
                    ("title", Value::String(title)),
                    ("route", route.map_or(Value::Null, Value::String)),
                    ("items", Value::Array(items)),
                ])
            })
            .collect();
        moved_into_object([("sections", Value::Array(sections))])
    }
}

fn doc_link(d: &Document) -> Value {
    json!({"route": d.route(), "title": d.title, "summary": d.summary})
}

/// The columns of `clients.csv`; each header is the catalogue entry `csv_<column>`.
const CLIENT_CSV_COLUMNS: [&str; 17] = [
    "client_id",
    "name",
    "kind",
    "phone",
    "email",
    "address",
    "id_number",
    "credit_code",
    "consent",
    "tags",
    "services",
    "contracts",
    "payments",
    "contracts_total",
    "payments_total",
    "last_service",
    "retain_until",
];

/// A CSV file for Excel: UTF-8 with a BOM, headers in the room's language
/// (catalogue entries `csv_<column>`), CRLF lines, every cell quoted as
/// needed; written into `out` line by line.
pub fn write_csv(
    out: &mut dyn Write,
    strings: &HashMap<String, String>,
    columns: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> std::io::Result<()> {
    let header: Vec<String> = columns
        .iter()
        .map(|c| csv_field(t(strings, &format!("csv_{c}"))))
        .collect();
    write!(out, "\u{feff}{}\r\n", header.join(","))?;
    for row in rows {
        let line: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        write!(out, "{}\r\n", line.join(","))?;
    }
    Ok(())
}

/// `clients.csv` (for people: the room's language, UTF-8 with BOM for Excel)
/// and `clients.json` (for software: the records with their stable English
/// keys, as in the source format), for the buyer's own systems.
pub fn clients_csv(
    room: &Room,
    strings: &HashMap<String, String>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let rows = room.clients.iter().map(|c| {
        vec![
            c.id.clone(),
            c.name.clone(),
            t(
                strings,
                match c.kind {
                    ClientKind::Individual => "individual",
                    ClientKind::Company => "company",
                },
            )
            .to_string(),
            c.contact.phone.clone().unwrap_or_default(),
            c.contact.email.clone().unwrap_or_default(),
            c.contact.address.clone().unwrap_or_default(),
            c.id_number.clone().unwrap_or_default(),
            c.credit_code.clone().unwrap_or_default(),
            c.consent
                .as_ref()
                .map_or("", |k| t(strings, if k.given { "yes" } else { "no" }))
                .to_string(),
            c.tags.join(";"),
            c.services.len().to_string(),
            c.contracts.len().to_string(),
            c.payments.len().to_string(),
            format!("{:.2}", c.contracts_total()),
            format!("{:.2}", c.payments_total()),
            c.last_service().map(|d| d.to_string()).unwrap_or_default(),
            c.retain_until.map(|d| d.to_string()).unwrap_or_default(),
        ]
    });
    write_csv(out, strings, &CLIENT_CSV_COLUMNS, rows)
}

/// `clients.json`: see [`clients_csv`]. The bytes of `serde_json`'s pretty
/// array of the clients, each client made on any core (a block at a time):
/// made in one piece, it was the one thread still busy at the end of a
/// large build while the others waited for its chunks to deflate.
pub fn clients_json(room: &Room, out: &mut dyn Write) -> std::io::Result<()> {
    pretty_json_array(&room.clients, out)
}

/// `serde_json::to_writer_pretty(out, items)`, the items made on every core.
fn pretty_json_array<T: serde::Serialize + Sync>(
    items: &[T],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    // A few MB of JSON at a time.
    const BLOCK: usize = 1024;
    if items.is_empty() {
        return out.write_all(b"[]");
    }
    out.write_all(b"[")?;
    for (b, block) in items.chunks(BLOCK).enumerate() {
        let made: Vec<Vec<u8>> = block
            .par_iter()
            .map(|c| {
                let mut json = Vec::new();
                serde_json::to_writer_pretty(&mut json, c)?;
                Ok(indented(&json))
            })
            .collect::<Result<_, serde_json::Error>>()?;
        for (i, client) in made.iter().enumerate() {
            out.write_all(if b == 0 && i == 0 { b"\n  " } else { b",\n  " })?;
            out.write_all(client)?;
        }
    }
    out.write_all(b"\n]")
}

/// Pretty JSON one level deeper: two more spaces after each line break (a
/// line break in pretty JSON is always formatting: strings escape theirs).
fn indented(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() + json.len() / 8);
    for &byte in json {
        out.push(byte);
        if byte == b'\n' {
            out.extend_from_slice(b"  ");
        }
    }
    out
}

/// RFC 4180 quoting, and a leading `'` for cells a spreadsheet would run as
/// formulas (it may skip a leading tab or CR first). The browser's ticks export
/// (dataroom-views.js csvCell) keeps the same rule.
pub fn csv_field(s: &str) -> String {
    let guarded = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_json_is_serde_jsons_pretty_array_of_the_clients() {
        let room = crate::room::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/example-dataroom"
        )))
        .room
        .expect("the example loads");
        let mut clients = room.clients.clone();
        // More clients than a block, a line break and a quote in a value.
        for n in 0..2500 {
            let mut c = room.clients[n % room.clients.len()].clone();
            c.id = format!("X-{n:05}");
            c.notes = Some(format!("第{n}行\n\"引号\"\t{n}"));
            clients.push(c);
        }
        for count in [0, 1, 3, 1024, 1025, clients.len()] {
            let some = &clients[..count];
            let mut ours = Vec::new();
            pretty_json_array(some, &mut ours).expect("written");
            let whole = serde_json::to_vec_pretty(some).expect("serde_json");
            assert!(ours == whole, "{count} clients: not serde_json's bytes");
        }
        let mut ours = Vec::new();
        clients_json(&room, &mut ours).expect("written");
        assert!(ours == serde_json::to_vec_pretty(&room.clients).expect("serde_json"));
    }

    #[test]
    fn money_is_exact_and_grouped() {
        let d = |s: &str| s.parse::<Decimal>().unwrap_or_default();
        assert_eq!(money(d("1234567.5")), "1,234,567.50");
        assert_eq!(money(d("0.1") + d("0.2")), "0.30");
        assert_eq!(money(d("999")), "999.00");
    }

    #[test]
    fn csv_quotes_and_guards() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_field("\t=1+1"), "'\t=1+1");
        assert_eq!(csv_field("\r=1"), "\"'\r=1\"");
        assert_eq!(csv_field("-12.50"), "-12.50");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
