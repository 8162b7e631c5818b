//! The encrypted full-text search (issue 10): one index per view (the room as
//! one audience sees it), so an audience can only ever find what it sees,
//! masked values masked.
//!
//! Documents are clients (name, id, phone, e-mail, address, notes, contract
//! and invoice numbers), policies, checklists and lessons (their text). Their
//! tokens ([`tokens`]) are never stored as text: each becomes
//! HMAC-SHA256(view's search key, token), whose first two bytes choose the
//! term shard and whose next eight name the term in it. The key is secret per
//! view ([`view_key`]) and given to the browser only inside that view's
//! encrypted index, so even a decrypted term shard says nothing about which
//! words it holds. Term shards
//! (`{term: [doc numbers, delta-coded]}`) and doc shards (`[[kind, title,
//! route, text], …]`, the snippet source) are sealed as payloads like every
//! other (padded, gzipped); the browser (static/dataroom-search.js) hashes the
//! query's tokens in WebCrypto and fetches only the shards they need.

pub mod tokens;

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::render::registry::{Section, Sees};
use crate::room::{Client, DocKind, Document, Room};
use tokens::{exact_key, phone_tokens, text_tokens, EXACT_PREFIX};

/// Term shards: at least this many (so a tiny room's index looks like a small
/// one's), at most [`MAX_TERM_SHARDS`]; about this many postings each.
const MIN_TERM_SHARDS: usize = 16;
const MAX_TERM_SHARDS: usize = 4096;
const POSTINGS_PER_SHARD: usize = 8192;
/// Documents per doc shard: a result list fetches a few small shards.
pub const DOCS_PER_SHARD: usize = 128;
/// Bytes of the term's HMAC that name it inside its shard (after the two
/// that chose the shard): 64 bits, collisions negligible at millions of terms.
const TERM_NAME_BYTES: usize = 8;

/// What a search result links to, in the order results are grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Client,
    Policy,
    Checklist,
    Lesson,
}

impl Kind {
    fn of_doc(kind: DocKind) -> Kind {
        match kind {
            DocKind::Policy => Kind::Policy,
            DocKind::Checklist => Kind::Checklist,
            DocKind::Training => Kind::Lesson,
        }
    }
}

/// One searchable document before hashing.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDoc {
    pub kind: Kind,
    pub title: String,
    /// The route it links to (`clients/C0001`, `policies/privacy`).
    pub route: String,
    /// What the snippet is cut from: the fields the audience sees, joined.
    pub text: String,
    pub tokens: Vec<String>,
}

/// One view's search index, ready to seal.
pub struct SearchIndex {
    /// The HMAC key of the terms ([`view_key`]; goes into the view's encrypted index only).
    pub key: [u8; 32],
    /// JSON of each term shard.
    pub terms: Vec<Vec<u8>>,
    /// JSON of each doc shard ([`DOCS_PER_SHARD`] documents each).
    pub docs: Vec<Vec<u8>>,
    pub doc_count: usize,
    /// Each kind's first document number (documents are in kind order), so
    /// the browser groups hits by kind before it fetches any document.
    pub groups: Vec<(Kind, usize)>,
}

impl SearchIndex {
    /// Bytes of all its shards before sealing (what `build` reports).
    pub fn size(&self) -> u64 {
        self.terms
            .iter()
            .chain(&self.docs)
            .map(|s| s.len() as u64)
            .sum()
    }

    pub fn shard_count(&self) -> usize {
        self.terms.len() + self.docs.len()
    }
}

/// The size `build` reports: every view's search index together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchSize {
    /// Bytes of the shards before sealing.
    pub bytes: u64,
    pub shards: usize,
}

impl SearchSize {
    /// Counts one more view's index.
    pub fn add(&mut self, index: &SearchIndex) {
        self.bytes += index.size();
        self.shards += index.shard_count();
    }

    /// Counts one more view's streamed index.
    pub fn add_streamed<T>(&mut self, index: &Streamed<T>) {
        self.bytes += index.bytes;
        self.shards += index.terms.len() + index.docs.len();
    }
}

/// What one view's index is made from. The seal builds each view's index,
/// seals its shards and drops it before the next (issue 11: the build never
/// holds every view's index at once).
pub struct SearchSource<'a> {
    /// The room as the view sees it (`render::audience::room_for`).
    pub room: &'a Room,
    pub sees: &'a Sees,
    /// [`view_key`] of the view.
    pub key: [u8; 32],
}

