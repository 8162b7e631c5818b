//! `dataroom import FILE --into ROOM`: a client list from Excel (.xlsx, .xls,
//! .ods) or CSV becomes one `clients/<id>.yaml` per client.
//!
//! Invariant: every problem of the file is collected first, each named by its
//! cell (`clients.xlsx:客户!G124`) and worded from the room's catalogue
//! (`import_<key>_message` / `_fix`); if there is any, nothing is written.
//! Existing records are replaced only with `--update`. Files are written to
//! temporary names first and renamed into place at the end.

mod record;
mod table;
mod value;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::i18n::{self, Wording};
use crate::room::Language;
use record::{ClientFile, ConsentFile, ContactFile, ContractFile, PaymentFile, ServiceFile};
use table::{Cell, Source, Table};

pub use table::decode_text;

/// One problem: where (`file:sheet!cell`, or the file or option), and its
/// wording (catalogue entries `import_<key>_message` / `_fix`).
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub at: String,
    pub wording: Wording,
}

impl Problem {
    fn new(at: impl Into<String>, key: &'static str) -> Problem {
        let mut wording = Wording::new(key);
        wording.key = format!("import_{key}").into();
        Problem {
            at: at.into(),
            wording,
        }
    }

    fn arg(mut self, name: &'static str, value: impl Into<String>) -> Problem {
        self.wording = self.wording.arg(name, value.into());
        self
    }

    /// Fills `{name}` with the message of `cause` (an I/O error's reason).
    pub(crate) fn cause(mut self, name: &'static str, cause: Wording) -> Problem {
        self.wording = self.wording.cause(name, cause);
        self
    }

    /// `at: message` and an indented fix, in the catalogue's language.
    pub fn render(&self, strings: &i18n::Strings) -> String {
        let (message, fix) = self.wording.worded_with(strings, &[]);
        format!(
            "{}: {}\n  {}{}\n",
            self.at,
            message,
            i18n::text(strings, "import_fix_label"),
            fix.unwrap_or_default()
        )
    }
}

/// The sheets of the pinned layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SheetKind {
    Clients,
    Services,
    Contracts,
    Payments,
}

struct Column {
    name: &'static str,
    aliases: &'static [&'static str],
    required: bool,
}

const fn col(name: &'static str, aliases: &'static [&'static str], required: bool) -> Column {
    Column {
        name,
        aliases,
        required,
    }
}

const CLIENT_ID: &str = "客户编号";

const CLIENT_COLUMNS: &[Column] = &[
    col(CLIENT_ID, &["id", "client id", "client_id"], true),
    col("客户名称", &["name", "client name"], true),
    col("客户类型", &["kind", "type", "client type"], false),
    col("联系电话", &["phone", "telephone", "mobile"], false),
    col("电子邮箱", &["email", "e-mail"], false),
    col("地址", &["address"], false),
    col("身份证号", &["id number", "id_number", "id card"], false),
    col("统一社会信用代码", &["credit code", "credit_code"], false),
    col("是否同意", &["consent", "consent given"], false),
    col("同意日期", &["consent date", "consent_date"], false),
    col("标签", &["tags"], false),
    col("备注", &["notes", "note"], false),
];

const SERVICE_COLUMNS: &[Column] = &[
    col(CLIENT_ID, &["id", "client id", "client_id"], true),
    col("服务日期", &["date", "service date"], true),
    col("服务项目", &["type", "service", "service type"], true),
    col("服务人员", &["staff"], true),
    col("备注", &["notes", "note"], false),
];

const CONTRACT_COLUMNS: &[Column] = &[
    col(CLIENT_ID, &["client id", "client_id"], true),
    col(
        "合同编号",
        &["contract id", "contract", "contract_id"],
        true,
    ),
    col("签订日期", &["signed", "signed date"], false),
    col("开始日期", &["start", "start date"], false),
    col("结束日期", &["end", "end date"], false),
    col("金额", &["amount"], true),
];

const PAYMENT_COLUMNS: &[Column] = &[
    col(CLIENT_ID, &["id", "client id", "client_id"], true),
    col("付款日期", &["date", "payment date"], true),
    col("金额", &["amount"], true),
    col("付款方式", &["method", "payment method"], true),
    col("发票号", &["invoice", "invoice number"], false),
];

impl SheetKind {
    pub const ALL: [SheetKind; 4] = [
        SheetKind::Clients,
        SheetKind::Services,
        SheetKind::Contracts,
        SheetKind::Payments,
    ];

    /// The pinned sheet name.
    pub fn name(self) -> &'static str {
        match self {
            SheetKind::Clients => "客户",
            SheetKind::Services => "服务记录",
            SheetKind::Contracts => "合同",
            SheetKind::Payments => "付款记录",
        }
    }

    fn english(self) -> &'static str {
        match self {
            SheetKind::Clients => "clients",
            SheetKind::Services => "services",
            SheetKind::Contracts => "contracts",
            SheetKind::Payments => "payments",
        }
    }

    fn columns(self) -> &'static [Column] {
        match self {
            SheetKind::Clients => CLIENT_COLUMNS,
            SheetKind::Services => SERVICE_COLUMNS,
            SheetKind::Contracts => CONTRACT_COLUMNS,
            SheetKind::Payments => PAYMENT_COLUMNS,
        }
    }

    fn from_name(name: &str) -> Option<SheetKind> {
        let name = name.trim();
        SheetKind::ALL
            .into_iter()
            .find(|k| k.name() == name || k.english().eq_ignore_ascii_case(name))
    }
}

