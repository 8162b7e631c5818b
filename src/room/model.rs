//! The checked room: every value parsed, every reference resolved.
//! Later stages only ever see these types, never raw YAML.

use std::path::PathBuf;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::diagnostic::Loc;

#[derive(Clone, Debug, Serialize)]
pub struct Party {
    pub name: String,
    pub contact: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Language {
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::ZhCn => "zh-CN",
            Language::En => "en",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionCategory {
    Clients,
    Contracts,
    Payments,
    Services,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionAnchor {
    ContractEnd,
    LastPayment,
    LastService,
    Handover,
}

#[derive(Clone, Debug, Serialize)]
pub struct RetentionRule {
    pub category: RetentionCategory,
    pub years_after: RetentionAnchor,
    pub years: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    pub title: String,
    pub public_title: Option<String>,
    pub language: Language,
    pub seller: Party,
    pub buyer: Party,
    pub supervisor: Option<Party>,
    pub handover_date: NaiveDate,
    pub retention: Vec<RetentionRule>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientKind {
    Individual,
    Company,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Contact {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Consent {
    pub given: bool,
    pub date: Option<NaiveDate>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Service {
    pub date: NaiveDate,
    #[serde(rename = "type")]
    pub kind: String,
    pub staff: String,
    pub notes: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Contract {
    pub id: String,
    pub signed: Option<NaiveDate>,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub amount: Decimal,
    /// Path relative to the room root, always under `attachments/`.
    pub file: Option<String>,
    #[serde(skip)]
    pub file_loc: Loc,
}

#[derive(Clone, Debug, Serialize)]
pub struct Payment {
    pub date: NaiveDate,
    pub amount: Decimal,
    pub method: String,
    pub invoice: Option<String>,
}

/// Where the fields that data-quality findings point at were written.
#[derive(Clone, Debug, Default)]
pub struct ClientLocs {
    pub id: Loc,
    pub phone: Option<Loc>,
    pub email: Option<Loc>,
    pub id_number: Option<Loc>,
    pub credit_code: Option<Loc>,
    pub consent: Option<Loc>,
    /// The date of the latest service (the one `no-recent-service` names), not the last listed.
    pub latest_service: Option<Loc>,
    pub retain_until: Option<Loc>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Client {
    pub id: String,
    pub name: String,
    pub kind: ClientKind,
    pub contact: Contact,
    pub id_number: Option<String>,
    pub credit_code: Option<String>,
    pub consent: Option<Consent>,
    pub tags: Vec<String>,
    pub services: Vec<Service>,
    pub contracts: Vec<Contract>,
    pub payments: Vec<Payment>,
    pub retain_until: Option<NaiveDate>,
    pub notes: Option<String>,
    /// Source file, relative to the room root.
    #[serde(skip)]
    pub file: PathBuf,
    /// SHA-256 of the source file, hex.
    #[serde(skip)]
    pub sha256: String,
    #[serde(skip)]
    pub locs: ClientLocs,
}

impl Client {
    pub fn last_service(&self) -> Option<NaiveDate> {
        self.services.iter().map(|s| s.date).max()
    }

    pub fn last_payment(&self) -> Option<NaiveDate> {
        self.payments.iter().map(|p| p.date).max()
    }

    pub fn contracts_total(&self) -> Decimal {
        self.contracts.iter().map(|c| c.amount).sum()
    }

    pub fn payments_total(&self) -> Decimal {
        self.payments.iter().map(|p| p.amount).sum()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocKind {
    Policy,
    Checklist,
    Training,
}

impl DocKind {
    pub const ALL: [DocKind; 3] = [DocKind::Policy, DocKind::Checklist, DocKind::Training];

    /// The room folder the documents of this kind live in (also their route prefix).
    pub fn dir(self) -> &'static str {
        match self {
            DocKind::Policy => "policies",
            DocKind::Checklist => "checklists",
            DocKind::Training => "training",
        }
    }
}

/// One question of a ```quiz block.
#[derive(Clone, Debug, Serialize)]
pub struct QuizQuestion {
    pub question: String,
    pub choices: Vec<String>,
    /// 0-based indexes of the right choices.
    pub answer: Vec<usize>,
    pub multiple: bool,
    pub explanation: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Lesson {
    pub duration: Option<u32>,
    pub audience: Option<String>,
    pub pass_mark: u32,
    pub quiz: Vec<QuizQuestion>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Document {
    pub kind: DocKind,
    /// Path below the kind's folder without `.md`, e.g. `nda` or `hr/onboarding`.
    pub slug: String,
    pub title: String,
    pub order: Option<i64>,
    pub summary: Option<String>,
    /// Markdown body after the front matter.
    pub body: String,
    /// SHA-256 of the whole source file, hex.
    pub sha256: String,
    pub lesson: Option<Lesson>,
    #[serde(skip)]
    pub file: PathBuf,
    /// The attachments the body shows as images, and where.
    #[serde(skip)]
    pub images: Vec<(String, Loc)>,
}

impl Document {
    pub fn route(&self) -> String {
        format!("{}/{}", self.kind.dir(), self.slug)
    }
}

/// A file under `attachments/`, checked to be a regular file inside the room.
#[derive(Clone, Debug, Serialize)]
pub struct Attachment {
    /// Path relative to the room root, with `/` separators: `attachments/contracts/a.pdf`.
    pub path: String,
    pub size: u64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    #[serde(skip)]
    pub abs_path: PathBuf,
}

impl Attachment {
    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

#[derive(Debug)]
pub struct Room {
    pub root: PathBuf,
    pub settings: Settings,
    pub clients: Vec<Client>,
    pub documents: Vec<Document>,
    pub attachments: Vec<Attachment>,
    /// The files of the room's `theme/` folder, read while checking: they
    /// override the default theme and are published unencrypted.
    pub theme: Vec<ThemeFile>,
}

/// A file of the room's `theme/` folder.
#[derive(Debug)]
pub struct ThemeFile {
    /// Relative to `theme/`, with `/` (`static/logo.png`, `i18n/zh-CN.yaml`).
    pub path: String,
    pub bytes: Vec<u8>,
}

impl Room {
    pub fn documents_of(&self, kind: DocKind) -> impl Iterator<Item = &Document> {
        self.documents.iter().filter(move |d| d.kind == kind)
    }
}