impl SearchSource<'_> {
    pub fn build(&self) -> SearchIndex {
        build(&documents(self.room, self.sees), self.key)
    }

    /// Builds the view's index a few thousand documents at a time, handing
    /// each shard to `emit` (which seals and writes it) as soon as it is made:
    /// only the postings, as hashed terms and document numbers, stay for the
    /// whole view (issue 11). The shards are those of [`SearchSource::build`].
    pub fn stream<T: Send, E: Send>(&self, emit: &Emit<'_, T, E>) -> Result<Streamed<T>, E> {
        let clients = if self.sees.contains(Section::Clients) {
            self.room.clients.len()
        } else {
            0
        };
        // In kind order, as `documents` sorts them (clients are the first kind).
        let mut others: Vec<&Document> = self
            .room
            .documents
            .iter()
            .filter(|d| self.sees.contains(Section::of_doc(d.kind)))
            .collect();
        others.sort_by_key(|d| Kind::of_doc(d.kind));
        let make = |n: usize| match n.checked_sub(clients) {
            None => client_doc(&self.room.clients[n]),
            Some(k) => document_doc(others[k]),
        };
        stream(clients + others.len(), &make, self.key, emit)
    }
}

/// Which shard of a view's index: term shard or doc shard `n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardName {
    Term(usize),
    Doc(usize),
}

impl ShardName {
    /// Its payload name ([`term_shard_name`], [`doc_shard_name`]).
    pub fn payload_name(self) -> String {
        match self {
            ShardName::Term(n) => term_shard_name(n),
            ShardName::Doc(n) => doc_shard_name(n),
        }
    }
}

/// What becomes of each shard's JSON as it is made (sealed and written, in a build).
pub type Emit<'a, T, E> = dyn Fn(ShardName, Vec<u8>) -> Result<T, E> + Sync + 'a;

/// A streamed index: what `emit` returned for each shard, in shard order.
pub struct Streamed<T> {
    pub key: [u8; 32],
    pub terms: Vec<T>,
    pub docs: Vec<T>,
    pub doc_count: usize,
    pub groups: Vec<(Kind, usize)>,
    /// Bytes of all shards before sealing.
    pub bytes: u64,
}

/// Documents made (in parallel) and hashed per step of [`stream`]: a
/// multiple of [`DOCS_PER_SHARD`], a few MB of documents.
const DOCS_PER_STEP: usize = 32 * DOCS_PER_SHARD;

/// What the view's encrypted index says about its search: the key and the
/// payload ids of the shards (their meta is [`term_shard_name`] / [`doc_shard_name`]).
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct SearchRef {
    /// Base64 of the HMAC key.
    pub key: String,
    pub terms: Vec<String>,
    pub docs: Vec<String>,
    /// Documents per doc shard.
    pub per: usize,
    pub count: usize,
    /// `[kind, first document number]` of each kind present, in order.
    pub groups: Vec<(Kind, usize)>,
}

/// The payload name (bound into its associated data) of term shard `n`, so a
/// shard cannot be swapped for another.
pub fn term_shard_name(n: usize) -> String {
    format!("search/terms/{n}")
}

pub fn doc_shard_name(n: usize) -> String {
    format!("search/docs/{n}")
}

/// The documents of `room` (already cut to one audience's view by
/// `render::audience::room_for`) that a reader seeing `sees` can open.
pub fn documents(room: &Room, sees: &Sees) -> Vec<SearchDoc> {
    let mut docs = Vec::new();
    if sees.contains(Section::Clients) {
        docs.par_extend(room.clients.par_iter().map(client_doc));
    }
    docs.extend(
        room.documents
            .iter()
            .filter(|d| sees.contains(Section::of_doc(d.kind)))
            .map(document_doc),
    );
    // Grouped by kind (stable: room order within a kind), see `SearchIndex::groups`.
    docs.sort_by_key(|d| d.kind);
    docs
}

