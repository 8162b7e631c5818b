//! Index tables as data (issue 10): the rows of the big index tables
//! (clients, contracts, payments, services) are built here as cells, once.
//! The plain site (restore, training, serve) gets them as ordinary `<tr>`s
//! inside the page ([`Placed`] records where); the sealed site strips them
//! from the page ([`strip`]) and seals them as sharded JSON row data, which
//! `dataroom-list.js` renders as a virtual list. One set of rows, one HTML
//! form ([`rows_html`]): restore puts back exactly what the build took out.

use std::borrow::Borrow;
use std::io::Write;

use serde::{Deserialize, Serialize};

/// How a column sorts in the browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Text,
    Num,
    Date,
}

/// A column: how it sorts and the class its cells carry (`num`, `nowrap`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub k: Kind,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub c: String,
}

impl Column {
    pub fn new(k: Kind, class: &str) -> Column {
        Column {
            k,
            c: class.to_string(),
        }
    }
}

/// One cell: an optional link (`h` its href, `l` its text), then text `t`,
/// then badges `b`; `s` is the sort key when the shown text is not one
/// (amounts: `12800.00` for `¥12,800.00`). A tick box cell (checklists) has
/// `x`, the item's id its tick is kept under, and `l` as the box's label.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub x: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub h: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub l: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub t: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub b: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub s: String,
}

impl Cell {
    pub fn text(t: impl Into<String>) -> Cell {
        Cell {
            t: t.into(),
            ..Cell::default()
        }
    }

    pub fn link(href: String, text: impl Into<String>) -> Cell {
        Cell {
            h: href,
            l: text.into(),
            ..Cell::default()
        }
    }

    /// A tick box for checklist item `item`, labelled `label`.
    pub fn tick(item: String, label: impl Into<String>) -> Cell {
        Cell {
            x: item,
            l: label.into(),
            ..Cell::default()
        }
    }

    pub fn sorted_by(self, key: impl Into<String>) -> Cell {
        Cell {
            s: key.into(),
            ..self
        }
    }

    pub fn then(self, text: impl Into<String>) -> Cell {
        Cell {
            t: text.into(),
            ..self
        }
    }

    pub fn badges(self, badges: Vec<String>) -> Cell {
        Cell { b: badges, ..self }
    }
}

/// One row: its cells and an optional class (`expired`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub k: String,
    pub c: Vec<Cell>,
}

/// A table's rows as data, named within its page (`clients`, `payments`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub rows: Rows,
}

/// A table's rows, cut into shards as they are added, each shard kept as its
/// rows' JSON array gzipped as the seal stores a payload (issue 11): the
/// payments of 100,000 clients are ~15 MB instead of ~130 MB of JSON (or
/// ~430 MB as [`Row`]s), sealing a shard is only encrypting it, and the plain
/// site reads the rows back one shard at a time. Built by collecting rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rows {
    shards: Vec<Shard>,
    len: usize,
}

/// Consecutive rows of a table: [`Rows::shards`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Their JSON array (`[{"c":[…]},…]`), gzipped by `seal::gzip_writer`.
    pub gzipped: Vec<u8>,
}

impl Shard {
    /// The rows' JSON array again.
    pub fn json(&self) -> Vec<u8> {
        crate::seal::gunzip(&self.gzipped).expect("a shard gunzips as it was gzipped")
    }
}

/// The first shard's rows: all the first screen needs, so it opens fast even
/// when rows are long (notices).
pub const FIRST_SHARD_ROWS: usize = 100;
/// The first shard stops at this many bytes of JSON: a screen of long rows (a
/// notice letter is ~2 kB) opens without decrypting hundreds of letters first.
pub const FIRST_SHARD_BYTES: usize = 64 * 1024;
/// At most this many rows per later shard.
pub const SHARD_ROWS: usize = 2000;
/// A shard's JSON stops growing past this many bytes (long rows: notices).
pub const SHARD_BYTES: usize = 512 * 1024;

/// The shard being filled: its rows' JSON array, not yet closed.
struct OpenShard {
    json: Vec<u8>,
    rows: usize,
}

impl OpenShard {
    fn new() -> OpenShard {
        OpenShard {
            json: Vec::new(),
            rows: 0,
        }
    }