/// What `dataroom import` was asked to do.
pub struct ImportOptions<'a> {
    pub file: &'a Path,
    pub room: &'a Path,
    /// `--map MAP.yaml`: other headings → the pinned ones.
    pub map: Option<&'a Path>,
    /// `--sheet 客户=Sheet1`, repeatable.
    pub sheets: &'a [String],
    pub update: bool,
}

/// What happened to one client.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    Added(String),
    Changed(String, Vec<&'static str>),
    Unchanged(String),
}

pub struct Outcome {
    pub language: Language,
    pub changes: Vec<Change>,
    pub written: Vec<PathBuf>,
}

pub struct Failure {
    pub language: Language,
    pub problems: Vec<Problem>,
}

/// The room's language (its dataroom.yaml), zh-CN when it cannot be read.
fn room_language(room: &Path) -> Language {
    #[derive(serde::Deserialize)]
    struct OnlyLanguage {
        language: Option<String>,
    }
    let text = std::fs::read_to_string(room.join(crate::room::settings::SETTINGS_FILE));
    match text
        .ok()
        .and_then(|t| serde_saphyr::from_str::<OnlyLanguage>(&t).ok())
        .and_then(|s| s.language)
        .as_deref()
    {
        Some("en") => Language::En,
        _ => Language::ZhCn,
    }
}

/// A sheet with its headings resolved to the pinned column names.
struct Sheet<'a> {
    file: &'a str,
    table: Table,
    columns: HashMap<&'static str, usize>,
}

impl Sheet<'_> {
    fn cell(&self, row: usize, column: &str) -> &Cell {
        self.columns
            .get(column)
            .and_then(|c| self.table.rows[row].get(*c))
            .unwrap_or(&Cell::Empty)
    }

    fn has(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }

    /// `clients.xlsx:客户!G124`
    fn at(&self, row: usize, column: &str) -> String {
        let col = self.columns.get(column).copied().unwrap_or(0) as u32;
        format!(
            "{}:{}!{}",
            self.file,
            self.table.sheet,
            table::cell_name(
                self.table.first_row + row as u32,
                self.table.first_col + col
            )
        )
    }

    /// The data rows (after the heading), skipping empty ones.
    fn rows(&self) -> impl Iterator<Item = usize> + '_ {
        (1..self.table.rows.len()).filter(|r| !self.table.rows[*r].iter().all(Cell::is_empty))
    }
}

/// `客户类型(个人/企业)` → `客户类型`; English headings compare case-blind.
fn heading_key(h: &str) -> String {
    let h = h.trim();
    let h = h.split(['(', '（']).next().unwrap_or(h);
    h.trim().to_lowercase()
}

