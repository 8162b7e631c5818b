//! A bounded fuzz of the loaders, run by `cargo test`: arbitrary bytes and
//! mutated real records (the example room's) never panic, and always give a
//! checked value or diagnostics that point into the file.

mod common;

use std::path::{Path, PathBuf};

use dataroom::room::diagnostic::{Diagnostic, Diagnostics, Sources};
use dataroom::room::{client, document, files, settings, DocKind};
use dataroom::Renderer;
use proptest::prelude::*;

#[derive(Clone, Copy, Debug)]
enum Loader {
    Client,
    Settings,
    Document(DocKind),
}

const LOADERS: [Loader; 5] = [
    Loader::Client,
    Loader::Settings,
    Loader::Document(DocKind::Policy),
    Loader::Document(DocKind::Checklist),
    Loader::Document(DocKind::Training),
];

/// Every file under `example-dataroom/<dir>` with the loader that reads it.
fn seeds() -> Vec<(Loader, Vec<u8>)> {
    let root = common::example();
    let mut out = vec![(
        Loader::Settings,
        std::fs::read(root.join("dataroom.yaml")).expect("dataroom.yaml"),
    )];
    for (loader, dir) in [
        (Loader::Client, "clients"),
        (Loader::Document(DocKind::Policy), "policies"),
        (Loader::Document(DocKind::Checklist), "checklists"),
        (Loader::Document(DocKind::Training), "training"),
    ] {
        for file in walk(&root.join(dir)) {
            out.push((loader, std::fs::read(file).expect("read")));
        }
    }
    assert!(out.len() > 20, "the example room's records are the seeds");
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Loads `bytes` as the room would; panics (failing the case) if a diagnostic
/// is not located inside the file or cannot be shown.
fn load(loader: Loader, bytes: Vec<u8>) {
    let rel = Path::new("clients/fuzz.yaml");
    let (text, result) = match files::text_from_bytes(rel, bytes.clone()) {
        Err(d) => (String::from_utf8_lossy(&bytes).into_owned(), Err(vec![d])),
        Ok(text) => {
            let result = match loader {
                Loader::Client => client::parse_client(rel, &text).map(drop),
                Loader::Settings => settings::parse_settings(&text).map(drop),
                Loader::Document(kind) => {
                    document::parse_document(kind, "fuzz".into(), rel, &text).map(drop)
                }
            };
            (text, result)
        }
    };
    let Err(diags) = result else { return };
    assert!(!diags.is_empty(), "a refusal without a diagnostic");
    let lines = text.lines().count().max(1);
    let file = rel.to_path_buf();
    let mut sources = Sources::default();
    sources.insert(file.clone(), std::sync::Arc::new(text.clone()));
    let renderer = Renderer::new(false);
    let strings = dataroom::i18n::embedded(dataroom::room::Language::En);
    for d in &diags {
        assert_located(d, lines, &text);
        let shown = renderer.render(d, &sources, Path::new("room"), strings);
        assert!(shown.contains(d.code), "{shown}");
    }
    let mut all = Diagnostics::default();
    all.extend(diags);
    assert!(all.error_count() > 0, "a refused file has an error");
}

fn assert_located(d: &Diagnostic, lines: usize, text: &str) {
    let settings_file = Path::new(settings::SETTINGS_FILE);
    assert!(
        d.file == Path::new("clients/fuzz.yaml") || d.file == settings_file,
        "{d:?}"
    );
    assert!(
        d.loc.line >= 1 && d.loc.line <= lines + 1,
        "line {d:?} of {lines}"
    );
    assert!(d.loc.column >= 1, "{d:?}");
    assert!(
        d.loc.offset <= text.len(),
        "offset {d:?} past {}",
        text.len()
    );
    assert!(!d.message.is_empty(), "{d:?}");
}

#[derive(Clone, Debug)]
enum Mutation {
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Duplicate(usize, usize),
}

/// Pieces that matter to YAML, front matter and our own checks.
const TOKENS: &[&str] = &[
    ": ",
    "- ",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "'",
    "---\n",
    "\t",
    "\n",
    "\r\n",
    "&a ",
    "*a",
    "!!binary ",
    "? ",
    "|\n",
    ">-\n",
    "```quiz\n",
    "```\n",
    "\u{feff}",
    "\u{0}",
    "\u{1b}[2J",
    "张",
    "\u{202e}",
    "9999-99-99",
    "2024-02-30",
    "1e400",
    "-0.001",
    "12345678901234567890.123",
    "null",
    "~",
    "<<: *a",
    "answer: [9, -1]",
    "choices: []",
    "id: ../x",
    "file: ../../etc/passwd",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    let insert = prop_oneof![
        proptest::sample::select(TOKENS).prop_map(|t| t.as_bytes().to_vec()),
        proptest::collection::vec(any::<u8>(), 1..8),
    ];
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Set(at, b)),
        (any::<usize>(), insert).prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        (any::<usize>(), 1..64usize).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (any::<usize>(), 1..64usize).prop_map(|(at, n)| Mutation::Duplicate(at, n)),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len();
        match m {
            Mutation::Set(at, b) if len > 0 => bytes[at % len] = *b,
            Mutation::Set(..) => bytes.push(0),
            Mutation::Insert(at, piece) => {
                let at = at % (len + 1);
                bytes.splice(at..at, piece.iter().copied());
            }
            Mutation::Delete(at, n) => {
                let at = at % (len + 1);
                bytes.drain(at..(at + n).min(len));
            }
            Mutation::Duplicate(at, n) => {
                let at = at % (len + 1);
                let piece = bytes[at..(at + n).min(len)].to_vec();
                bytes.splice(at..at, piece);
            }
        }
    }
    bytes
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn arbitrary_bytes_never_panic(
        loader in proptest::sample::select(&LOADERS[..]),
        bytes in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        load(loader, bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(
        loader in proptest::sample::select(&LOADERS[..]),
        pieces in proptest::collection::vec(proptest::sample::select(TOKENS), 0..40),
    ) {
        load(loader, pieces.concat().into_bytes());
    }
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn mutated_real_records_never_panic(
        seed in any::<proptest::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let seeds = seeds();
        let (loader, bytes) = seeds[seed.index(seeds.len())].clone();
        load(loader, apply(bytes, &mutations));
    }
}

proptest! {
    #![proptest_config(config(32))]

    /// Through the whole `check`: a room is returned exactly when there is no
    /// error, and the room's own files are never the reason for a panic.
    #[test]
    fn a_room_with_a_mutated_record_is_a_room_or_errors(
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let room = common::Room::valid();
        let record = apply(common::CLIENT.as_bytes().to_vec(), &mutations);
        room.write("clients/HX-1.yaml", record);
        let loaded = dataroom::check(room.path(), false);
        prop_assert_eq!(loaded.room.is_some(), loaded.diagnostics.error_count() == 0);
    }
}

/// Aliases that would expand to billions of nodes are refused quickly.
#[test]
fn alias_bombs_are_refused() {
    let mut yaml = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = format!("*a{}", i - 1);
        yaml.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            [prev.as_str(); 10].join(", ")
        ));
    }
    let started = std::time::Instant::now();
    load(Loader::Client, yaml.into_bytes());
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
}
