//! Index tables as data (issue 10): the rows of the big index tables
//! (clients, contracts, payments, services) are built here as cells, once.
//! The plain site (restore, training, serve) gets them as ordinary `<tr>`s
//! inside the page ([`Placed`] records where); the sealed site strips them
//! from the page ([`strip`]) and seals them as sharded JSON row data, which
//! `dataroom-list.js` renders as a virtual list. One set of rows, one HTML
//! form ([`rows_html`]): restore puts back exactly what the build took out.

use std::borrow::Borrow;

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

/// A table's rows, each kept as its JSON in one buffer (issue 11): a row as
/// [`Row`]s and [`Cell`]s is ~700 bytes in a dozen allocations, as JSON ~150
/// bytes, and the sealed row shards are exactly these JSONs joined, so the
/// payments of 100,000 clients are ~100 MB instead of ~430 MB.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rows {
    json: Vec<u8>,
    /// Where each row's JSON ends in `json`.
    ends: Vec<usize>,
}

impl Rows {
    pub fn push(&mut self, row: &Row) {
        // Only strings and lists of strings: writing into a Vec cannot fail.
        serde_json::to_writer(&mut self.json, row).expect("a row serializes");
        self.ends.push(self.json.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Row `n` as JSON (`{"c":[…]}`), as the sealed shards hold it.
    pub fn json(&self, n: usize) -> &[u8] {
        let start = if n == 0 { 0 } else { self.ends[n - 1] };
        &self.json[start..self.ends[n]]
    }

    /// Every row's JSON in order.
    pub fn jsons(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).map(|n| self.json(n))
    }

    /// The rows as structs again, one at a time (the plain site's `<tr>`s).
    pub fn iter(&self) -> impl Iterator<Item = Row> + '_ {
        self.jsons()
            .map(|json| serde_json::from_slice(json).expect("a row reads back as it was written"))
    }
}

impl<R: Borrow<Row>> FromIterator<R> for Rows {
    fn from_iter<I: IntoIterator<Item = R>>(rows: I) -> Rows {
        let mut all = Rows::default();
        for row in rows {
            all.push(row.borrow());
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

/// At most this many rows per sealed shard: the first screen needs only the first.
pub const SHARD_ROWS: usize = 2000;

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
mod tests {
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