fn resolve_columns<'a>(
    kind: SheetKind,
    file: &'a str,
    table: Table,
    map: &HashMap<String, String>,
    problems: &mut Vec<Problem>,
) -> Option<Sheet<'a>> {
    let mut columns = HashMap::new();
    if let Some(headings) = table.rows.first() {
        for (i, cell) in headings.iter().enumerate() {
            let Some(h) = value::text(cell) else { continue };
            let key = map
                .get(h.trim())
                .map_or_else(|| heading_key(&h), |to| heading_key(to));
            if let Some(c) = kind
                .columns()
                .iter()
                .find(|c| c.name == key || c.aliases.contains(&key.as_str()))
            {
                columns.entry(c.name).or_insert(i);
            }
        }
    }
    let missing: Vec<&Column> = kind
        .columns()
        .iter()
        .filter(|c| c.required && !columns.contains_key(c.name))
        .collect();
    for c in &missing {
        problems.push(
            Problem::new(format!("{file}:{}", table.sheet), "column_missing")
                .arg("sheet", table.sheet.clone())
                .arg("column", c.name),
        );
    }
    missing.is_empty().then_some(Sheet {
        file,
        table,
        columns,
    })
}

/// `--map`: a YAML mapping `your heading: 标准表头`.
fn read_map(path: &Path, problems: &mut Vec<Problem>) -> HashMap<String, String> {
    let at = path.display().to_string();
    let map: HashMap<String, String> = match std::fs::read(path)
        .map_err(|e| Wording::io(&e))
        .and_then(|b| decode_text(&b).ok_or_else(|| Wording::new("import_encoding")))
        .and_then(|t| serde_saphyr::from_str(&t).map_err(|e| Wording::from(e.to_string())))
    {
        Ok(map) => map,
        Err(e) => {
            problems.push(Problem::new(at, "map_invalid").cause("error", e));
            return HashMap::new();
        }
    };
    let known: BTreeSet<&str> = SheetKind::ALL
        .iter()
        .flat_map(|k| k.columns().iter().map(|c| c.name))
        .collect();
    for to in map.values() {
        if !known.contains(heading_key(to).as_str()) {
            problems.push(
                Problem::new(at.clone(), "map_target")
                    .arg("column", to.clone())
                    .arg(
                        "columns",
                        known.iter().copied().collect::<Vec<_>>().join(" "),
                    ),
            );
        }
    }
    map.into_iter()
        .map(|(from, to)| (from.trim().to_string(), to))
        .collect()
}

/// `--sheet 客户=Sheet1` → which workbook sheet each pinned sheet is.
fn read_sheet_choices(
    choices: &[String],
    problems: &mut Vec<Problem>,
) -> HashMap<SheetKind, String> {
    let mut out = HashMap::new();
    for choice in choices {
        match choice
            .split_once('=')
            .and_then(|(k, v)| Some((SheetKind::from_name(k)?, v.trim())))
        {
            Some((kind, name)) if !name.is_empty() => {
                out.insert(kind, name.to_string());
            }
            _ => {
                problems.push(Problem::new("--sheet", "sheet_option").arg("value", choice.clone()))
            }
        }
    }
    out
}

/// Records already in the room by id, with their files.
type Existing = HashMap<String, (PathBuf, ClientFile)>;

/// Records already in the room. Files that cannot be read are returned apart,
/// by path, with the reason.
fn existing_records(room: &Path) -> (Existing, Vec<(PathBuf, Wording)>) {
    let mut records = HashMap::new();
    let mut unreadable = Vec::new();
    let dir = room.join("clients");
    for entry in walkdir::WalkDir::new(&dir)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
    {
        let path = entry.path();
        let is_yaml = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
        if !entry.file_type().is_file() || !is_yaml {
            continue;
        }
        match std::fs::read_to_string(path)
            .map_err(|e| Wording::io(&e))
            .and_then(|t| ClientFile::parse(&t).map_err(Wording::from))
        {
            Ok(record) => {
                records.insert(record.id.clone(), (path.to_path_buf(), record));
            }
            Err(e) => unreadable.push((path.to_path_buf(), e)),
        }
    }
    (records, unreadable)
}

