//! The sealed build's page pipeline (issue 11): pages are rendered, sealed and
//! written pack by pack, so memory holds one chunk of pages and a few sealed
//! packs, never the whole room.
//!
//! ```text
//! shuffled routes ─chunk→ render (every view, rayon) → one payload per distinct
//!   content (readers = the views showing it) → packs of PACK_PAYLOADS, sealed
//!   (rayon) ─bounded queue→ writer thread → staging
//!                                   └→ index tables' row shards (rows.rs), sealed → same queue
//! whole-room routes ─one at a time, a thread of their own→ taken between two chunks ↑
//! ```
//!
//! The route order is shuffled once up front, so a pack holds pages from
//! anywhere in the room (neither a pack's position nor its size points to
//! particular clients), exactly as when every page was packed at the end.

use crate::i18n::Wording;
use std::collections::{BTreeMap, HashMap};
use std::sync::mpsc::{sync_channel, SyncSender};

use rand::seq::SliceRandom;
use rayon::prelude::*;

use super::rows::{self, ROWS_META};
use super::site::{Readers, RouteEntry, SealPlan, PACK_PAYLOADS};
use super::{PayloadMeta, Sealer, PAGE_TYPE};
use crate::publish::Written;
use crate::render::Page;

/// One reader's pages, rendered on demand (`render::PageSource` in a build).
pub trait Pages: Sync {
    /// How many pages the reader gets.
    fn count(&self) -> usize;
    /// The route of page `n`.
    fn route(&self, n: usize) -> &str;
    /// Renders page `n`.
    fn page(&self, n: usize) -> Result<Page, Wording>;
    /// Whether page `n` is about the whole room (an index, the handover
    /// pages), not one record: such a page can hold a table of every
    /// client's rows, so the stream renders one at a time (on a thread of its
    /// own, beside the record pages), and holds at most three: one rendered,
    /// one waiting, one being sealed.
    fn whole_room(&self, _n: usize) -> bool {
        false
    }
    /// Makes export `n` (`None` past the last), one at a time and gzipped
    /// while it is written: each can be large (clients.json of 100,000
    /// clients is hundreds of MB), and the sealed build holds one, compressed,
    /// while it seals it.
    fn export(&self, _n: usize) -> Option<Result<Gzipped, Wording>> {
        None
    }
}

impl Pages for crate::render::PageSource<'_> {
    fn count(&self) -> usize {
        self.len()
    }
    fn route(&self, n: usize) -> &str {
        crate::render::PageSource::route(self, n)
    }
    fn page(&self, n: usize) -> Result<Page, Wording> {
        crate::render::PageSource::page(self, n).map_err(Wording::from)
    }
    fn whole_room(&self, n: usize) -> bool {
        crate::render::PageSource::whole_room(self, n)
    }
    fn export(&self, n: usize) -> Option<Result<Gzipped, Wording>> {
        let (path, mime) = self.export_kind(n)?;
        Some(Gzipped::write(path, mime, |out| self.write_export(n, out)))
    }
}

/// An export as the sealed build holds it: gzipped, after room for the
/// frame's header, so it is sealed where it is
/// ([`super::parallel_gzip::gzip_while_written`]).
pub struct Gzipped {
    pub path: String,
    pub mime: &'static str,
    framed: Vec<u8>,
    /// Its size uncompressed.
    pub len: u64,
}

impl Gzipped {
    /// The export `write` writes, gzipped as it is written.
    pub fn write(
        path: &str,
        mime: &'static str,
        write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()> + Send,
    ) -> Result<Gzipped, Wording> {
        let room = vec![0; super::FRAME_HEADER];
        let (framed, len) = super::parallel_gzip::gzip_while_written(room, write)
            .map_err(|e| Wording::io_at("err_write", std::path::Path::new(path), &e))?;
        Ok(Gzipped {
            path: path.to_string(),
            mime,
            framed,
            len,
        })
    }

    /// The gzip stream.
    pub fn gzipped(&self) -> &[u8] {
        super::framed_gzip_body(&self.framed)
    }

    /// Sealed as payload `id` under `kid`, in place, its line written into
    /// `out` (its payload file) as it is encoded.
    pub fn seal_into(
        self,
        sealer: &Sealer,
        id: &str,
        kid: &str,
        meta: &PayloadMeta,
        out: &mut dyn std::io::Write,
    ) -> Result<(), super::PayloadWriteError> {
        sealer.seal_gzipped_in_place_into(id, kid, self.framed, meta, out)
    }
}

