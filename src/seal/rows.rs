//! The index tables' rows as sealed data (issue 10): each table of a page
//! (`render::rows`) is cut into shards of at most [`SHARD_ROWS`] rows, each
//! shard a JSON payload of its own (padded, AES-GCM, under the key of exactly
//! the views that show it), named in that view's index under the page's route.
//! The page itself is sealed without the rows, so opening `#/clients` at
//! 100,000 clients decrypts a small page and the first shard, not megabytes.

use crate::i18n::Wording;
use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::site::Distinct;
use super::{PayloadMeta, Sealer};
use crate::render::rows::{self, Column, Row, SHARD_ROWS};
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

/// Every distinct shard (by its JSON) with a payload id and its readers.
pub(super) struct RowShards {
    pub(super) shards: Distinct<Vec<u8>, String>,
}

impl RowShards {
    pub(super) fn new() -> RowShards {
        RowShards {
            shards: Distinct::new(),
        }
    }

    /// Records that `view` shows `page`'s tables; returns their index entries.
    pub(super) fn add(&mut self, view: usize, page: &Page) -> Result<Vec<TableEntry>, Wording> {
        page.tables
            .iter()
            .map(|placed| {
                let table = &placed.table;
                let shards = table
                    .rows
                    .chunks(SHARD_ROWS)
                    .map(|chunk| {
                        let json = serde_json::to_vec(chunk)
                            .map_err(|e| Wording::internal(e.to_string()))?;
                        let n = self.shards.add(json, Sealer::new_id(), view);
                        Ok(self.shards.items[n].0.clone())
                    })
                    .collect::<Result<Vec<String>, Wording>>()?;
                Ok(TableEntry {
                    name: table.name.clone(),
                    rows: table.rows.len(),
                    cols: table.columns.clone(),
                    shards,
                })
            })
            .collect()
    }

    /// Each distinct shard: its payload id, JSON and readers.
    pub(super) fn into_payloads(self) -> Vec<(String, Vec<u8>, super::site::Readers)> {
        let mut by_number: Vec<(usize, Vec<u8>)> = self
            .shards
            .at
            .into_iter()
            .map(|(json, n)| (n, json))
            .collect();
        by_number.sort_by_key(|(n, _)| *n);
        by_number
            .into_iter()
            .zip(self.shards.items)
            .map(|((_, json), (id, readers))| (id, json, readers))
            .collect()
    }
}

/// Restore: the page with its tables' rows put back, each shard opened by `open`.
pub fn restore_rows(
    html: String,
    tables: &[TableEntry],
    mut open: impl FnMut(&str) -> Result<Vec<u8>, Wording>,
) -> Result<String, Wording> {
    let mut html = html;
    for table in tables {
        let mut all: Vec<Row> = Vec::with_capacity(table.rows);
        for id in &table.shards {
            let shard: Vec<Row> = serde_json::from_slice(&open(id)?).map_err(|e| {
                Wording::internal(format!(
                    "the rows of table {} are unreadable: {e}",
                    table.name
                ))
            })?;
            all.extend(shard);
        }
        if all.len() != table.rows {
            return Err(Wording::internal(format!(
                "table {} holds {} rows, its index says {}",
                table.name,
                all.len(),
                table.rows
            )));
        }
        html = rows::inline(&html, &table.name, &table.cols, &all).ok_or_else(|| {
            Wording::internal(format!("the page has no place for table {}", table.name))
        })?;
    }
    Ok(html)
}

/// An index's tables, by route.
pub type Tables = BTreeMap<String, Vec<TableEntry>>;
