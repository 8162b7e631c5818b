//! The checked room: every value parsed, every reference resolved.
//! Later stages only ever see these types, never raw YAML.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

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

    /// `zh-CN` (or `zh`) and `en`, as `dataroom.yaml` and `--lang` write them.
    pub fn from_code(code: &str) -> Option<Language> {
        match code {
            "zh-CN" | "zh" => Some(Language::ZhCn),
            "en" => Some(Language::En),
            _ => None,
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
    /// `audiences:`; empty when the room has one audience (every reader sees everything).
    pub audiences: Vec<AudienceSpec>,
    /// Where the `audiences:` list was written.
    #[serde(skip)]
    pub audiences_loc: Loc,
    /// `nda:`: the room document every audience accepts before any content,
    /// as written (`policies/nda.md`); checked to be one of the room's documents.
    pub nda: Option<String>,
    #[serde(skip)]
    pub nda_loc: Loc,
    /// `watermark:`; when not written, true exactly when audiences are set.
    pub watermark: bool,
}

/// A part of the room an audience may be granted (`sees:` in `dataroom.yaml`).
/// The name is also the route prefix of its pages (`#/contracts/...`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    /// 基本信息 and the client pages.
    Clients,
    Services,
    /// Contracts with their attachments.
    Contracts,
    Payments,
    Policies,
    Checklists,
    Training,
    /// The handover documents: checklist, confirmation, notices, quality,
    /// retention, destruction, impact.
    Handover,
    Exports,
}

impl Section {
    pub const ALL: [Section; 9] = [
        Section::Clients,
        Section::Services,
        Section::Contracts,
        Section::Payments,
        Section::Policies,
        Section::Checklists,
        Section::Training,
        Section::Handover,
        Section::Exports,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Section::Clients => "clients",
            Section::Services => "services",
            Section::Contracts => "contracts",
            Section::Payments => "payments",
            Section::Policies => "policies",
            Section::Checklists => "checklists",
            Section::Training => "training",
            Section::Handover => "handover",
            Section::Exports => "exports",
        }
    }

    pub fn parse(name: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// A client field an audience sees masked (`mask:`); named by its path in the
/// client record. See [`crate::room::mask`] for what each keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum MaskedField {
    #[serde(rename = "id_number")]
    IdNumber,
    #[serde(rename = "credit_code")]
    CreditCode,
    #[serde(rename = "contact.phone")]
    Phone,
    #[serde(rename = "contact.address")]
    Address,
    #[serde(rename = "contact.email")]
    Email,
}

impl MaskedField {
    pub const ALL: [MaskedField; 5] = [
        MaskedField::IdNumber,
        MaskedField::CreditCode,
        MaskedField::Phone,
        MaskedField::Address,
        MaskedField::Email,
    ];

