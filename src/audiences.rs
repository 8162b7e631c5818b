//! Audiences end to end (issue 9): each reader's room (sections it sees,
//! masked values) is rendered on its own, then all of them are sealed
//! together by the seal plan, so content identical for several audiences is
//! one payload and each key slot opens exactly its audience's view.

use crate::i18n::Wording;
use crate::publish::Staging;
use crate::render::audience::room_for;
use crate::render::registry::{AudienceSummary, Sees};
use crate::render::{self, Engine, Extras, PageSource, Selection, Theme};
use std::collections::BTreeSet;

use crate::room::{AudienceSpec, Document, MaskedField, Room};
use crate::seal::password::AudiencePassword;
use crate::seal::site::{Gate, NdaText, Sealed, View};
use crate::search::{self, SearchSource};

/// One audience of the room: its name, what it sees, which values it sees masked.
pub struct Audience {
    pub name: String,
    pub sees: Sees,
    pub mask: BTreeSet<MaskedField>,
}

impl Audience {
    pub fn of(spec: &AudienceSpec) -> Audience {
        Audience {
            name: spec.name.clone(),
            sees: Sees(spec.sees.clone()),
            mask: spec.mask.clone(),
        }
    }
}

/// One key slot: the password and, when the room has audiences, whose it is.
pub struct Reader<'a> {
    pub password: &'a str,
    pub audience: Option<Audience>,
}

impl Reader<'_> {
    /// Whether this reader's view is the whole room as the seller wrote it:
    /// no audience, or one that sees everything unmasked. Such readers share
    /// the one render of the whole room; every other audience gets its own.
    pub fn reads_the_whole_room(&self) -> bool {
        self.audience
            .as_ref()
            .is_none_or(|a| a.sees.is_all() && a.mask.is_empty())
    }
}

/// Whether the whole room must be rendered for `readers` (else only each
/// audience's own view is).
pub fn someone_reads_the_whole_room(readers: &[Reader]) -> bool {
    readers.iter().any(Reader::reads_the_whole_room)
}

/// What every reader accepts and carries, whatever its audience.
pub struct GateSettings {
    pub nda: Option<NdaText>,
    pub watermark: bool,
}

/// The parameters of the seal stage that do not depend on the reader.
pub struct SealParams<'a> {
    pub iterations: u32,
    pub public_title: &'a str,
    pub site_id: &'a str,
    pub state_secret: &'a [u8; 32],
    pub progress: &'a indicatif::ProgressBar,
}

/// The handover confirmation's list of audiences (names and sections).
pub fn summaries<'a>(audiences: impl IntoIterator<Item = &'a Audience>) -> Vec<AudienceSummary> {
    audiences
        .into_iter()
        .map(|a| AudienceSummary {
            name: a.name.clone(),
            sees: a.sees.clone(),
        })
        .collect()
}

/// The key slots of a build: one per audience (its password by id), or the
/// one password of a room without audiences.
pub fn readers<'a>(
    room: &Room,
    passwords: &'a [AudiencePassword],
) -> Result<Vec<Reader<'a>>, crate::i18n::Wording> {
    if room.audiences().is_empty() {
        return match passwords {
            [single] if single.audience.is_none() => Ok(vec![Reader {
                password: &single.secret,
                audience: None,
            }]),
            _ => Err(crate::i18n::Wording::new("err_one_password")),
        };
    }
    room.audiences()
        .iter()
        .map(|spec| {
            let password = passwords
                .iter()
                .find(|p| p.audience.as_deref() == Some(spec.id.as_str()))
                .ok_or_else(|| {
                    crate::i18n::Wording::new("err_audience_password").arg("audience", &spec.id)
                })?;
            Ok(Reader {
                password: &password.secret,
                audience: Some(Audience::of(spec)),
            })
        })
        .collect()
}

/// What every reader's gate says besides its audience: the NDA (`nda:`) and
/// the watermark flag (`watermark:`).
pub fn gate_settings(room: &Room) -> GateSettings {
    GateSettings {
        nda: room.nda().map(nda_of),
        watermark: room.settings.watermark,
    }
}

/// The NDA as the gate shows it: the room's own Markdown, rendered.
fn nda_of(doc: &Document) -> NdaText {
    let route = doc.route();
    let html = render::markdown::render_titled(&doc.body, &route, Some(&doc.title)).html;
    NdaText {
        title: doc.title.clone(),
        html,
    }
}

