//! The index tables' rows as sealed data (issue 10): each table of a page
//! (`render::rows`) comes cut into shards (at most [`rows::SHARD_ROWS`] rows,
//! the first of [`rows::FIRST_SHARD_ROWS`], already gzipped), each shard a
//! JSON payload of its own (padded, AES-GCM, under the key of exactly
//! the views that show it), named in that view's index under the page's route.
//! The page itself is sealed without the rows, so opening `#/clients` at
//! 100,000 clients decrypts a small page and the first shard, not megabytes.

use crate::i18n::Wording;
use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::site::Readers;
use super::PayloadMeta;
use crate::render::rows::{self, Column, Row};
use crate::render::Page;

/// What a row shard is sealed as (its associated data).
pub const ROWS_META: PayloadMeta<'static> = PayloadMeta {
    content_type: "application/json",
    name: "rows",
};

/// One table of a page in the index (`tables[route]`): its rows' count and
/// columns, and the payload ids of its shards in row order.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TableEntry {
    pub name: String,
    pub rows: usize,
    pub cols: Vec<Column>,
    pub shards: Vec<String>,
}

/// The page as sealed: without the rows its tables hold as data.
pub fn sealed_html(page: &Page) -> Cow<'_, str> {
    if page.tables.is_empty() {
        Cow::Borrowed(&page.html)
    } else {
        Cow::Owned(rows::strip(&page.html, &page.tables))
    }
}

/// One distinct shard at one place of a table: its gzipped JSON, its
/// readers, and where it goes (`shown` index, table index).
type ShardHere = (Vec<u8>, Readers, Vec<(usize, usize)>);

/// Hands each distinct shard of the tables of one route's pages (`shown`:
/// one page per view), gzipped, to `emit` with its readers, which seals it
/// and returns its payload id: a few sealed shards at a time, never every
/// one of a table (the payments of 100,000 clients, issue 11).
/// Identical shards at the same place of a table in several views are one
/// shard, sealed once for all of them. Returns each view's index entries.
pub(super) fn shard_tables(
    shown: &[(usize, Page)],
    mut emit: impl FnMut(Vec<u8>, Readers) -> Result<String, Wording>,
) -> Result<Vec<(usize, Vec<TableEntry>)>, Wording> {
    let mut entries: Vec<(usize, Vec<TableEntry>)> = Vec::new();
    // Each table name of any view, in the order pages place them.
    let mut names: Vec<&str> = Vec::new();
    for (v, page) in shown {
        let mut own = Vec::new();
        for placed in &page.tables {
            let table = &placed.table;
            if !names.contains(&table.name.as_str()) {
                names.push(&table.name);
            }
            own.push(TableEntry {
                name: table.name.clone(),
                rows: table.rows.len(),
                cols: table.columns.clone(),
                shards: Vec::new(),
            });
        }
        entries.push((*v, own));
    }
    for name in names {
        // (entry of `shown[i]`'s table, its shards still to come), per view.
        let mut cutting: Vec<(usize, usize, std::slice::Iter<rows::Shard>)> = Vec::new();
        for (i, (_, page)) in shown.iter().enumerate() {
            if let Some(t) = page.tables.iter().position(|p| p.table.name == name) {
                cutting.push((i, t, page.tables[t].table.rows.shards().iter()));
            }
        }
        loop {
            // This place's shard in every view, the identical ones together.
            let mut here: Vec<ShardHere> = Vec::new();
            for (i, t, shards) in &mut cutting {
                let Some(shard) = shards.next() else { continue };
                match here.iter_mut().find(|(z, _, _)| *z == shard.gzipped) {
                    Some((_, readers, at)) => {
                        readers.insert(shown[*i].0);
                        at.push((*i, *t));
                    }
                    None => here.push((
                        shard.gzipped.clone(),
                        Readers::from([shown[*i].0]),
                        vec![(*i, *t)],
                    )),
                }
            }
            if here.is_empty() {
                break;
            }
            for (gzipped, readers, at) in here {
                let id = emit(gzipped, readers)?;
                for (i, t) in at {
                    entries[i].1[t].shards.push(id.clone());
                }
            }
        }
    }
    Ok(entries)
}