    /// Whether `row` (its JSON) must start the next shard: the first shard
    /// holds at most [`FIRST_SHARD_ROWS`] rows and [`FIRST_SHARD_BYTES`]
    /// bytes, later ones [`SHARD_ROWS`] and about [`SHARD_BYTES`].
    fn full_for(&self, row: &[u8], first: bool) -> bool {
        let (limit, bytes) = match first {
            true => (FIRST_SHARD_ROWS, FIRST_SHARD_BYTES),
            false => (SHARD_ROWS, SHARD_BYTES),
        };
        self.rows > 0 && (self.rows >= limit || self.json.len() + row.len() > bytes)
    }

    fn add(&mut self, row: &[u8]) {
        self.json.push(if self.rows == 0 { b'[' } else { b',' });
        self.json.extend_from_slice(row);
        self.rows += 1;
    }

    /// The shard closed and gzipped; the buffer is kept for the next one.
    fn close(&mut self) -> Shard {
        self.json.push(b']');
        let mut gz = crate::seal::gzip_writer(Vec::with_capacity(self.json.len() / 4));
        // Writing into a Vec cannot fail.
        gz.write_all(&self.json).expect("gzip into memory");
        let gzipped = gz.finish().expect("gzip into memory");
        self.json.clear();
        self.rows = 0;
        Shard { gzipped }
    }
}

impl Rows {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The rows' shards in order, as they are sealed.
    pub fn shards(&self) -> &[Shard] {
        &self.shards
    }

    /// The rows as structs again, a shard at a time (the plain site's `<tr>`s).
    pub fn iter(&self) -> impl Iterator<Item = Row> + '_ {
        self.shards.iter().flat_map(|shard| {
            serde_json::from_slice::<Vec<Row>>(&shard.json())
                .expect("rows read back as they were written")
        })
    }
}

impl<R: Borrow<Row>> FromIterator<R> for Rows {
    fn from_iter<I: IntoIterator<Item = R>>(rows: I) -> Rows {
        let mut all = Rows::default();
        let mut open = OpenShard::new();
        let mut json = Vec::new();
        for row in rows {
            json.clear();
            // Only strings and lists of strings: writing into a Vec cannot fail.
            serde_json::to_writer(&mut json, row.borrow()).expect("a row serializes");
            if open.full_for(&json, all.shards.is_empty()) {
                all.shards.push(open.close());
            }
            open.add(&json);
            all.len += 1;
        }
        if open.rows > 0 {
            all.shards.push(open.close());
        }
        all
    }
}

/// A table placed in its page's HTML: its rows' HTML starts at byte `at` and
/// is `len` bytes long (right after `<tbody data-rows="name">`).
#[derive(Clone, Debug)]
pub struct Placed {
    pub table: Table,
    pub at: usize,
    pub len: usize,
}

/// What a template writes in its `<tbody data-rows="name">`: `{{ rows.name | safe }}`.
/// A private-use character cannot come from escaped room data.
pub fn placeholder(name: &str) -> String {
    format!("\u{E000}dataroom-rows:{name}\u{E000}")
}

fn escape(s: &str) -> String {
    tera::escape_html(s)
}