/// A client's searchable fields: only those the view holds (a masked phone
/// is already masked here, contracts and payments already dropped when the
/// audience does not see them).
fn client_doc(c: &Client) -> SearchDoc {
    let mut tokens = Vec::new();
    let mut shown: Vec<&str> = vec![c.name.as_str(), c.id.as_str()];
    tokens.extend(text_tokens(&c.name));
    tokens.extend(text_tokens(&c.id));
    tokens.push(exact(&c.name));
    tokens.push(exact(&c.id));
    if let Some(phone) = &c.contact.phone {
        shown.push(phone);
        tokens.extend(text_tokens(phone));
        let (whole, tail) = phone_tokens(phone);
        tokens.extend(whole.iter().map(|w| format!("{EXACT_PREFIX}{w}")));
        tokens.extend(whole);
        if let Some(tail) = tail {
            tokens.push(format!("{EXACT_PREFIX}{tail}"));
            tokens.push(tail);
        }
    }
    if let Some(email) = &c.contact.email {
        shown.push(email);
        tokens.extend(text_tokens(email));
        if !email.contains('*') {
            tokens.push(exact(email));
        }
    }
    for value in [&c.contact.address, &c.notes].into_iter().flatten() {
        shown.push(value);
        tokens.extend(text_tokens(value));
    }
    let numbers = c
        .contracts
        .iter()
        .map(|k| k.id.as_str())
        .chain(c.payments.iter().filter_map(|p| p.invoice.as_deref()));
    for number in numbers {
        shown.push(number);
        tokens.extend(text_tokens(number));
        tokens.push(exact(number));
    }
    SearchDoc {
        kind: Kind::Client,
        title: c.name.clone(),
        route: format!("clients/{}", c.id),
        text: shown.join(" · "),
        tokens,
    }
}

fn document_doc(d: &Document) -> SearchDoc {
    let text = tokens::markdown_text(&d.body);
    let mut tokens = text_tokens(&d.title);
    tokens.push(exact(&d.title));
    tokens.extend(text_tokens(&text));
    SearchDoc {
        kind: Kind::of_doc(d.kind),
        title: d.title.clone(),
        route: d.route(),
        text,
        tokens,
    }
}

fn exact(value: &str) -> String {
    format!("{EXACT_PREFIX}{}", exact_key(value))
}

/// HMAC-SHA256 of `token` under `key`.
pub fn term_hash(key: &[u8; 32], token: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(token.as_bytes());
    mac.finalize().into_bytes().into()
}

/// Which of `shards` (a power of two) term shard holds `hash`, and the term's
/// name in it.
pub fn locate(hash: &[u8; 32], shards: usize) -> (usize, String) {
    (term_shard(hash, shards), term_name(hash))
}

/// [`locate`]'s shard, from a term hash or its first `2 + TERM_NAME_BYTES` bytes.
fn term_shard(hash: &[u8], shards: usize) -> usize {
    usize::from(u16::from_be_bytes([hash[0], hash[1]])) & (shards - 1)
}

/// [`locate`]'s name, from a term hash or its first `2 + TERM_NAME_BYTES` bytes.
fn term_name(hash: &[u8]) -> String {
    crate::seal::hex(&hash[2..2 + TERM_NAME_BYTES])
}

/// The number of term shards for `postings` postings: a power of two.
fn term_shards_for(postings: usize) -> usize {
    (postings / POSTINGS_PER_SHARD)
        .max(1)
        .next_power_of_two()
        .clamp(MIN_TERM_SHARDS, MAX_TERM_SHARDS)
}

/// The search key of one view: HMAC-SHA256 of the build's secret state
/// (`lib.rs::state_secret`, keyed by the seller's signing key, never public)
/// and the audience's name. Secret like the signing key, different for each
/// audience, and stable across rebuilds of the room, so the shards' padded
/// sizes follow the content alone, not a fresh draw of the key (which would
/// shuffle terms across shards and change their sizes from build to build).
pub fn view_key(state_secret: &[u8; 32], audience: Option<&str>) -> [u8; 32] {
    term_hash(
        state_secret,
        &format!("dataroom-search/1 {}", audience.unwrap_or("")),
    )
}

/// Builds one view's index under `key` ([`view_key`]). `docs` must be in
/// kind order, as [`documents`] returns them.
pub fn build(docs: &[SearchDoc], key: [u8; 32]) -> SearchIndex {
    let keep =
        |_: ShardName, json: Vec<u8>| -> Result<Vec<u8>, std::convert::Infallible> { Ok(json) };
    let built = match stream(docs.len(), &|n| docs[n].clone(), key, &keep) {
        Ok(built) => built,
        Err(never) => match never {},
    };
    SearchIndex {
        key,
        terms: built.terms,
        docs: built.docs,
        doc_count: built.doc_count,
        groups: built.groups,
    }
}

/// A term's hash as far as the index uses it: the two bytes that choose
/// its shard, then its name ([`locate`]).
type TermKey = [u8; 2 + TERM_NAME_BYTES];