/// Pages already rendered (the tests, and callers that have a whole `Site`).
impl Pages for Vec<Page> {
    fn count(&self) -> usize {
        self.len()
    }
    fn route(&self, n: usize) -> &str {
        &self[n].route
    }
    fn page(&self, n: usize) -> Result<Page, Wording> {
        Ok(self[n].clone())
    }
}

/// How much the pipeline holds at once.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    /// Routes rendered (for every view) before they are sealed.
    pub chunk_routes: usize,
    /// Sealed packs waiting for the writer; the renderer waits when it is full.
    pub queue_packs: usize,
}

/// A few MB of pages per chunk; two sealed packs in flight keep the writer busy.
pub const BOUNDS: Bounds = Bounds {
    chunk_routes: 1024,
    queue_packs: 4,
};

/// What the pipeline produced: each view's index entries, and the packs written.
pub struct Streamed {
    /// Per view: route → payload id, title, pack.
    pub routes: Vec<BTreeMap<String, RouteEntry>>,
    /// Per view: route → its tables' row shards (written with the packs).
    pub tables: Vec<rows::Tables>,
    pub written: Vec<Written>,
    /// Distinct routes over all views.
    pub pages: usize,
}

/// Writes one payload file (`data/<id>.js`: a pack or a row shard) and says what it wrote.
pub type WritePack<'a> = dyn Fn(&str, &[u8]) -> Result<Written, Wording> + Sync + 'a;

/// Seals one JSON shard (route map, search index) named `name` under `kid`
/// and writes it as its own payload file.
pub(super) fn seal_json_shard(
    sealer: &Sealer,
    kid: &str,
    id: &str,
    name: &str,
    json: &[u8],
    write_payload: &WritePack,
) -> Result<Written, Wording> {
    let meta = PayloadMeta {
        content_type: "application/json",
        name,
    };
    let sealed = sealer.seal(id, kid, json, true, &meta)?;
    write_payload(id, &sealed)
}

/// A distinct page content on its way into a pack.
struct Pending {
    id: String,
    kid: String,
    /// The pack it goes into (its index entries name it already).
    pack: String,
    route: String,
    /// The page as sealed (without its tables' rows).
    html: String,
}

/// A distinct shard of an index table's rows on its way to a file of its own.
struct Shard {
    id: String,
    kid: String,
    /// Its rows' JSON, gzipped (`render::rows::Shard`).
    gzipped: Vec<u8>,
}

/// Renders, seals and writes every view's pages pack by pack. `write` runs on
/// a thread of its own, fed through a queue of `bounds.queue_packs` packs.
pub fn seal_pages(
    views: &[&dyn Pages],
    plan: &mut SealPlan,
    sealer: &mut Sealer,
    bounds: Bounds,
    progress: &indicatif::ProgressBar,
    write: &WritePack,
) -> Result<Streamed, Wording> {
    // Routes over all views in first-seen order; for each, its page number in every view.
    let mut number: HashMap<&str, usize> = HashMap::new();
    let mut at: Vec<Vec<Option<usize>>> = Vec::new();
    for (v, view) in views.iter().enumerate() {
        for n in 0..view.count() {
            let u = *number.entry(view.route(n)).or_insert_with(|| {
                at.push(vec![None; views.len()]);
                at.len() - 1
            });
            at[u][v] = Some(n);
        }
    }
    drop(number);
    let mut order: Vec<usize> = (0..at.len()).collect();
    order.shuffle(&mut rand::rngs::OsRng);
    progress.set_length(at.len() as u64);

    let (queue, packs) = sync_channel::<(String, Vec<u8>)>(bounds.queue_packs.max(1));
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<Vec<Written>, Wording> {
            packs
                .into_iter()
                .map(|(id, bytes)| write(&id, &bytes))
                .collect()
        });
        let produced = produce(views, &at, &order, plan, sealer, bounds, progress, &queue);
        drop(queue); // the writer ends when the last pack is through
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(Wording::internal("the writer thread failed")));
        // A write error stops the producer too (its queue closes): report the cause.
        let (routes, tables, pages) = match (produced, &written) {
            (Ok(p), _) => p,
            (Err(_), Err(e)) => return Err(e.clone()),
            (Err(e), Ok(_)) => return Err(e),
        };
        Ok(Streamed {
            routes,
            tables,
            written: written?,
            pages,
        })
    })
}

/// Per view: its index's route entries and its pages' tables.
type Produced = (Vec<BTreeMap<String, RouteEntry>>, Vec<rows::Tables>, usize);