/// Collects a converted value, or the problem of its cell.
struct Rows<'s, 'f> {
    sheet: &'s Sheet<'f>,
    problems: &'s mut Vec<Problem>,
}

impl Rows<'_, '_> {
    fn problem(&mut self, row: usize, column: &str, key: &'static str) {
        let value = value::text(self.sheet.cell(row, column)).unwrap_or_default();
        self.problems.push(
            Problem::new(self.sheet.at(row, column), key)
                .arg("column", column)
                .arg("value", value),
        );
    }

    fn get<T>(
        &mut self,
        row: usize,
        column: &str,
        convert: impl Fn(&Cell) -> Result<T, &'static str>,
    ) -> Option<T> {
        let cell = self.sheet.cell(row, column);
        if matches!(cell, Cell::Error(_)) {
            self.problem(row, column, "cell_error");
            return None;
        }
        match convert(cell) {
            Ok(v) => Some(v),
            Err(key) => {
                self.problem(row, column, key);
                None
            }
        }
    }

    fn text(&mut self, row: usize, column: &str) -> Option<String> {
        self.get(row, column, |cell| Ok(value::text(cell)))
            .flatten()
    }

    /// A value the record cannot be without.
    fn required(&mut self, row: usize, column: &str) -> Option<String> {
        let v = self.text(row, column);
        if v.is_none() {
            self.problem(row, column, "required");
        }
        v
    }

    fn date(&mut self, row: usize, column: &str) -> Option<Option<String>> {
        self.get(row, column, value::date)
            .map(|d| d.map(|d| d.to_string()))
    }

    fn required_date(&mut self, row: usize, column: &str) -> Option<String> {
        match self.date(row, column)? {
            Some(d) => Some(d),
            None => {
                self.problem(row, column, "required");
                None
            }
        }
    }

    fn amount(&mut self, row: usize, column: &str) -> Option<String> {
        match self.get(row, column, value::amount)? {
            Some(a) => Some(a.to_string()),
            None => {
                self.problem(row, column, "required");
                None
            }
        }
    }

    /// The client a detail row belongs to, which must be on the clients sheet.
    fn client(&mut self, row: usize, clients: &HashSet<String>) -> Option<String> {
        let id = self.required(row, CLIENT_ID)?;
        if !clients.contains(&id) {
            self.problem(row, CLIENT_ID, "unknown_client");
            return None;
        }
        Some(id)
    }
}

fn is_safe_id(id: &str) -> bool {
    crate::room::client::is_safe_id(id)
}

/// One client's row of the clients sheet → its record (no detail lists yet).
fn client_record(r: &mut Rows, row: usize) -> Option<ClientFile> {
    let id = r.required(row, CLIENT_ID);
    if id.as_deref().is_some_and(|id| !is_safe_id(id)) {
        r.problem(row, CLIENT_ID, "id");
    }
    let name = r.required(row, "客户名称");
    let kind = r.get(row, "客户类型", value::kind);
    let phone = r.get(row, "联系电话", value::phone);
    let email = r.text(row, "电子邮箱");
    let address = r.text(row, "地址");
    let id_number = r.get(row, "身份证号", value::identifier);
    let credit_code = r.get(row, "统一社会信用代码", value::identifier);
    let given = r.get(row, "是否同意", value::yes_no);
    let consent_date = r.date(row, "同意日期");
    let tags = r
        .get(row, "标签", |c| Ok(value::tags(c)))
        .unwrap_or_default();
    let notes = r.text(row, "备注");
    let contact = ContactFile {
        phone: phone?,
        email,
        address,
    };
    Some(ClientFile {
        id: id.filter(|id| is_safe_id(id))?,
        name: name?,
        kind: r.sheet.has("客户类型").then_some(kind?.to_string()),
        contact: (contact != ContactFile::default()).then_some(contact),
        id_number: id_number?,
        credit_code: credit_code?,
        consent: match (given?, consent_date?) {
            (Some(given), date) => Some(ConsentFile { given, date }),
            (None, _) => None,
        },
        tags,
        notes,
        ..ClientFile::default()
    })
}