    /// The field's path in a client record, as written in `mask:`.
    pub fn as_str(self) -> &'static str {
        match self {
            MaskedField::IdNumber => "id_number",
            MaskedField::CreditCode => "credit_code",
            MaskedField::Phone => "contact.phone",
            MaskedField::Address => "contact.address",
            MaskedField::Email => "contact.email",
        }
    }

    pub fn parse(name: &str) -> Option<MaskedField> {
        MaskedField::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

/// One entry of `audiences:`, checked.
#[derive(Clone, Debug, Serialize)]
pub struct AudienceSpec {
    /// `[a-z0-9-]+`, unique in the room; names its password variable.
    pub id: String,
    /// Shown to this audience only.
    pub name: String,
    /// `sees: all` is every [`Section`].
    pub sees: BTreeSet<Section>,
    pub mask: BTreeSet<MaskedField>,
    /// Where the id was written, for the password errors that concern it.
    #[serde(skip)]
    pub loc: Loc,
}

impl AudienceSpec {
    pub fn sees(&self, section: Section) -> bool {
        self.sees.contains(&section)
    }

    pub fn masks(&self, field: MaskedField) -> bool {
        self.mask.contains(&field)
    }

    /// `DATAROOM_PASSWORD_<ID>`: the id upper-cased, `-` → `_`.
    pub fn password_var(&self) -> String {
        format!(
            "DATAROOM_PASSWORD_{}",
            self.id.to_ascii_uppercase().replace('-', "_")
        )
    }
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
    /// `phone` as libphonenumber reads it, parsed once when the room loads:
    /// the check, the pages and every audience's view need it, and parsing
    /// is the costliest per-record step of a build. `None` when there is no
    /// phone or the phone was masked for an audience.
    #[serde(skip)]
    pub phone_parsed: Option<super::quality::Phone>,
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
    pub kind: Word,
    pub staff: Word,
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
    pub method: Word,
    pub invoice: Option<String>,
}

/// A word of a small vocabulary (a service type, a staff member, a payment
/// method), shared by every record that uses it: 100,000 clients name the
/// same few dozen, and a string of its own each time was ~60 MB (issue 11).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Word(Arc<str>);

/// Words each parsing thread keeps to share; past this many distinct ones
/// (a column of free text, not a vocabulary) new words are not kept.
const WORDS_KEPT: usize = 4096;

thread_local! {
    static WORDS: RefCell<HashSet<Arc<str>>> = RefCell::new(HashSet::new());
}

impl Word {
    /// `text` as a word, shared with the earlier records of this thread that use it.
    pub fn new(text: &str) -> Word {
        WORDS.with(|words| {
            let mut words = words.borrow_mut();
            if let Some(known) = words.get(text) {
                return Word(known.clone());
            }
            let word: Arc<str> = Arc::from(text);
            if words.len() < WORDS_KEPT {
                words.insert(word.clone());
            }
            Word(word)
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Word {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Word {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Word {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Where the fields that data-quality findings point at were written, each
/// a [`PackedLoc`] (128 bytes a client, where `Loc`s took 312).
#[derive(Clone, Debug, Default)]
pub struct ClientLocs {
    pub id: PackedLoc,
    pub phone: Option<PackedLoc>,
    pub email: Option<PackedLoc>,
    pub id_number: Option<PackedLoc>,
    pub credit_code: Option<PackedLoc>,
    pub consent: Option<PackedLoc>,
    /// The date of the latest service (the one `no-recent-service` names), not the last listed.
    pub latest_service: Option<PackedLoc>,
    pub retain_until: Option<PackedLoc>,
}

/// A [`Loc`] in 16 bytes (and 16 as an `Option`, where `Option<Loc>` is
/// 40): the locations every record keeps, eight a client, were ~31 MB at
/// 100,000 clients (issue 11). A number past `u32` (a file over 4 GiB,
/// which the room cannot hold) is kept as `u32::MAX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackedLoc {
    /// The line plus one: never zero, so `Option<PackedLoc>` needs no flag.
    line_after: std::num::NonZeroU32,
    column: u32,
    offset: u32,
    len: u32,
}

impl Default for PackedLoc {
    fn default() -> PackedLoc {
        Loc::default().into()
    }
}

impl From<Loc> for PackedLoc {
    fn from(l: Loc) -> PackedLoc {
        let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        PackedLoc {
            line_after: std::num::NonZeroU32::MIN.saturating_add(small(l.line)),
            column: small(l.column),
            offset: small(l.offset),
            len: small(l.len),
        }
    }
}

impl From<PackedLoc> for Loc {
    fn from(p: PackedLoc) -> Loc {
        Loc {
            line: p.line_after.get() as usize - 1,
            column: p.column as usize,
            offset: p.offset as usize,
            len: p.len as usize,
        }
    }
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
    /// SHA-256 of the source file (bytes: 32, where its hex was 24 + 64 a client).
    #[serde(skip)]
    pub sha256: [u8; 32],
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
    /// The audiences of `dataroom.yaml`; empty for a room without `audiences:`.
    pub fn audiences(&self) -> &[AudienceSpec] {
        &self.settings.audiences
    }

    /// The document `nda:` names (checked to exist when the room loaded).
    pub fn nda(&self) -> Option<&Document> {
        let path = self.settings.nda.as_deref()?;
        self.documents
            .iter()
            .find(|d| d.file.to_string_lossy().replace('\\', "/") == path)
    }

    pub fn documents_of(&self, kind: DocKind) -> impl Iterator<Item = &Document> {
        self.documents.iter().filter(move |d| d.kind == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_locations_read_back_as_they_were_and_are_small() {
        for loc in [
            Loc::default(),
            Loc::START,
            Loc {
                line: 12,
                column: 7,
                offset: 301,
                len: 9,
            },
            Loc {
                line: u32::MAX as usize - 1,
                column: 1,
                offset: 0,
                len: 0,
            },
        ] {
            assert_eq!(Loc::from(PackedLoc::from(loc)), loc);
        }
        // Past u32 (a file over 4 GiB): kept at the largest, never wrapped.
        let far = Loc::from(PackedLoc::from(Loc {
            line: 1,
            column: 1,
            offset: 1 << 40,
            len: 1,
        }));
        assert_eq!(far.offset, u32::MAX as usize);
        assert_eq!(std::mem::size_of::<Option<PackedLoc>>(), 16);
        assert!(std::mem::size_of::<ClientLocs>() <= 128);
        let phone = Loc {
            line: 3,
            column: 10,
            offset: 40,
            len: 11,
        };
        let locs = ClientLocs {
            phone: Some(phone.into()),
            ..ClientLocs::default()
        };
        assert_eq!(locs.phone.map(Loc::from), Some(phone));
        assert_eq!(locs.email.map(Loc::from), None);
    }

    #[test]
    fn records_share_the_words_of_their_vocabulary() {
        let text = |n: usize| {
            format!(
                "id: HX-{n}\nname: 客户{n}\nservices:\n  - {{date: 2024-01-0{n}, type: 日常保洁, staff: 王芳}}\n\
                 payments:\n  - {{date: 2024-02-01, amount: 10.00, method: 微信支付}}\n"
            )
        };
        let parse = |n| {
            crate::room::client::parse_client(std::path::Path::new("c.yaml"), &text(n))
                .expect("parses")
        };
        let (a, b) = (parse(1), parse(2));
        let same = |x: &Word, y: &Word| std::ptr::eq(x.as_str().as_ptr(), y.as_str().as_ptr());
        assert_eq!(a.services[0].kind.as_str(), "日常保洁");
        assert!(same(&a.services[0].kind, &b.services[0].kind), "type");
        assert!(same(&a.services[0].staff, &b.services[0].staff), "staff");
        assert!(same(&a.payments[0].method, &b.payments[0].method), "method");
        assert_eq!(
            serde_json::to_string(&a.services[0]).expect("json"),
            r#"{"date":"2024-01-01","type":"日常保洁","staff":"王芳","notes":null}"#
        );
    }

    #[test]
    fn past_the_kept_words_a_word_is_still_itself() {
        for n in 0..WORDS_KEPT + 10 {
            assert_eq!(Word::new(&format!("w{n}")).as_str(), format!("w{n}"));
        }
        let kept = WORDS.with(|w| w.borrow().len());
        assert!(kept <= WORDS_KEPT, "{kept}");
    }
}