#[allow(clippy::too_many_arguments)]
fn produce(
    views: &[&dyn Pages],
    at: &[Vec<Option<usize>>],
    order: &[usize],
    plan: &mut SealPlan,
    sealer: &mut Sealer,
    bounds: Bounds,
    progress: &indicatif::ProgressBar,
    queue: &SyncSender<(String, Vec<u8>)>,
) -> Result<Produced, Wording> {
    let mut taken = Taken {
        routes: views.iter().map(|_| BTreeMap::new()).collect(),
        tables: views.iter().map(|_| rows::Tables::new()).collect(),
        pending: Vec::new(),
        pack_id: Sealer::new_id(),
    };
    // Pages about the whole room (index tables of every client's rows) are
    // rendered one at a time on a thread of their own, beside the record
    // pages, which are rendered a chunk at a time on every core: one
    // whole-room page is more work than a chunk, and rendered between chunks
    // it kept the other cores waiting (10k: 0.2 s of 1.4). Each is taken (its
    // rows sealed and queued) between two chunks.
    let (alone, together): (Vec<usize>, Vec<usize>) = order.iter().partition(|&&u| {
        at[u]
            .iter()
            .enumerate()
            .any(|(v, n)| n.is_some_and(|n| views[v].whole_room(n)))
    });
    std::thread::scope(|scope| -> Result<(), Wording> {
        // One whole-room page may wait for the next chunk's end while the next is rendered.
        let (rendered_alone, alone_pages) = sync_channel::<Result<Vec<(usize, Page)>, Wording>>(1);
        scope.spawn(move || {
            for u in alone {
                let shown = render_route(views, &at[u]);
                let failed = shown.is_err();
                // The producer stopped (an error): so does this thread.
                if rendered_alone.send(shown).is_err() || failed {
                    return;
                }
            }
        });
        for chunk in together.chunks(bounds.chunk_routes.max(1)) {
            let rendered: Vec<Vec<(usize, Page)>> = chunk
                .par_iter()
                .map(|&u| render_route(views, &at[u]))
                .collect::<Result<_, Wording>>()?;
            for shown in rendered {
                taken.take(shown, plan, sealer, progress, queue)?;
            }
            while let Ok(shown) = alone_pages.try_recv() {
                taken.take(shown?, plan, sealer, progress, queue)?;
            }
            let pending = &mut taken.pending;
            let full = pending.len() - pending.len() % PACK_PAYLOADS;
            let ready: Vec<Pending> = pending.drain(..full).collect();
            send_packs(ready, sealer, progress, queue)?;
        }
        for shown in alone_pages {
            taken.take(shown?, plan, sealer, progress, queue)?;
        }
        Ok(())
    })?;
    send_packs(taken.pending, sealer, progress, queue)?;
    Ok((taken.routes, taken.tables, at.len()))
}

/// Every view's page of one route (`at`: its page number in each view).
fn render_route(views: &[&dyn Pages], at: &[Option<usize>]) -> Result<Vec<(usize, Page)>, Wording> {
    let mut shown: Vec<(usize, Page)> = Vec::new();
    for (v, n) in at.iter().enumerate() {
        let Some(n) = *n else { continue };
        // Views that share a source (readers of the whole room) render it once.
        let same = shown.iter().find(|(w, _)| {
            std::ptr::addr_eq(views[*w] as *const dyn Pages, views[v]) && at[*w] == Some(n)
        });
        let page = match same {
            Some((_, page)) => page.clone(),
            None => views[v].page(n)?,
        };
        shown.push((v, page));
    }
    Ok(shown)
}

/// What the rendered pages became so far: each view's index entries, and
/// the distinct pages waiting for their pack.
struct Taken {
    routes: Vec<BTreeMap<String, RouteEntry>>,
    tables: Vec<rows::Tables>,
    pending: Vec<Pending>,
    pack_id: String,
}