/// The imported record laid over an existing one: only the columns and sheets
/// the workbook has replace what the file says; the rest (retain_until, a
/// contract's scanned file, columns the sheet lacks) is kept.
fn merge(
    old: &ClientFile,
    new: &ClientFile,
    clients: &Sheet,
    sheets: &HashSet<SheetKind>,
) -> ClientFile {
    let mut m = old.clone();
    let has = |c: &str| clients.has(c);
    m.name = new.name.clone();
    if has("客户类型") {
        m.kind = new.kind.clone();
    }
    let new_contact = new.contact.clone().unwrap_or_default();
    let mut contact = m.contact.clone().unwrap_or_default();
    if has("联系电话") {
        contact.phone = new_contact.phone;
    }
    if has("电子邮箱") {
        contact.email = new_contact.email;
    }
    if has("地址") {
        contact.address = new_contact.address;
    }
    m.contact = (contact != ContactFile::default()).then_some(contact);
    if has("身份证号") {
        m.id_number = new.id_number.clone();
    }
    if has("统一社会信用代码") {
        m.credit_code = new.credit_code.clone();
    }
    if has("是否同意") {
        m.consent = new.consent.clone();
    }
    if has("标签") {
        m.tags = new.tags.clone();
    }
    if has("备注") {
        m.notes = new.notes.clone();
    }
    if sheets.contains(&SheetKind::Services) {
        m.services = new.services.clone();
    }
    if sheets.contains(&SheetKind::Contracts) {
        m.contracts = new
            .contracts
            .iter()
            .map(|c| ContractFile {
                file: old
                    .contracts
                    .iter()
                    .find(|o| o.id == c.id)
                    .and_then(|o| o.file.clone()),
                ..c.clone()
            })
            .collect();
    }
    if sheets.contains(&SheetKind::Payments) {
        m.payments = new.payments.clone();
    }
    m
}