/// An href as the templates write `url()`'s (`| safe`, already percent-encoded):
/// `relink` finds `href="#/…"` to make it a relative file for the plain site.
fn escape_href(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The rows as `<tr>`s, as the plain site shows them and restore puts them back.
pub fn rows_html<R: Borrow<Row>>(columns: &[Column], rows: impl IntoIterator<Item = R>) -> String {
    let mut out = String::new();
    for row in rows {
        let row = row.borrow();
        if row.k.is_empty() {
            out.push_str("<tr>");
        } else {
            out.push_str(&format!("<tr class=\"{}\">", escape(&row.k)));
        }
        for (n, cell) in row.c.iter().enumerate() {
            out.push_str("<td");
            if let Some(col) = columns.get(n).filter(|c| !c.c.is_empty()) {
                out.push_str(&format!(" class=\"{}\"", escape(&col.c)));
            }
            if !cell.s.is_empty() {
                out.push_str(&format!(" data-sort=\"{}\"", escape(&cell.s)));
            }
            out.push('>');
            if !cell.x.is_empty() {
                out.push_str(&format!(
                    "<input type=\"checkbox\" data-item=\"{}\" aria-label=\"{}\">",
                    escape(&cell.x),
                    escape(&cell.l)
                ));
            } else if !cell.h.is_empty() {
                out.push_str(&format!(
                    "<a href=\"{}\">{}</a>",
                    escape_href(&cell.h),
                    escape(&cell.l)
                ));
                if !cell.t.is_empty() {
                    out.push(' ');
                }
            }
            out.push_str(&escape(&cell.t));
            for badge in &cell.b {
                out.push_str(&format!(" <span class=\"badge\">{}</span>", escape(badge)));
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    out
}

/// A page's row form for table `name`: the inside of its
/// `<template data-row-form="name">`, when it has one.
fn row_form<'a>(html: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<template data-row-form=\"{}\">", escape(name));
    let from = html.find(&open)? + open.len();
    let len = html[from..].find("</template>")?;
    Some(&html[from..from + len])
}

/// Rows as records (notices): each row is the form with cell `n`'s text
/// put into the (empty) element marked `data-cell="n"`, and its paragraphs
/// (split at blank lines) as `<p>`s into the one marked `data-cell-paragraphs="n"`.
/// `dataroom-list.js` fills the same form in the browser.
pub fn form_rows_html<R: Borrow<Row>>(form: &str, rows: impl IntoIterator<Item = R>) -> String {
    let mut out = String::new();
    for row in rows {
        let row = row.borrow();
        let mut rest = form;
        while let Some(at) = rest.find(" data-cell") {
            let tag_end = at + rest[at..].find('>').map_or(rest.len() - at, |n| n + 1);
            out.push_str(&rest[..tag_end]);
            let attr = &rest[at + " data-cell".len()..tag_end];
            let (paragraphs, attr) = match attr.strip_prefix("-paragraphs") {
                Some(a) => (true, a),
                None => (false, attr),
            };
            let n: Option<usize> = attr
                .strip_prefix("=\"")
                .and_then(|a| a.split('"').next())
                .and_then(|n| n.parse().ok());
            let text = n.and_then(|n| row.c.get(n)).map_or("", |c| c.t.as_str());
            if paragraphs {
                for p in text.split("\n\n").filter(|p| !p.trim().is_empty()) {
                    out.push_str(&format!("<p>{}</p>", escape(p)));
                }
            } else {
                out.push_str(&escape(text));
            }
            rest = &rest[tag_end..];
        }
        out.push_str(rest);
        out.push('\n');
    }
    out
}

/// The rows' HTML in `html`: by the page's row form for the table, else as `<tr>`s.
pub fn rows_in<R: Borrow<Row>>(
    html: &str,
    name: &str,
    columns: &[Column],
    rows: impl IntoIterator<Item = R>,
) -> String {
    match row_form(html, name) {
        Some(form) => form_rows_html(form, rows),
        None => rows_html(columns, rows),
    }
}

/// Puts each table's rows where the template left its placeholder; a table
/// whose placeholder the theme does not have is left out.
pub fn place(html: String, tables: Vec<Table>) -> (String, Vec<Placed>) {
    place_as(html, tables, true)
}

/// [`place`] for the sealed site, which stores the page without its rows
/// (`strip`): the page as `strip` would leave it, without ever writing the
/// rows' HTML (tens of MB for the payments of 100,000 clients, issue 11).
pub fn place_without_rows(html: String, tables: Vec<Table>) -> (String, Vec<Placed>) {
    place_as(html, tables, false)
}

fn place_as(mut html: String, tables: Vec<Table>, with_rows: bool) -> (String, Vec<Placed>) {
    let mut placed: Vec<Placed> = Vec::new();
    for table in tables {
        let mark = placeholder(&table.name);
        let Some(at) = html.find(&mark) else { continue };
        let rows = match with_rows {
            true => rows_in(&html, &table.name, &table.columns, table.rows.iter()),
            false => String::new(),
        };
        html.replace_range(at..at + mark.len(), &rows);
        // Tables placed earlier and lying after this one move by the difference.
        for p in placed.iter_mut().filter(|p| p.at > at) {
            p.at = p.at - mark.len() + rows.len();
        }
        placed.push(Placed {
            table,
            at,
            len: rows.len(),
        });
    }
    (html, placed)
}

/// The page without its tables' rows: what the sealed site stores as the page.
pub fn strip(html: &str, placed: &[Placed]) -> String {
    let mut cuts: Vec<(usize, usize)> = placed.iter().map(|p| (p.at, p.len)).collect();
    cuts.sort_unstable();
    let mut out = String::with_capacity(html.len());
    let mut from = 0;
    for (at, len) in cuts {
        out.push_str(&html[from..at]);
        from = at + len;
    }
    out.push_str(&html[from..]);
    out
}

/// Where table `name`'s rows go in a stripped page (and in the standalone
/// page made of it): right after `<tbody data-rows="name">` opens. Room data
/// cannot fake the mark: its quotes are escaped.
pub fn rows_at(html: &str, name: &str) -> Option<usize> {
    let mark = format!(" data-rows=\"{}\">", escape(name));
    Some(html.find(&mark)? + mark.len())
}

/// Puts rows back into a stripped page (restore): their HTML ([`rows_in`],
/// made shard by shard) right after the element marked `data-rows="name"`
/// opens (`<tbody data-rows="name">`).
pub fn inline_html(html: &str, name: &str, rows_html: &str) -> Option<String> {
    let at = rows_at(html, name)?;
    let mut out = String::with_capacity(html.len() + rows_html.len());
    out.push_str(&html[..at]);
    out.push_str(rows_html);
    out.push_str(&html[at..]);
    Some(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// What restore does with a table's rows: [`rows_in`], then [`inline_html`].
    fn inline<R: Borrow<Row>>(
        html: &str,
        name: &str,
        columns: &[Column],
        rows: impl IntoIterator<Item = R>,
    ) -> Option<String> {
        inline_html(html, name, &rows_in(html, name, columns, rows))
    }

    fn table(name: &str, texts: &[&str]) -> Table {
        Table {
            name: name.into(),
            columns: vec![Column::new(Kind::Text, ""), Column::new(Kind::Num, "num")],
            rows: texts
                .iter()
                .map(|t| Row {
                    k: String::new(),
                    c: vec![
                        Cell::link("#/clients/X".into(), *t).then("<b>"),
                        Cell::text("1").sorted_by("1.00"),
                    ],
                })
                .collect(),
        }
    }

    /// `n` one-cell rows, `"{i} {text}"` (also the seal's tests' rows).
    pub(crate) fn numbered(n: usize, text: &str) -> Rows {
        (0..n)
            .map(|i| Row {
                k: String::new(),
                c: vec![Cell::text(format!("{i} {text}"))],
            })
            .collect()
    }

    /// Each shard's JSON, gunzipped.
    fn shard_jsons(all: &Rows) -> Vec<Vec<u8>> {
        all.shards().iter().map(Shard::json).collect()
    }

    #[test]
    fn a_small_first_shard_then_full_ones_every_row_once() {
        let all = numbered(5000, "x");
        let parsed: Vec<Vec<Row>> = shard_jsons(&all)
            .iter()
            .map(|j| serde_json::from_slice(j).unwrap())
            .collect();
        let sizes: Vec<usize> = parsed.iter().map(Vec::len).collect();
        let expected = vec![
            FIRST_SHARD_ROWS,
            SHARD_ROWS,
            SHARD_ROWS,
            5000 - FIRST_SHARD_ROWS - 2 * SHARD_ROWS,
        ];
        assert_eq!(sizes, expected);
        assert_eq!(all.len(), 5000);
        let rows: Vec<Row> = parsed.concat();
        assert_eq!(rows, all.iter().collect::<Vec<_>>());
        assert_eq!(
            (rows[0].c[0].t.as_str(), rows[4999].c[0].t.as_str()),
            ("0 x", "4999 x")
        );
    }

    #[test]
    fn long_rows_make_shards_of_about_shard_bytes() {
        let long = "告".repeat(400); // ~1.2 kB a row
        let all = numbered(3000, &long);
        let shards = shard_jsons(&all);
        assert!(shards.iter().all(|j| j.len() <= SHARD_BYTES + 2));
        assert!(shards.len() > 3000 / SHARD_ROWS + 1);
        // The first screen's shard stays small even though rows are long.
        assert!(
            shards[0].len() <= FIRST_SHARD_BYTES + 2,
            "{}",
            shards[0].len()
        );
        assert!(shards[0].len() > FIRST_SHARD_BYTES / 2);
        let back: Vec<Row> = shards
            .iter()
            .flat_map(|j| serde_json::from_slice::<Vec<Row>>(j).unwrap())
            .collect();
        assert_eq!(back.len(), 3000);
        assert_eq!(back, all.iter().collect::<Vec<_>>());
    }

    #[test]
    fn rows_are_kept_gzipped_not_as_their_json() {
        let all = numbered(20_000, "Shanghai Jiejing Cleaning Services 上海洁净家政");
        let json: usize = shard_jsons(&all).iter().map(Vec::len).sum();
        let kept: usize = all.shards().iter().map(|s| s.gzipped.len()).sum();
        assert!(json > 1_000_000, "{json}");
        assert!(kept * 4 < json, "{kept} of {json}");
        assert!(Rows::default().iter().next().is_none() && Rows::default().shards().is_empty());
    }

    #[test]
    fn rows_are_escaped_and_carry_their_sort_keys() {
        let t = table("t", &["a&b"]);
        let html = rows_html(&t.columns, t.rows.iter());
        assert_eq!(
            html,
            "<tr><td><a href=\"#/clients/X\">a&amp;b</a> &lt;b&gt;</td><td class=\"num\" data-sort=\"1.00\">1</td></tr>\n"
        );
    }

    #[test]
    fn placed_rows_strip_and_inline_back_to_the_same_page() {
        let page = format!(
            "<h1>x</h1><tbody data-rows=\"a\">{}</tbody><p>mid</p><tbody data-rows=\"b\">{}</tbody>",
            placeholder("a"),
            placeholder("b")
        );
        let (a, b) = (table("a", &["one", "two"]), table("b", &["three"]));
        let (full, placed) = place(page, vec![b.clone(), a.clone()]);
        assert!(full.contains("one") && full.contains("three"));
        let stripped = strip(&full, &placed);
        assert_eq!(
            stripped,
            "<h1>x</h1><tbody data-rows=\"a\"></tbody><p>mid</p><tbody data-rows=\"b\"></tbody>"
        );
        let back = inline(&stripped, "a", &a.columns, a.rows.iter()).unwrap();
        let back = inline(&back, "b", &b.columns, b.rows.iter()).unwrap();
        assert_eq!(back, full);
    }

    #[test]
    fn rows_with_a_form_are_records_and_inline_back() {
        let form =
            "<section><b data-cell=\"0\"></b><div data-cell-paragraphs=\"1\"></div></section>";
        let page = format!(
            "<div class=\"n\" data-rows=\"n\">{}</div><template data-row-form=\"n\">{form}</template>",
            placeholder("n")
        );
        let table = Table {
            name: "n".into(),
            columns: vec![Column::new(Kind::Text, ""); 2],
            rows: [Row {
                k: String::new(),
                c: vec![Cell::text("HX-1 <x>"), Cell::text("one\n\ntwo & three")],
            }]
            .into_iter()
            .collect(),
        };
        let (full, placed) = place(page, vec![table.clone()]);
        assert!(full.starts_with(
            "<div class=\"n\" data-rows=\"n\"><section><b data-cell=\"0\">HX-1 &lt;x&gt;</b><div data-cell-paragraphs=\"1\"><p>one</p><p>two &amp; three</p></div></section>\n</div>"
        ), "{full}");
        let stripped = strip(&full, &placed);
        assert!(!stripped.contains("HX-1"));
        assert_eq!(
            inline(&stripped, "n", &table.columns, table.rows.iter()).unwrap(),
            full
        );
    }

    #[test]
    fn placed_without_rows_is_the_stripped_page() {
        let page = format!(
            "<tbody data-rows=\"a\">{}</tbody><p>mid</p><tbody data-rows=\"b\">{}</tbody>",
            placeholder("a"),
            placeholder("b")
        );
        let tables = vec![table("b", &["three"]), table("a", &["one", "two"])];
        let (full, placed) = place(page.clone(), tables.clone());
        let (bare, bare_placed) = place_without_rows(page, tables);
        assert_eq!(bare, strip(&full, &placed));
        assert_eq!(strip(&bare, &bare_placed), bare);
        let names = |p: &[Placed]| p.iter().map(|p| p.table.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&bare_placed), names(&placed));
    }

    #[test]
    fn a_theme_without_the_placeholder_gets_no_table() {
        let (html, placed) = place("<p>no rows</p>".into(), vec![table("a", &["one"])]);
        assert_eq!(html, "<p>no rows</p>");
        assert!(placed.is_empty());
    }
}