impl Taken {
    /// Takes one route's pages (one per view showing it): their tables' rows
    /// become shards (returned, to be sealed), the pages (without rows) one
    /// pending payload per distinct content, keyed by the set of its readers.
    fn take(
        &mut self,
        shown: Vec<(usize, Page)>,
        plan: &mut SealPlan,
        sealer: &mut Sealer,
        progress: &indicatif::ProgressBar,
        queue: &SyncSender<(String, Vec<u8>)>,
    ) -> Result<(), Wording> {
        // An index page's table rows are sealed data of their own (`rows.rs`),
        // shards identical for several views sealed once.
        // Each shard is sealed and queued, a few at a time, as it is cut.
        let mut shards: Vec<Shard> = Vec::new();
        let per_batch = 2 * rayon::current_num_threads();
        let mut shown = shown;
        let entries = rows::shard_tables(&shown, |gzipped, readers| {
            let id = Sealer::new_id();
            let kid = plan.key_for(&readers, sealer).to_string();
            shards.push(Shard {
                id: id.clone(),
                kid,
                gzipped,
            });
            if shards.len() >= per_batch {
                send_shards(std::mem::take(&mut shards), sealer, progress, queue)?;
            }
            Ok(id)
        })?;
        send_shards(shards, sealer, progress, queue)?;
        for ((v, page), (_, tables)) in shown.iter_mut().zip(entries) {
            if !page.tables.is_empty() {
                self.tables[*v].insert(page.route.clone(), tables);
                // The shards hold the rows now; the page keeps where they were.
                for placed in &mut page.tables {
                    placed.table.rows = Default::default();
                }
            }
        }
        let mut distinct: Vec<(Page, String, Readers)> = Vec::new();
        for (v, page) in shown {
            let html = rows::sealed_html(&page).into_owned();
            match distinct.iter_mut().find(|(_, h, _)| *h == html) {
                Some((_, _, readers)) => {
                    readers.insert(v);
                }
                None => distinct.push((page, html, Readers::from([v]))),
            }
        }
        for (page, html, readers) in distinct {
            let id = Sealer::new_id();
            for &v in &readers {
                self.routes[v].insert(
                    page.route.clone(),
                    RouteEntry {
                        p: id.clone(),
                        t: page.title.clone(),
                        f: Some(self.pack_id.clone()),
                    },
                );
            }
            let kid = plan.key_for(&readers, sealer).to_string();
            self.pending.push(Pending {
                id,
                kid,
                pack: self.pack_id.clone(),
                route: page.route,
                html,
            });
            if self.pending.len().is_multiple_of(PACK_PAYLOADS) {
                self.pack_id = Sealer::new_id();
            }
        }
        Ok(())
    }
}

/// Seals row shards in parallel and queues each (a file of its own) for the
/// writer, a few at a time: each shard's gzipped JSON is dropped once it is sealed,
/// and a whole-room page's shards are never all sealed and waiting at once.
fn send_shards(
    shards: Vec<Shard>,
    sealer: &Sealer,
    progress: &indicatif::ProgressBar,
    queue: &SyncSender<(String, Vec<u8>)>,
) -> Result<(), Wording> {
    progress.inc_length(shards.len() as u64);
    let per_batch = 2 * rayon::current_num_threads();
    let mut shards = shards.into_iter();
    loop {
        let batch: Vec<Shard> = shards.by_ref().take(per_batch).collect();
        if batch.is_empty() {
            return Ok(());
        }
        let sealed: Vec<(String, Vec<u8>)> = batch
            .into_par_iter()
            .map(|s| {
                let bytes = sealer
                    .seal_gzipped(&s.id, &s.kid, &s.gzipped, &ROWS_META)
                    .map_err(Wording::from)?;
                Ok((s.id, bytes))
            })
            .collect::<Result<_, Wording>>()?;
        for file in sealed {
            queue
                .send(file)
                .map_err(|_| Wording::internal("the writer stopped"))?;
            progress.inc(1);
        }
    }
}

/// Seals `members` (consecutive runs of [`PACK_PAYLOADS`], the last one
/// possibly short and filled up) in parallel and queues each pack for the writer.
fn send_packs(
    members: Vec<Pending>,
    sealer: &Sealer,
    progress: &indicatif::ProgressBar,
    queue: &SyncSender<(String, Vec<u8>)>,
) -> Result<(), Wording> {
    let packs: Vec<Vec<u8>> = members
        .par_chunks(PACK_PAYLOADS)
        .map(|run| seal_pack(run, sealer))
        .collect::<Result<_, Wording>>()?;
    for (bytes, run) in packs.into_iter().zip(members.chunks(PACK_PAYLOADS)) {
        queue
            .send((run[0].pack.clone(), bytes))
            .map_err(|_| Wording::internal("the writer stopped"))?;
        progress.inc(run.len() as u64);
    }
    Ok(())
}