/// Restore: the page with its tables' rows put back, each shard opened by
/// `open` (`--compare`, which keeps every page; else [`write_rows`]).
pub fn restore_rows(
    html: String,
    tables: &[TableEntry],
    mut open: impl FnMut(&str) -> Result<Vec<u8>, Wording>,
) -> Result<String, Wording> {
    let mut html = html;
    for table in tables {
        let mut rows_html = String::new();
        each_shard_html(&html, table, &mut open, |shard_html| {
            rows_html.push_str(&shard_html);
            Ok(())
        })?;
        html = rows::inline_html(&html, &table.name, &rows_html).ok_or_else(|| {
            Wording::internal(format!("the page has no place for table {}", table.name))
        })?;
    }
    Ok(html)
}

/// Restore: table `table`'s rows as HTML into `out`, a shard at a time
/// (opened by `open`), relinked for a standalone page `depth` folders deep;
/// `page_html` is the stripped page (its row form, when it has one).
pub fn write_rows(
    page_html: &str,
    table: &TableEntry,
    depth: usize,
    open: impl FnMut(&str) -> Result<Vec<u8>, Wording>,
    out: &mut dyn std::io::Write,
    write_failed: impl Fn(std::io::Error) -> Wording,
) -> Result<(), Wording> {
    each_shard_html(page_html, table, open, |shard_html| {
        out.write_all(crate::render::relink(&shard_html, depth).as_bytes())
            .map_err(&write_failed)
    })
}

/// Each shard of `table`'s rows as HTML, in order: its rows become HTML as it
/// is opened, never every row of the table at once (the payments of 100,000
/// clients, issue 11). A table whose shards do not hold the rows its index
/// counts is refused.
fn each_shard_html(
    page_html: &str,
    table: &TableEntry,
    mut open: impl FnMut(&str) -> Result<Vec<u8>, Wording>,
    mut each: impl FnMut(String) -> Result<(), Wording>,
) -> Result<(), Wording> {
    let mut count = 0;
    for id in &table.shards {
        let shard: Vec<Row> = serde_json::from_slice(&open(id)?).map_err(|e| {
            Wording::internal(format!(
                "the rows of table {} are unreadable: {e}",
                table.name
            ))
        })?;
        count += shard.len();
        each(rows::rows_in(page_html, &table.name, &table.cols, &shard))?;
    }
    if count != table.rows {
        return Err(Wording::internal(format!(
            "table {} holds {} rows, its index says {}",
            table.name, count, table.rows
        )));
    }
    Ok(())
}