/// Builds an index of `count` documents (`make(n)`, in kind order) under
/// `key`, [`DOCS_PER_STEP`] documents at a time: their doc shards go to
/// `emit` at once, their tokens are hashed and only the hashes' postings are
/// kept; the term shards go to `emit` at the end, each made and handed on alone.
fn stream<T: Send, E: Send>(
    count: usize,
    make: &(dyn Fn(usize) -> SearchDoc + Sync),
    key: [u8; 32],
    emit: &Emit<'_, T, E>,
) -> Result<Streamed<T>, E> {
    let mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("HMAC takes any key length");
    // Each (token, document holding it), flat: 16 bytes a posting, where a
    // map of a list per token took ~70 (~200 MB at 100,000 clients, issue 11).
    let mut postings: Vec<(TermKey, u32)> = Vec::new();
    let mut groups: Vec<(Kind, usize)> = Vec::new();
    let mut docs: Vec<T> = Vec::new();
    let mut bytes = 0u64;
    for first in (0..count).step_by(DOCS_PER_STEP) {
        let made: Vec<(SearchDoc, Vec<TermKey>)> = (first..count.min(first + DOCS_PER_STEP))
            .into_par_iter()
            .map(|n| {
                let mut doc = make(n);
                let mut keys: Vec<TermKey> = std::mem::take(&mut doc.tokens)
                    .iter()
                    .map(|token| {
                        let hash: [u8; 32] = mac
                            .clone()
                            .chain_update(token)
                            .finalize()
                            .into_bytes()
                            .into();
                        let mut key: TermKey = [0; 2 + TERM_NAME_BYTES];
                        key.copy_from_slice(&hash[..2 + TERM_NAME_BYTES]);
                        key
                    })
                    .collect();
                // Each term once a document (a token may be there twice).
                keys.sort_unstable();
                keys.dedup();
                (doc, keys)
            })
            .collect();
        for (n, (doc, keys)) in (first..).zip(&made) {
            if groups.last().is_none_or(|(kind, _)| *kind != doc.kind) {
                groups.push((doc.kind, n));
            }
            postings.extend(keys.iter().map(|key| (*key, n as u32)));
        }
        let shards: Vec<(T, u64)> = made
            .par_chunks(DOCS_PER_SHARD)
            .enumerate()
            .map(|(k, chunk)| {
                let rows: Vec<(Kind, &str, &str, &str)> = chunk
                    .iter()
                    .map(|(d, _)| (d.kind, d.title.as_str(), d.route.as_str(), d.text.as_str()))
                    .collect();
                let json = serde_json::to_vec(&rows).unwrap_or_default();
                let len = json.len() as u64;
                Ok((emit(ShardName::Doc(first / DOCS_PER_SHARD + k), json)?, len))
            })
            .collect::<Result<_, E>>()?;
        for (shard, len) in shards {
            docs.push(shard);
            bytes += len;
        }
    }
    // The terms grouped by shard, each term's documents ascending (each once:
    // a document's terms were made distinct above).
    let shard_count = term_shards_for(postings.len());
    postings.par_sort_unstable_by_key(|(key, doc)| (term_shard(key, shard_count), *key, *doc));
    let mut by_shard: Vec<&[(TermKey, u32)]> = Vec::with_capacity(shard_count);
    let mut rest = postings.as_slice();
    for n in 0..shard_count {
        let here = rest.partition_point(|(key, _)| term_shard(key, shard_count) == n);
        let (this, after) = rest.split_at(here);
        by_shard.push(this);
        rest = after;
    }
    let shards: Vec<(T, u64)> = by_shard
        .into_par_iter()
        .enumerate()
        .map(|(n, postings)| {
            // Delta-coded: the common terms' long lists shrink to small numbers.
            let mut shard: BTreeMap<String, Vec<u32>> = BTreeMap::new();
            for run in postings.chunk_by(|a, b| a.0 == b.0) {
                let mut prev = 0;
                let deltas = run
                    .iter()
                    .map(|&(_, d)| {
                        let delta = d - prev;
                        prev = d;
                        delta
                    })
                    .collect();
                shard.insert(term_name(&run[0].0), deltas);
            }
            let json = serde_json::to_vec(&shard).unwrap_or_default();
            let len = json.len() as u64;
            Ok((emit(ShardName::Term(n), json)?, len))
        })
        .collect::<Result<_, E>>()?;
    let mut terms = Vec::with_capacity(shards.len());
    for (shard, len) in shards {
        terms.push(shard);
        bytes += len;
    }
    Ok(Streamed {
        key,
        terms,
        docs,
        doc_count: count,
        groups,
        bytes,
    })
}

#[cfg(test)]
mod tests;