/// Reads `opts.file`, checks every cell, and writes the records into the
/// room, or nothing at all when there is any problem.
pub fn import(opts: &ImportOptions) -> Result<Outcome, Failure> {
    let language = room_language(opts.room);
    let fail = |problems| Failure { language, problems };
    let file_name = opts.file.file_name().map_or_else(
        || opts.file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let room_at = opts.room.display().to_string();
    if !opts
        .room
        .join(crate::room::settings::SETTINGS_FILE)
        .is_file()
    {
        return Err(fail(vec![
            Problem::new(room_at.clone(), "not_room").arg("room", room_at)
        ]));
    }

    let mut problems = Vec::new();
    let map = opts
        .map
        .map(|m| read_map(m, &mut problems))
        .unwrap_or_default();
    let chosen = read_sheet_choices(opts.sheets, &mut problems);
    let mut source = match Source::open(opts.file, &file_name, SheetKind::Clients.name()) {
        Ok(s) => s,
        Err(p) => {
            problems.push(p);
            return Err(fail(problems));
        }
    };

    let available = source.sheet_names();
    let mut sheets: HashMap<SheetKind, Sheet> = HashMap::new();
    for kind in SheetKind::ALL {
        let name = chosen.get(&kind).map_or(kind.name(), String::as_str);
        match source.table(name) {
            Ok(Some(table)) => {
                if let Some(sheet) = resolve_columns(kind, &file_name, table, &map, &mut problems) {
                    sheets.insert(kind, sheet);
                }
            }
            Ok(None) if kind == SheetKind::Clients || chosen.contains_key(&kind) => problems.push(
                Problem::new(file_name.clone(), "sheet_missing")
                    .arg("sheet", name)
                    .arg("pinned", kind.name())
                    .arg("sheets", available.join(", ")),
            ),
            Ok(None) => {}
            Err(e) => problems
                .push(Problem::new(format!("{file_name}:{name}"), "unreadable").cause("error", e)),
        }
    }
    let Some(client_sheet) = sheets.get(&SheetKind::Clients) else {
        return Err(fail(problems));
    };

    // The clients sheet: one record per row, ids unique.
    let mut records: Vec<ClientFile> = Vec::new();
    let mut row_of: HashMap<String, usize> = HashMap::new();
    // Every number on the clients sheet, also of rows with problems, so their
    // services and payments are not reported as belonging to no client.
    let known: HashSet<String> = client_sheet
        .rows()
        .filter_map(|row| value::text(client_sheet.cell(row, CLIENT_ID)))
        .collect();
    {
        let mut r = Rows {
            sheet: client_sheet,
            problems: &mut problems,
        };
        for row in client_sheet.rows() {
            if let Some(id) = value::text(client_sheet.cell(row, CLIENT_ID)) {
                if let Some(first) = row_of.get(&id) {
                    let other = client_sheet.at(*first, CLIENT_ID);
                    r.problems.push(
                        Problem::new(client_sheet.at(row, CLIENT_ID), "duplicate")
                            .arg("value", id)
                            .arg("other", other),
                    );
                    continue;
                }
                row_of.insert(id, row);
            }
            if let Some(record) = client_record(&mut r, row) {
                records.push(record);
            }
        }
    }
    let index: HashMap<String, usize> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.clone(), i))
        .collect();

    // Services, contracts and payments join their client by 客户编号.
    if let Some(sheet) = sheets.get(&SheetKind::Services) {
        let mut r = Rows {
            sheet,
            problems: &mut problems,
        };
        for row in sheet.rows() {
            let client = r.client(row, &known).and_then(|c| index.get(&c).copied());
            let date = r.required_date(row, "服务日期");
            let kind = r.required(row, "服务项目");
            let staff = r.required(row, "服务人员");
            let notes = r.text(row, "备注");
            if let (Some(client), Some(date), Some(kind), Some(staff)) = (client, date, kind, staff)
            {
                records[client].services.push(ServiceFile {
                    date,
                    kind,
                    staff,
                    notes,
                });
            }
        }
    }
    if let Some(sheet) = sheets.get(&SheetKind::Contracts) {
        let mut r = Rows {
            sheet,
            problems: &mut problems,
        };
        for row in sheet.rows() {
            let client = r.client(row, &known).and_then(|c| index.get(&c).copied());
            let id = r.required(row, "合同编号");
            let signed = r.date(row, "签订日期");
            let start = r.date(row, "开始日期");
            let end = r.date(row, "结束日期");
            let amount = r.amount(row, "金额");
            if let (Some(Some(s)), Some(Some(e))) = (&start, &end) {
                if e < s {
                    r.problems.push(
                        Problem::new(sheet.at(row, "结束日期"), "contract_dates")
                            .arg("start", s.clone())
                            .arg("end", e.clone()),
                    );
                    continue;
                }
            }
            if let (Some(client), Some(id), Some(signed), Some(start), Some(end), Some(amount)) =
                (client, id, signed, start, end, amount)
            {
                records[client].contracts.push(ContractFile {
                    id,
                    signed,
                    start,
                    end,
                    amount,
                    file: None,
                });
            }
        }
    }
    if let Some(sheet) = sheets.get(&SheetKind::Payments) {
        let mut r = Rows {
            sheet,
            problems: &mut problems,
        };
        for row in sheet.rows() {
            let client = r.client(row, &known).and_then(|c| index.get(&c).copied());
            let date = r.required_date(row, "付款日期");
            let amount = r.amount(row, "金额");
            let method = r.required(row, "付款方式");
            let invoice = r.text(row, "发票号");
            if let (Some(client), Some(date), Some(amount), Some(method)) =
                (client, date, amount, method)
            {
                records[client].payments.push(PaymentFile {
                    date,
                    amount,
                    method,
                    invoice,
                });
            }
        }
    }

    // Against the room: never replace a record without --update.
    let (existing, unreadable) = existing_records(opts.room);
    let present: HashSet<SheetKind> = sheets.keys().copied().collect();
    let mut plan: Vec<(PathBuf, String)> = Vec::new();
    let mut changes = Vec::new();
    for record in &records {
        let id_cell = client_sheet.at(row_of[&record.id], CLIENT_ID);
        let own_path = opts
            .room
            .join("clients")
            .join(format!("{}.yaml", record.id));
        if let Some((path, e)) = unreadable.iter().find(|(p, _)| p == &own_path) {
            problems.push(
                Problem::new(id_cell, "existing_unreadable")
                    .arg("file", path.display().to_string())
                    .cause("error", e.clone())
                    .arg("room", room_at.clone()),
            );
            continue;
        }
        match existing.get(&record.id) {
            Some((path, _)) if !opts.update => problems.push(
                Problem::new(id_cell, "exists")
                    .arg("value", record.id.clone())
                    .arg("file", path.display().to_string()),
            ),
            Some((path, old)) => {
                let merged = merge(old, record, client_sheet, &present);
                let fields = old.changed_fields(&merged);
                if fields.is_empty() {
                    changes.push(Change::Unchanged(record.id.clone()));
                } else {
                    changes.push(Change::Changed(record.id.clone(), fields));
                    plan.push((path.clone(), merged.to_yaml()));
                }
            }
            None if own_path.exists() => problems.push(
                Problem::new(id_cell, "exists")
                    .arg("value", record.id.clone())
                    .arg("file", own_path.display().to_string()),
            ),
            None => {
                changes.push(Change::Added(record.id.clone()));
                plan.push((own_path, record.to_yaml()));
            }
        }
    }
    if !problems.is_empty() {
        return Err(fail(problems));
    }
    match write_all(&plan) {
        Ok(()) => Ok(Outcome {
            language,
            changes,
            written: plan.into_iter().map(|(p, _)| p).collect(),
        }),
        Err((path, e)) => Err(fail(vec![Problem::new(
            path.display().to_string(),
            "write_failed",
        )
        .cause("error", Wording::io(&e))])),
    }
}