/// An index's tables, by route.
pub type Tables = BTreeMap<String, Vec<TableEntry>>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::rows::tests::numbered;
    use crate::render::rows::{Cell, Rows};

    /// `rows` sealed as [`shard_tables`] would: its entry and each shard's
    /// JSON (as restore opens it) by id.
    fn sharded(name: &str, all: &Rows) -> (TableEntry, BTreeMap<String, Vec<u8>>) {
        let jsons: Vec<Vec<u8>> = all.shards().iter().map(rows::Shard::json).collect();
        let ids: Vec<String> = (0..jsons.len()).map(|n| format!("s{n}")).collect();
        let entry = TableEntry {
            name: name.to_string(),
            rows: all.len(),
            cols: vec![],
            shards: ids.clone(),
        };
        (entry, ids.into_iter().zip(jsons).collect())
    }

    #[test]
    fn restored_rows_are_written_shard_by_shard_as_the_whole_table_would_be() {
        let mut list: Vec<Row> = numbered(4500, "<b>").iter().collect();
        list[3].c[0] = Cell::link("#/clients/HX-1".into(), "HX-1");
        list[2500].c[0] = Cell::link("#/clients/HX-2".into(), "HX-2");
        let all: Rows = list.iter().collect();
        let (table, shards) = sharded("clients", &all);
        assert!(table.shards.len() > 2, "{}", table.shards.len());
        let page = r#"<table><tbody data-rows="clients"></tbody></table>"#;
        let mut opened = Vec::new();
        let mut out = Vec::new();
        write_rows(
            page,
            &table,
            1,
            |id| {
                opened.push(id.to_string());
                Ok(shards[id].clone())
            },
            &mut out,
            |e| Wording::internal(e.to_string()),
        )
        .expect("written");
        assert_eq!(opened, table.shards, "each shard opened once, in order");
        let whole = crate::render::relink(&rows::rows_html(&table.cols, all.iter()), 1);
        assert_eq!(String::from_utf8(out).expect("utf-8"), whole);
        assert!(
            whole.contains(r#"<a href="../clients/HX-2.html">"#),
            "relinked"
        );
        assert!(whole.contains("&lt;b&gt;"), "escaped");
        // --compare's whole page has the same rows in it.
        let restored = restore_rows(page.to_string(), &[table], |id| Ok(shards[id].clone()))
            .expect("restored");
        assert_eq!(
            crate::render::relink(&restored, 1),
            format!(r#"<table><tbody data-rows="clients">{whole}</tbody></table>"#)
        );
    }

    #[test]
    fn a_table_whose_shards_do_not_hold_its_rows_is_refused() {
        let all = numbered(300, "x");
        let (mut table, shards) = sharded("clients", &all);
        table.rows += 1;
        let page = r#"<tbody data-rows="clients"></tbody>"#;
        let written = write_rows(
            page,
            &table,
            0,
            |id| Ok(shards[id].clone()),
            &mut Vec::new(),
            |e| Wording::internal(e.to_string()),
        );
        assert!(written.is_err(), "one row short");
        let restored = restore_rows(page.to_string(), &[table], |id| Ok(shards[id].clone()));
        assert!(restored.is_err(), "one row short");
    }

    fn page_with(tables: Vec<(&str, Rows)>) -> Page {
        Page {
            route: "payments".into(),
            title: String::new(),
            html: String::new(),
            tables: tables
                .into_iter()
                .map(|(name, rows)| crate::render::rows::Placed {
                    table: crate::render::rows::Table {
                        name: name.into(),
                        columns: vec![],
                        rows,
                    },
                    at: 0,
                    len: 0,
                })
                .collect(),
        }
    }

    #[test]
    fn shards_are_sealed_as_they_are_cut_and_identical_ones_of_two_views_once() {
        let all = numbered(4500, "x");
        let other = numbered(4500, "y");
        // Views 0 and 2 show the same table, view 1 another; view 2 also a small one.
        let shown = vec![
            (0, page_with(vec![("payments", all.clone())])),
            (1, page_with(vec![("payments", other)])),
            (
                2,
                page_with(vec![("payments", all.clone()), ("extra", numbered(3, "z"))]),
            ),
        ];
        let mut sealed: Vec<(Vec<u8>, Readers)> = Vec::new();
        let entries = shard_tables(&shown, |json, readers| {
            sealed.push((json, readers));
            Ok(format!("s{}", sealed.len() - 1))
        })
        .expect("cut");
        let per_table = all.shards().len();
        assert_eq!(per_table, 4);
        // Each place of the shared table once (readers 0 and 2), the other
        // view's table apart, then the small table.
        assert_eq!(sealed.len(), 2 * per_table + 1);
        let shared: Vec<&Readers> = sealed.iter().map(|(_, r)| r).collect();
        assert_eq!(*shared[0], Readers::from([0, 2]));
        assert_eq!(*shared[1], Readers::from([1]));
        assert_eq!(*shared[2 * per_table], Readers::from([2]));
        let ids = |view: usize, table: usize| entries[view].1[table].shards.clone();
        assert_eq!(ids(0, 0), ids(2, 0));
        assert_ne!(ids(0, 0), ids(1, 0));
        assert_eq!(ids(2, 1), vec![format!("s{}", 2 * per_table)]);
        assert_eq!((entries[0].1[0].rows, entries[2].1[1].rows), (4500, 3));
        // The shards hold every row once, in order.
        let back: Vec<Row> = ids(0, 0)
            .iter()
            .map(|id| &sealed[id[1..].parse::<usize>().unwrap()].0)
            .flat_map(|gz| {
                serde_json::from_slice::<Vec<Row>>(&crate::seal::gunzip(gz).unwrap()).unwrap()
            })
            .collect();
        assert_eq!(back, all.iter().collect::<Vec<_>>());
    }
}