/// Payloads of one pack, sealed, filled up to [`PACK_PAYLOADS`] and shuffled.
fn seal_pack(run: &[Pending], sealer: &Sealer) -> Result<Vec<u8>, Wording> {
    let mut lines: Vec<Vec<u8>> = run
        .iter()
        .map(|m| {
            let meta = PayloadMeta {
                content_type: PAGE_TYPE,
                name: &m.route,
            };
            sealer
                .seal(&m.id, &m.kid, m.html.as_bytes(), true, &meta)
                .map_err(Wording::from)
        })
        .collect::<Result<_, Wording>>()?;
    if let Some(first) = run.first() {
        while lines.len() < PACK_PAYLOADS {
            lines.push(sealer.seal_filler(&first.kid).map_err(Wording::from)?);
        }
    }
    lines.shuffle(&mut rand::rngs::OsRng);
    Ok(lines.concat())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    use super::*;
    use crate::seal::{Opener, MIN_ITERATIONS};

    fn page(route: String, html: String) -> Page {
        Page::plain(route.clone(), route, html)
    }

    fn pages(n: usize, html: impl Fn(usize) -> String) -> Vec<Page> {
        (0..n)
            .map(|i| page(format!("clients/C-{i:05}"), html(i)))
            .collect()
    }

    /// Pages that watch the pipeline: when the first page of each chunk is
    /// rendered, how many packs the writer has finished. With one view and
    /// chunks of one pack, calls `k·PACK_PAYLOADS ..` are chunk `k`, and `k`
    /// packs have been queued before it.
    struct Watched<'a> {
        pages: Vec<Page>,
        calls: AtomicUsize,
        written: &'a AtomicUsize,
        /// (chunk number = packs queued before it, packs written then)
        seen: Mutex<Vec<(usize, usize)>>,
    }

    impl Pages for Watched<'_> {
        fn count(&self) -> usize {
            self.pages.len()
        }
        fn route(&self, n: usize) -> &str {
            &self.pages[n].route
        }
        fn page(&self, n: usize) -> Result<Page, Wording> {
            let call = self.calls.fetch_add(1, Ordering::SeqCst);
            if call.is_multiple_of(PACK_PAYLOADS) {
                let written = self.written.load(Ordering::SeqCst);
                let mut seen = self
                    .seen
                    .lock()
                    .map_err(|e| Wording::internal(e.to_string()))?;
                seen.push((call / PACK_PAYLOADS, written));
            }
            Ok(self.pages[n].clone())
        }
    }

    fn sealer(passwords: &[&str]) -> Sealer {
        Sealer::with_slots(passwords, MIN_ITERATIONS)
    }

    #[test]
    fn packs_are_written_while_pages_are_still_rendered_and_the_queue_is_bounded() {
        let chunks = 12;
        let bounds = Bounds {
            chunk_routes: PACK_PAYLOADS,
            queue_packs: 2,
        };
        let written = AtomicUsize::new(0);
        let watched = Watched {
            // Identical content would be one payload: every page differs.
            pages: pages(chunks * PACK_PAYLOADS, |i| format!("<p>{i}</p>")),
            calls: AtomicUsize::new(0),
            written: &written,
            seen: Mutex::new(Vec::new()),
        };
        let write = |id: &str, bytes: &[u8]| -> Result<Written, Wording> {
            // A slow disk: the renderer must wait for it, not run ahead.
            std::thread::sleep(std::time::Duration::from_millis(20));
            assert_eq!(
                parse_lines(bytes),
                PACK_PAYLOADS,
                "every pack holds the same number of payloads"
            );
            written.fetch_add(1, Ordering::SeqCst);
            Ok(Written {
                path: format!("data/{id}.js"),
                sha256: [0; 32],
            })
        };
        let mut plan = SealPlan::default();
        let mut sealer = sealer(&["password-one-一二三"]);
        let streamed = seal_pages(
            &[&watched],
            &mut plan,
            &mut sealer,
            bounds,
            &indicatif::ProgressBar::hidden(),
            &write,
        )
        .expect("streams");
        assert_eq!(streamed.written.len(), chunks);
        assert_eq!(streamed.pages, chunks * PACK_PAYLOADS);
        let seen = watched.seen.lock().expect("lock").clone();
        assert_eq!(seen.len(), chunks, "{seen:?}");
        for &(queued, written) in &seen {
            // At most `queue_packs` packs wait in the queue and one is in the
            // writer's hands; the renderer may not be further ahead.
            assert!(
                queued <= written + bounds.queue_packs + 1,
                "chunk {queued} rendered with only {written} packs written: the queue is not bounded ({seen:?})"
            );
        }
        let (last_queued, last_written) = seen[seen.len() - 1];
        assert!(
            last_written > 0 && last_written + bounds.queue_packs + 1 >= last_queued,
            "packs are written before the last pages are rendered ({seen:?})"
        );
    }

    /// Index pages (a table of every client's rows each) that count how many
    /// of them are being rendered at once, and record pages that count how
    /// many of them were rendered while an index page was; `failing` pages fail.
    struct WholeRoom {
        pages: Vec<Page>,
        rendering: AtomicUsize,
        most: AtomicUsize,
        beside: AtomicUsize,
        failing: Vec<usize>,
    }

    impl WholeRoom {
        fn new(pages: Vec<Page>) -> WholeRoom {
            WholeRoom {
                pages,
                rendering: AtomicUsize::new(0),
                most: AtomicUsize::new(0),
                beside: AtomicUsize::new(0),
                failing: Vec::new(),
            }
        }

        fn seal(&self) -> Result<Streamed, Wording> {
            let write = |id: &str, _: &[u8]| -> Result<Written, Wording> {
                Ok(Written {
                    path: format!("data/{id}.js"),
                    sha256: [0; 32],
                })
            };
            let mut plan = SealPlan::default();
            let mut sealer = sealer(&["password-one-一二三"]);
            let threads = rayon::ThreadPoolBuilder::new()
                .num_threads(4)
                .build()
                .expect("a pool");
            // Every route in one chunk: the record pages are rendered in parallel.
            threads.install(|| {
                seal_pages(
                    &[self],
                    &mut plan,
                    &mut sealer,
                    Bounds {
                        chunk_routes: 1024,
                        queue_packs: 1,
                    },
                    &indicatif::ProgressBar::hidden(),
                    &write,
                )
            })
        }
    }

    impl Pages for WholeRoom {
        fn count(&self) -> usize {
            self.pages.len()
        }
        fn route(&self, n: usize) -> &str {
            &self.pages[n].route
        }
        fn whole_room(&self, n: usize) -> bool {
            !self.pages[n].tables.is_empty()
        }
        fn page(&self, n: usize) -> Result<Page, Wording> {
            if self.whole_room(n) {
                let now = self.rendering.fetch_add(1, Ordering::SeqCst) + 1;
                self.most.fetch_max(now, Ordering::SeqCst);
            } else if self.rendering.load(Ordering::SeqCst) > 0 {
                self.beside.fetch_add(1, Ordering::SeqCst);
            }
            std::thread::sleep(std::time::Duration::from_millis(30));
            if self.failing.contains(&n) {
                return Err(Wording::internal(format!("page {n} failed")));
            }
            if self.whole_room(n) {
                self.rendering.fetch_sub(1, Ordering::SeqCst);
            }
            Ok(self.pages[n].clone())
        }
    }

    fn six_indexes_among_forty_records() -> Vec<Page> {
        let mut pages = pages(40, |i| format!("<p>{i}</p>"));
        for n in 0..6 {
            let mut index = table_page(300, |i| format!("{n}-{i}"));
            index.route = format!("index-{n}");
            pages.push(index);
        }
        pages
    }

    #[test]
    fn pages_about_the_whole_room_are_rendered_one_at_a_time_beside_the_record_pages() {
        let source = WholeRoom::new(six_indexes_among_forty_records());
        let streamed = source.seal().expect("streams");
        assert_eq!(streamed.tables[0].len(), 6, "every index's rows are shards");
        assert_eq!(streamed.pages, 46);
        assert_eq!(
            source.most.load(Ordering::SeqCst),
            1,
            "two pages with every client's rows were rendered at once"
        );
        // An index page alone would keep every other core waiting for it.
        assert!(
            source.beside.load(Ordering::SeqCst) > 0,
            "no record page was rendered while an index page was"
        );
    }

    #[test]
    fn a_failing_page_stops_the_stream_with_its_error_whichever_thread_renders_it() {
        // 40 is the first index page, 3 a record page.
        for failing in [40, 3] {
            let mut source = WholeRoom::new(six_indexes_among_forty_records());
            source.failing = vec![failing];
            let error = source.seal().err().expect("the stream fails");
            assert!(
                format!("{error:?}").contains(&format!("page {failing} failed")),
                "{error:?}"
            );
        }
    }

    #[test]
    fn an_export_gzipped_while_written_opens_as_the_whole_export() {
        let lines: Vec<String> = (0..5000).map(|i| format!("C-{i:05},客户{i}\r\n")).collect();
        let whole = lines.concat();
        let export = Gzipped::write("exports/clients.csv", "text/csv", |out| {
            lines.iter().try_for_each(|l| out.write_all(l.as_bytes()))
        })
        .expect("written");
        assert_eq!(export.len, whole.len() as u64);
        assert!(
            export.gzipped().len() < whole.len() / 4,
            "compressed while written"
        );
        let password = "password-one-一二三";
        let mut sealer = sealer(&[password]);
        let kid = SealPlan::default()
            .key_for(&Readers::from([0]), &mut sealer)
            .to_string();
        let id = Sealer::new_id();
        let meta = PayloadMeta {
            content_type: export.mime,
            name: "clients.csv",
        };
        let copied = sealer
            .seal_gzipped(&id, &kid, export.gzipped(), &meta)
            .expect("sealed");
        let other = Sealer::new_id();
        let mut in_place = Vec::new();
        export
            .seal_into(&sealer, &other, &kid, &meta, &mut in_place)
            .expect("sealed");
        let header = crate::seal::parse_header(&String::from_utf8_lossy(&sealer.header_js("")))
            .expect("header");
        let opener = Opener::unlock(header, password).expect("unlocks");
        assert_eq!(
            opener.open(&id, &meta, &copied).expect("opens"),
            whole.as_bytes()
        );
        // Sealed where it was gzipped: the same payload, as large.
        assert_eq!(
            opener.open(&other, &meta, &in_place).expect("opens"),
            whole.as_bytes()
        );
        assert_eq!(in_place.len(), copied.len());
        assert!(
            opener.open(&id, &meta, &in_place).is_err(),
            "bound to its id"
        );
    }

    fn parse_lines(pack: &[u8]) -> usize {
        crate::seal::parse_payload_file(pack).map_or(0, |p| p.len())
    }

    #[test]
    fn content_identical_for_several_views_is_one_payload_under_their_shared_key() {
        // Two views: odd pages differ (masked for the second), the rest are equal.
        let first = pages(150, |i| format!("<p>{i} 13812345678</p>"));
        let second = pages(150, |i| {
            if !i.is_multiple_of(2) {
                format!("<p>{i} 138****5678</p>")
            } else {
                format!("<p>{i} 13812345678</p>")
            }
        });
        let second: Vec<Page> = second[..140].to_vec(); // the second view sees fewer pages
        let packs: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
        let write = |id: &str, bytes: &[u8]| -> Result<Written, Wording> {
            packs.lock().expect("lock").push(bytes.to_vec());
            Ok(Written {
                path: format!("data/{id}.js"),
                sha256: [0; 32],
            })
        };
        let mut plan = SealPlan::default();
        let mut sealer = sealer(&["password-one-一二三", "password-two-四五六"]);
        let streamed = seal_pages(
            &[&first, &second],
            &mut plan,
            &mut sealer,
            Bounds {
                chunk_routes: 16,
                queue_packs: 1,
            },
            &indicatif::ProgressBar::hidden(),
            &write,
        )
        .expect("streams");
        let (one, two) = (&streamed.routes[0], &streamed.routes[1]);
        assert_eq!((one.len(), two.len()), (150, 140));
        for (route, entry) in two {
            let n: usize = route["clients/C-".len()..].parse().expect("number");
            assert_eq!(entry.p == one[route].p, n.is_multiple_of(2), "{route}");
        }
        // 150 shared or first-only payloads + 70 of the second's own, in full packs.
        let distinct: usize = 150 + 70;
        let packs = packs.into_inner().expect("lock");
        assert_eq!(packs.len(), distinct.div_ceil(PACK_PAYLOADS));
        assert!(packs.iter().all(|p| parse_lines(p) == PACK_PAYLOADS));

        // Each password opens exactly its own view's pages.
        let header_js = sealer.header_js("");
        let header =
            crate::seal::parse_header(&String::from_utf8_lossy(&header_js)).expect("header");
        let all: HashMap<String, crate::seal::PayloadFile> = packs
            .iter()
            .flat_map(|p| crate::seal::parse_payload_file(p).expect("pack"))
            .collect();
        for (password, routes, own) in [
            ("password-one-一二三", one, "13812345678"),
            ("password-two-四五六", two, "138****5678"),
        ] {
            let opener = Opener::unlock(header.clone(), password).expect("unlocks");
            let mut opened = 0;
            for (route, entry) in routes {
                let meta = PayloadMeta {
                    content_type: PAGE_TYPE,
                    name: route,
                };
                let html = opener
                    .open_payload(&entry.p, &meta, &all[&entry.p])
                    .expect("its own page opens");
                assert!(String::from_utf8_lossy(&html).starts_with("<p>"));
                opened += 1;
            }
            assert_eq!(opened, routes.len());
            // The other view's own pages do not open with this password.
            let other = if routes.len() == 150 { two } else { one };
            let foreign = other
                .iter()
                .find(|(r, e)| routes.get(*r).is_none_or(|mine| mine.p != e.p))
                .expect("a page only the other view has");
            let meta = PayloadMeta {
                content_type: PAGE_TYPE,
                name: foreign.0,
            };
            assert!(
                opener
                    .open_payload(&foreign.1.p, &meta, &all[&foreign.1.p])
                    .is_err(),
                "{password} opens the other view's {} ({own})",
                foreign.0
            );
        }
    }

    /// An index page with a table of `rows` rows (`clients`), cell text from `cell`.
    fn table_page(rows: usize, cell: impl Fn(usize) -> String) -> Page {
        use crate::render::rows::{place, placeholder, Cell, Column, Kind, Row, Table};
        let table = Table {
            name: "clients".into(),
            columns: vec![Column::new(Kind::Text, "")],
            rows: (0..rows)
                .map(|i| Row {
                    k: String::new(),
                    c: vec![Cell::text(cell(i))],
                })
                .collect(),
        };
        let html = format!(
            "<table><tbody data-rows=\"clients\">{}</tbody></table>",
            placeholder("clients")
        );
        let (html, tables) = place(html, vec![table]);
        Page {
            route: "clients".into(),
            title: "clients".into(),
            html,
            tables,
        }
    }

    #[test]
    fn index_tables_rows_are_shards_written_through_the_stream_shared_where_equal() {
        use crate::render::rows::SHARD_ROWS;
        let rows = 2 * SHARD_ROWS + 5;
        // The second view sees the last shard's phones masked: only that shard differs.
        let mut first = pages(100, |i| format!("<p>{i}</p>"));
        let mut second = first.clone();
        first.push(table_page(rows, |i| format!("客户{i} 13812345678")));
        second.push(table_page(rows, |i| {
            if i >= 2 * SHARD_ROWS {
                format!("客户{i} 138****5678")
            } else {
                format!("客户{i} 13812345678")
            }
        }));
        let files: Mutex<HashMap<String, Vec<u8>>> = Mutex::new(HashMap::new());
        let write = |id: &str, bytes: &[u8]| -> Result<Written, Wording> {
            files
                .lock()
                .expect("lock")
                .insert(id.to_string(), bytes.to_vec());
            Ok(Written {
                path: format!("data/{id}.js"),
                sha256: [0; 32],
            })
        };
        let mut plan = SealPlan::default();
        let mut sealer = sealer(&["password-one-一二三", "password-two-四五六"]);
        let streamed = seal_pages(
            &[&first, &second],
            &mut plan,
            &mut sealer,
            Bounds {
                chunk_routes: 8,
                queue_packs: 1,
            },
            &indicatif::ProgressBar::hidden(),
            &write,
        )
        .expect("streams");
        let files = files.into_inner().expect("lock");
        let one = &streamed.tables[0]["clients"][0];
        let two = &streamed.tables[1]["clients"][0];
        assert_eq!((one.rows, two.rows), (rows, rows));
        assert_eq!((one.shards.len(), two.shards.len()), (3, 3));
        assert_eq!(
            one.shards[..2],
            two.shards[..2],
            "equal shards are one payload"
        );
        assert_ne!(one.shards[2], two.shards[2], "the masked shard is its own");
        // The page (without its rows) is the same for both: one payload.
        assert_eq!(
            streamed.routes[0]["clients"].p,
            streamed.routes[1]["clients"].p
        );
        // Every shard went through the writer as a file of its own.
        let written: std::collections::BTreeSet<&str> =
            streamed.written.iter().map(|w| w.path.as_str()).collect();
        for id in one.shards.iter().chain(&two.shards) {
            assert!(written.contains(format!("data/{id}.js").as_str()), "{id}");
        }
        assert_eq!(streamed.written.len(), files.len());

        let header_js = sealer.header_js("");
        let header =
            crate::seal::parse_header(&String::from_utf8_lossy(&header_js)).expect("header");
        for (password, tables, routes, own) in [
            (
                "password-one-一二三",
                one,
                &streamed.routes[0],
                "13812345678",
            ),
            (
                "password-two-四五六",
                two,
                &streamed.routes[1],
                "138****5678",
            ),
        ] {
            let opener = Opener::unlock(header.clone(), password).expect("unlocks");
            let entry = &routes["clients"];
            let pack = entry.f.as_deref().expect("in a pack");
            let meta = PayloadMeta {
                content_type: PAGE_TYPE,
                name: "clients",
            };
            let page = opener
                .open(&entry.p, &meta, &files[pack])
                .expect("the page opens");
            let page = String::from_utf8(page).expect("utf-8");
            assert!(
                !page.contains("客户"),
                "the sealed page holds no rows: {page}"
            );
            let html = rows::restore_rows(page, std::slice::from_ref(tables), |id| {
                opener
                    .open(id, &ROWS_META, &files[id])
                    .map_err(Wording::from)
            })
            .expect("the rows come back");
            assert!(html.contains(&format!("客户{} {own}", rows - 1)));
            assert_eq!(html.matches("<tr>").count(), rows);
        }
        // The first view cannot open the second's own shard.
        let opener = Opener::unlock(header, "password-one-一二三").expect("unlocks");
        assert!(opener
            .open(&two.shards[2], &ROWS_META, &files[&two.shards[2]])
            .is_err());
    }
}