/// Writes every file under a temporary name beside its place, then renames
/// them all into place; on a failure before the renames nothing is left behind.
fn write_all(plan: &[(PathBuf, String)]) -> Result<(), (PathBuf, std::io::Error)> {
    let mut staged: Vec<(PathBuf, &Path)> = Vec::new();
    let cleanup = |staged: &[(PathBuf, &Path)]| {
        for (tmp, _) in staged {
            let _ = std::fs::remove_file(tmp);
        }
    };
    for (path, text) in plan {
        let tmp = path.with_file_name(format!(
            ".{}.import-{}",
            path.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            std::process::id()
        ));
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&tmp, text));
        if let Err(e) = written {
            cleanup(&staged);
            let _ = std::fs::remove_file(&tmp);
            return Err((path.clone(), e));
        }
        staged.push((tmp, path));
    }
    for (tmp, path) in &staged {
        std::fs::rename(tmp, path).map_err(|e| {
            cleanup(&staged);
            (path.to_path_buf(), e)
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(cells: &[&str]) -> Vec<Cell> {
        cells.iter().map(|c| Cell::Text(c.to_string())).collect()
    }

    #[test]
    fn a_formula_error_is_a_problem_of_its_cell_not_a_value() {
        let table = Table {
            sheet: "客户".into(),
            first_row: 0,
            first_col: 0,
            rows: vec![
                texts(&["客户编号", "客户名称(全称)", "phone", "备注"]),
                vec![
                    Cell::Text("HX-1".into()),
                    Cell::Text("张伟".into()),
                    Cell::Float(13812345678.0),
                    Cell::Error("#N/A".into()),
                ],
            ],
        };
        let mut problems = Vec::new();
        let sheet = resolve_columns(
            SheetKind::Clients,
            "f.xlsx",
            table,
            &HashMap::new(),
            &mut problems,
        )
        .expect("headings resolve, aliases and (…) included");
        let mut rows = Rows {
            sheet: &sheet,
            problems: &mut problems,
        };
        let record = client_record(&mut rows, 1).expect("the row's other values are fine");
        assert_eq!(
            record.contact.and_then(|c| c.phone).as_deref(),
            Some("13812345678")
        );
        assert_eq!(record.notes, None);
        assert_eq!(
            problems,
            [Problem::new("f.xlsx:客户!D2", "cell_error")
                .arg("column", "备注")
                .arg("value", "#N/A")]
        );
    }
}
