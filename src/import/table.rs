//! Reading a spreadsheet into plain tables: workbooks with calamine, CSV with
//! the encoding detected (UTF-8 with or without BOM, else GB18030, which
//! includes GBK). Cells keep their spreadsheet type so the conversions can tell
//! a number Excel stored from text the seller typed.

use std::path::Path;

use calamine::{Data, Reader};

use super::Problem;
use crate::i18n::Wording;

/// One cell as the spreadsheet stored it.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A cell formatted as a date: the serial day number (1900 or 1904 epoch applied).
    Date(chrono::NaiveDate),
    /// `#N/A`, `#VALUE!` …
    Error(String),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }
}

/// A sheet: its name as the file has it, the position of its first cell (for
/// cell names like `客户!G124`) and its rows, the first being the headings.
pub struct Table {
    pub sheet: String,
    pub first_row: u32,
    pub first_col: u32,
    pub rows: Vec<Vec<Cell>>,
}

/// A spreadsheet file: its sheets by name, read on demand.
pub enum Source {
    Workbook(Box<calamine::Sheets<std::io::BufReader<std::fs::File>>>),
    /// A CSV is one sheet, the clients sheet.
    Csv(Table),
}

impl Source {
    pub fn open(path: &Path, display: &str, csv_sheet: &str) -> Result<Source, Problem> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let unreadable = |e: Wording| Problem::new(display, "unreadable").cause("error", e);
        // The file itself first: a missing or locked file is said without calamine's English.
        std::fs::File::open(path).map_err(|e| unreadable(Wording::io(&e)))?;
        match ext.as_str() {
            "xlsx" | "xlsm" | "xls" | "ods" => calamine::open_workbook_auto(path)
                .map(|w| Source::Workbook(Box::new(w)))
                .map_err(|e| unreadable(Wording::from(e.to_string()))),
            "csv" => {
                let bytes = std::fs::read(path).map_err(|e| unreadable(Wording::io(&e)))?;
                let text = decode_text(&bytes).ok_or_else(|| Problem::new(display, "encoding"))?;
                read_csv(&text, csv_sheet)
                    .map(Source::Csv)
                    .map_err(|e| unreadable(Wording::from(e)))
            }
            _ => Err(Problem::new(display, "unknown_format")),
        }
    }

    pub fn sheet_names(&self) -> Vec<String> {
        match self {
            Source::Workbook(w) => w.sheet_names(),
            Source::Csv(t) => vec![t.sheet.clone()],
        }
    }

    /// The sheet called `name`; `Ok(None)` when there is none.
    pub fn table(&mut self, name: &str) -> Result<Option<Table>, Wording> {
        match self {
            Source::Csv(t) => Ok((t.sheet == name).then(|| Table {
                sheet: t.sheet.clone(),
                first_row: 0,
                first_col: 0,
                rows: std::mem::take(&mut t.rows),
            })),
            Source::Workbook(w) => {
                if !w.sheet_names().iter().any(|s| s == name) {
                    return Ok(None);
                }
                let range = w
                    .worksheet_range(name)
                    .map_err(|e| Wording::from(e.to_string()))?;
                let (first_row, first_col) = range.start().unwrap_or((0, 0));
                Ok(Some(Table {
                    sheet: name.to_string(),
                    first_row,
                    first_col,
                    rows: range
                        .rows()
                        .map(|row| row.iter().map(cell).collect())
                        .collect(),
                }))
            }
        }
    }
}

fn cell(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Int(*i),
        Data::Float(f) => Cell::Float(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            chrono::NaiveDate::from_ymd_opt(y.into(), m.into(), d.into())
                .map_or(Cell::Float(dt.as_f64()), Cell::Date)
        }
        Data::DateTime(dt) => Cell::Float(dt.as_f64()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

/// The text of a CSV file: UTF-8 (a BOM is dropped) when it is valid UTF-8,
/// else GB18030 (a superset of GBK, what Chinese Excel and booking software
/// write); `None` when it is neither.
pub fn decode_text(bytes: &[u8]) -> Option<String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Some(text.to_string()),
        Err(_) => encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(|text| text.into_owned()),
    }
}

fn read_csv(text: &str, sheet: &str) -> Result<Table, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        rows.push(
            record
                .iter()
                .map(|v| {
                    if v.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(v.to_string())
                    }
                })
                .collect(),
        );
    }
    Ok(Table {
        sheet: sheet.to_string(),
        first_row: 0,
        first_col: 0,
        rows,
    })
}

/// A cell's name as Excel shows it: column letters, then the 1-based row (`G124`).
pub fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), row + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_names_read_as_in_excel() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(123, 6), "G124");
        assert_eq!(cell_name(1, 25), "Z2");
        assert_eq!(cell_name(1, 26), "AA2");
        assert_eq!(cell_name(1, 27 + 26 * 26 - 1), "AAA2");
    }

    #[test]
    fn csv_text_is_utf8_with_or_without_bom_else_gb18030() {
        assert_eq!(decode_text("客户".as_bytes()).as_deref(), Some("客户"));
        assert_eq!(decode_text(b"\xEF\xBB\xBFid").as_deref(), Some("id"));
        let (gbk, _, _) = encoding_rs::GBK.encode("客户编号,张伟");
        assert_eq!(decode_text(&gbk).as_deref(), Some("客户编号,张伟"));
        assert_eq!(decode_text(b"\x81\x20"), None);
    }
}