/// Renders each reader's view and seals them all, page by page as they are
/// rendered ([`crate::seal::stream`]). `engine` renders the room for readers
/// without an audience; each audience gets its own room (sections left out,
/// values masked) and its own search index (what it sees, masked values
/// masked). Returns what was written, the number of pages and the search
/// indexes' size.
#[allow(clippy::too_many_arguments)]
pub(crate) fn seal_readers(
    room: &Room,
    theme: &Theme,
    engine: &Engine,
    extras: &Extras,
    readers: &[Reader],
    gate: &GateSettings,
    params: &SealParams,
    staging: &Staging,
) -> Result<Sealed, Wording> {
    let everything = Sees::all();
    // An audience's own room: only for one that does not read the whole room.
    let rooms: Vec<Option<Room>> = readers
        .iter()
        .map(|r| match &r.audience {
            Some(a) if !r.reads_the_whole_room() => Some(room_for(room, &a.sees, &a.mask)),
            _ => None,
        })
        .collect();
    let engines: Vec<Option<Engine>> = rooms
        .iter()
        .map(|own| {
            own.as_ref()
                .map(|own| Engine::new(theme, own.settings.language))
                .transpose()
        })
        .collect::<Result<_, _>>()
        .map_err(Wording::from)?;
    // Readers of the whole room share one source: the stream renders each of
    // its pages once for all of them (`seal::stream` renders a source once per route).
    let whole_room =
        PageSource::new(room, engine, Selection::All, extras, &everything).rows_as_data();
    let own_sources: Vec<Option<PageSource>> = readers
        .iter()
        .zip(rooms.iter().zip(&engines))
        .map(
            |(r, (own, own_engine))| match (own, own_engine, &r.audience) {
                (Some(own), Some(own_engine), Some(a)) => Some(
                    PageSource::new(own, own_engine, Selection::All, extras, &a.sees)
                        .rows_as_data(),
                ),
                _ => None,
            },
        )
        .collect();
    #[cfg(test)]
    render::RENDERS.with(|n| {
        let own = own_sources.iter().flatten().count();
        n.set(n.get() + own + usize::from(someone_reads_the_whole_room(readers)))
    });
    let sources: Vec<&PageSource> = own_sources
        .iter()
        .map(|own| own.as_ref().unwrap_or(&whole_room))
        .collect();
    let sites: Vec<render::Site> = sources
        .iter()
        .map(|s| s.site_without_pages())
        .collect::<Result<_, _>>()
        .map_err(Wording::from)?;
    let views: Vec<View> = readers
        .iter()
        .zip(rooms.iter().zip(sources.iter().zip(&sites)))
        .map(|(r, (own, (source, site)))| {
            let shown = own.as_ref().unwrap_or(room);
            let audience = r.audience.as_ref();
            View {
                password: r.password,
                site,
                pages: *source,
                attachments: shown.attachments.iter().collect(),
                audience: audience.map(|a| a.name.clone()),
                denied: audience.map(|a| a.sees.denied()).unwrap_or_default(),
                gate: (audience.is_some() || gate.nda.is_some()).then(|| Gate {
                    audience: audience.map(|a| a.name.clone()),
                    nda: gate.nda.clone(),
                    watermark: gate.watermark,
                }),
                search: Some(SearchSource {
                    room: shown,
                    sees: audience.map_or(&everything, |a| &a.sees),
                    key: search::view_key(params.state_secret, audience.map(|a| a.name.as_str())),
                }),
            }
        })
        .collect();
    crate::seal::site::seal_site(
        &views,
        theme,
        engine,
        params.iterations,
        params.public_title,
        params.site_id,
        params.state_secret,
        staging,
        params.progress,
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;
    use crate::render::registry::Section;
    use crate::seal::site::{is_payload_path, SealedIndex};
    use crate::seal::{Opener, PayloadMeta, GATE_META, INDEX_META, MIN_ITERATIONS, PAGE_TYPE};

    const MANAGEMENT: &str = "management-password-一二三";
    const STAFF: &str = "service-staff-password-四五六";

    fn staff_sees() -> Sees {
        Sees(
            [
                Section::Clients,
                Section::Services,
                Section::Policies,
                Section::Checklists,
                Section::Training,
            ]
            .into_iter()
            .collect(),
        )
    }

    struct Sealed {
        _dir: tempfile::TempDir,
        site: std::path::PathBuf,
        /// The rooms `seal_readers` rendered (besides the whole room).
        renders: usize,
    }

    /// Seals the small fixture room for `readers` into a fresh folder.
    fn seal(readers: &[Reader]) -> Sealed {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small-room");
        let room = crate::check(&root, false)
            .room
            .expect("fixture room is valid");
        let theme = Theme::load(&room.theme);
        let summaries = summaries(readers.iter().filter_map(|r| r.audience.as_ref()));
        let extras = Extras {
            audiences: &summaries,
            ..Extras::default()
        };
        let engine = Engine::new(&theme, room.settings.language).expect("engine");
        let dir = tempfile::tempdir().expect("tempdir");
        let staging = Staging::begin(&dir.path().join("out")).expect("staging");
        let renders_before = render::RENDERS.with(std::cell::Cell::get);
        seal_readers(
            &room,
            &theme,
            &engine,
            &extras,
            readers,
            &GateSettings {
                nda: room.documents.iter().find(|d| d.slug == "nda").map(nda_of),
                watermark: true,
            },
            &SealParams {
                iterations: MIN_ITERATIONS,
                public_title: "Data room",
                site_id: "0123456789abcdef",
                state_secret: &[7; 32],
                progress: &indicatif::ProgressBar::hidden(),
            },
            &staging,
        )
        .expect("seals");
        let renders = render::RENDERS.with(std::cell::Cell::get) - renders_before;
        staging.commit().expect("commit");
        let site = dir.path().join("out/site");
        Sealed {
            _dir: dir,
            site,
            renders,
        }
    }

    fn two_audiences() -> Sealed {
        seal(&[
            Reader {
                password: MANAGEMENT,
                audience: Some(Audience {
                    name: "收购方董事会".into(),
                    sees: Sees::all(),
                    mask: BTreeSet::new(),
                }),
            },
            Reader {
                password: STAFF,
                audience: Some(Audience {
                    name: "收购方热线组".into(),
                    sees: staff_sees(),
                    mask: MaskedField::ALL.into_iter().collect(),
                }),
            },
        ])
    }

    /// Everything one password opens: the gate, the index, every page and
    /// file, every search shard.
    struct Opened {
        gate: Gate,
        index: SealedIndex,
        text: String,
        search_files: usize,
    }

    fn open_all(site: &Path, password: &str) -> Opened {
        let read = |rel: &str| std::fs::read(site.join(rel)).expect(rel);
        let header = crate::seal::parse_header(&String::from_utf8_lossy(&read("data/header.js")))
            .expect("header");
        let opener = Opener::unlock(header, password).expect("the password opens a slot");
        let open = |id: &str, file: Option<&str>, meta: &PayloadMeta| -> Vec<u8> {
            let js = read(&format!("data/{}.js", file.unwrap_or(id)));
            opener.open(id, meta, &js).expect("payload opens")
        };
        let gate: Gate =
            serde_json::from_slice(&open(opener.gate_id(), None, &GATE_META)).expect("gate");
        let index_bytes = open(opener.index_id(), None, &INDEX_META);
        let index: SealedIndex = serde_json::from_slice(&index_bytes).expect("index");
        let mut text = String::from_utf8_lossy(&index_bytes).into_owned();
        let routes = crate::seal::routemap::all_routes(&index, |id, meta| Ok(open(id, None, meta)))
            .expect("route map");
        for (route, e) in &routes {
            let meta = PayloadMeta {
                content_type: PAGE_TYPE,
                name: route,
            };
            text.push_str(&String::from_utf8_lossy(&open(&e.p, e.f.as_deref(), &meta)));
        }
        for e in index.files.values() {
            let meta = PayloadMeta {
                content_type: &e.mime,
                name: &e.name,
            };
            text.push_str(&String::from_utf8_lossy(&open(&e.p, e.f.as_deref(), &meta)));
        }
        let search = index.search.clone().expect("every view has a search index");
        let terms = search.terms.iter().enumerate();
        let docs = search.docs.iter().enumerate();
        let shards = terms
            .map(|(n, id)| (id, crate::search::term_shard_name(n)))
            .chain(docs.map(|(n, id)| (id, crate::search::doc_shard_name(n))));
        for (id, name) in shards {
            let meta = PayloadMeta {
                content_type: "application/json",
                name: &name,
            };
            text.push_str(&String::from_utf8_lossy(&open(id, None, &meta)));
        }
        Opened {
            gate,
            index,
            text,
            search_files: search.terms.len() + search.docs.len(),
        }
    }

    /// Unmasked values and contract/payment/handover text of the fixture room.
    const SECRETS: [&str; 12] = [
        "11010519491231002X",
        "91350100M000100Y43",
        "13812345678",
        "138 1234 5678",
        "64381234",
        "测试路1号",
        "测试大道2号",
        "C-1",
        "INV-1",
        "36,800.00",
        "1,200.50",
        "handover/checklist",
    ];

    #[test]
    fn each_audience_decrypts_only_what_it_sees_and_management_sees_all() {
        let sealed = two_audiences();
        let staff = open_all(&sealed.site, STAFF);
        for secret in SECRETS {
            assert!(
                !staff.text.contains(secret),
                "the staff's slot opens {secret}"
            );
        }
        assert!(
            staff.text.contains("110105********002X"),
            "masked id number shown"
        );
        assert!(
            !staff.index.routes.keys().any(|r| r.starts_with("contracts")
                || r.starts_with("payments")
                || r.starts_with("handover"))
        );
        assert!(!staff.index.files.contains_key("attachments/c1.pdf"));
        assert!(!staff.index.nav.contains("合同协议") && !staff.index.nav.contains("移交文件"));
        assert_eq!(
            staff.index.denied,
            ["contracts", "payments", "handover", "exports"]
        );
        assert_eq!(staff.index.audience.as_deref(), Some("收购方热线组"));
        assert_eq!(staff.gate.audience.as_deref(), Some("收购方热线组"));
        assert!(staff.gate.watermark);
        let nda = staff.gate.nda.as_ref().expect("the gate carries the NDA");
        assert!(!nda.html.is_empty());

        let management = open_all(&sealed.site, MANAGEMENT);
        for secret in SECRETS {
            assert!(management.text.contains(secret), "management sees {secret}");
        }
        assert!(management.index.denied.is_empty());
        assert!(management.index.files.contains_key("attachments/c1.pdf"));
        // The confirmation lists the audiences, names and sections.
        assert!(management.text.contains("收购方热线组") && management.text.contains("基本信息"));
        assert!(!management.text.contains(STAFF) && !management.text.contains(MANAGEMENT));
    }

    #[test]
    fn an_audience_that_sees_the_whole_room_unmasked_is_not_rendered_again() {
        // The board sees everything unmasked: its pages are the whole room's,
        // rendered once; the hotline's own view is the one other source.
        assert_eq!(two_audiences().renders, 2);
        let one = seal(&[Reader {
            password: MANAGEMENT,
            audience: None,
        }]);
        assert_eq!(one.renders, 1);
    }

    #[test]
    fn the_whole_room_is_rendered_only_when_a_reader_reads_it() {
        let reader = |sees: Sees, mask: &[MaskedField]| Reader {
            password: STAFF,
            audience: Some(Audience {
                name: "x".into(),
                sees,
                mask: mask.iter().copied().collect(),
            }),
        };
        let no_audience = Reader {
            password: STAFF,
            audience: None,
        };
        assert!(someone_reads_the_whole_room(&[no_audience]));
        assert!(someone_reads_the_whole_room(&[
            reader(Sees::all(), &[]),
            reader(staff_sees(), &[])
        ]));
        // Everyone sees a part, or masked values: each gets its own render only.
        assert!(!someone_reads_the_whole_room(&[
            reader(staff_sees(), &[]),
            reader(Sees::all(), &[MaskedField::Phone])
        ]));
    }

    fn payload_files(site: &Path) -> BTreeMap<String, Vec<u8>> {
        walk(site)
            .into_iter()
            .filter(|(rel, _)| is_payload_path(rel))
            .collect()
    }

    fn walk(site: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![site.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("dir").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let rel = path
                        .strip_prefix(site)
                        .expect("inside")
                        .to_string_lossy()
                        .replace('\\', "/");
                    out.push((rel, std::fs::read(&path).expect("file")));
                }
            }
        }
        out
    }

    #[test]
    fn audiences_share_payloads_and_the_public_files_name_none() {
        let two = two_audiences();
        let one = seal(&[Reader {
            password: MANAGEMENT,
            audience: None,
        }]);
        // Each view's search index is its own (its own key): left out here.
        let searched = |site: &Path, passwords: &[&str]| -> usize {
            passwords
                .iter()
                .map(|p| open_all(site, p).search_files)
                .sum()
        };
        let (n_two, n_one) = (
            payload_files(&two.site).len() - searched(&two.site, &[STAFF, MANAGEMENT]),
            payload_files(&one.site).len() - searched(&one.site, &[MANAGEMENT]),
        );
        // One pack of pages either way, the attachment and the exports once;
        // only the indexes, gates and the staff's own pages are extra.
        assert!(
            n_two * 2 < n_one * 3,
            "two audiences: {n_two} payload files, one: {n_one}"
        );
        for (rel, bytes) in walk(&two.site)
            .into_iter()
            .filter(|(r, _)| !is_payload_path(r))
        {
            let text = String::from_utf8_lossy(&bytes);
            for name in ["收购方董事会", "收购方热线组"] {
                assert!(!text.contains(name), "{rel} names the audience {name}");
            }
        }
        let header = crate::seal::parse_header(
            &std::fs::read_to_string(two.site.join("data/header.js")).expect("header"),
        )
        .expect("header parses");
        assert_eq!(header.slots.len(), 2);
        assert!(
            header.index.is_empty()
                && header
                    .slots
                    .iter()
                    .all(|s| !s.index.is_empty() && !s.gate.is_empty())
        );
        // Without audiences: one slot, the index in the header.
        let header = crate::seal::parse_header(
            &std::fs::read_to_string(one.site.join("data/header.js")).expect("header"),
        )
        .expect("header parses");
        assert_eq!(header.slots.len(), 1);
        assert!(!header.index.is_empty() && header.slots[0].index.is_empty());
    }
}
