//! Snapshot tests (as mdBook does): every page of a small fixture room is
//! rendered and compared with the reviewed HTML under tests/snapshots/.
//! After an intended change: `UPDATE_SNAPSHOTS=1 cargo test --test render_snapshots`,
//! then review the diff.

mod common;
use common::*;

use std::path::{Path, PathBuf};

use dataroom::render::{self, Extras, Selection, SigningInfo, Theme};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small-room")
}

fn render(room_dir: &Path) -> render::Site {
    let loaded = dataroom::check(room_dir, false);
    let findings: Vec<dataroom::Diagnostic> = loaded.diagnostics.warnings().cloned().collect();
    let room = loaded.room.expect("fixture room is valid");
    let theme = Theme::load(&room.theme);
    let extras = Extras {
        findings: &findings,
        signing: Some(SigningInfo {
            key_id: "0123456789ABCDEF".into(),
            fingerprint: "abcd ef01".into(),
        }),
        kdf_iterations: 600_000,
        audiences: &[],
    };
    render::render(&room, &theme, Selection::All, &extras).expect("renders")
}

/// A writable copy of the fixture room, to change one thing in.
fn copy_of_fixture() -> Room {
    let room = Room::empty();
    for entry in walkdir::WalkDir::new(fixture())
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
    {
        let rel = entry
            .path()
            .strip_prefix(fixture())
            .expect("rel")
            .to_string_lossy()
            .into_owned();
        room.write(&rel, std::fs::read(entry.path()).expect("read"));
    }
    room
}

/// Compares each page with its snapshot under `tests/snapshots/<dir>` (or
/// writes it, with UPDATE_SNAPSHOTS set).
fn assert_snapshots<'a>(pages: impl IntoIterator<Item = &'a render::Page>, dir: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(dir);
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut mismatched = Vec::new();
    for page in pages {
        let file = dir.join(format!("{}.html", page.route));
        if update {
            std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
            std::fs::write(&file, &page.html).expect("write snapshot");
            continue;
        }
        match std::fs::read_to_string(&file) {
            Ok(expected) if expected == page.html => {}
            Ok(_) => mismatched.push(format!("{} differs from {}", page.route, file.display())),
            Err(_) => mismatched.push(format!("{} has no snapshot {}", page.route, file.display())),
        }
    }
    assert!(mismatched.is_empty(), "{mismatched:#?}\nrun with UPDATE_SNAPSHOTS=1 and review the diff if the change is intended");
}

#[test]
fn pages_match_snapshots() {
    let site = render(&fixture());
    let mut routes: Vec<&str> = site.pages.iter().map(|p| p.route.as_str()).collect();
    routes.sort();
    assert_eq!(routes.len(), 21, "pages: {routes:?}");
    assert_snapshots(&site.pages, "");
}

/// The handover documents of the same room in English: every one has its
/// reviewed snapshot under tests/snapshots/en/handover/, as the Chinese ones do.
#[test]
fn english_handover_documents_match_snapshots() {
    let room = copy_of_fixture();
    let settings = std::fs::read_to_string(fixture().join("dataroom.yaml")).expect("settings");
    room.write(
        "dataroom.yaml",
        settings.replace("language: zh-CN", "language: en"),
    );
    let site = render(room.path());
    let handover: Vec<&render::Page> = site
        .pages
        .iter()
        .filter(|p| p.route.starts_with("handover/"))
        .collect();
    assert_eq!(handover.len(), dataroom::render::registry::HANDOVER.len());
    for page in &handover {
        assert!(
            !page.html.contains('（') && !page.html.contains('）'),
            "no full-width brackets in English: {}",
            page.route
        );
    }
    assert_snapshots(handover, "en");
}

#[test]
fn totals_are_exact() {
    let site = render(&fixture());
    let client = site
        .pages
        .iter()
        .find(|p| p.route == "clients/HX-1")
        .expect("client page");
    // 600.25 + 600.25, no float rounding; one form of amount everywhere.
    assert!(client.html.contains("¥1,200.50"), "{}", client.html);
    let payments = site
        .pages
        .iter()
        .find(|p| p.route == "payments")
        .expect("payments");
    assert!(
        payments.html.contains("¥38,000.50"),
        "total of all payments"
    );
    assert!(payments.html.contains("2026-02"), "per month");
}

#[test]
fn theme_files_and_strings_can_be_overridden_one_by_one() {
    let room = copy_of_fixture();
    room.write("theme/i18n/zh-CN.yaml", "home: 首页（自定义）\n");
    room.write(
        "theme/templates/nav.html",
        "<div class=\"custom-nav\">{{ t.home }} {{ t.clients }}</div>\n",
    );
    room.write("theme/static/style.css", "body { color: black; }\n");
    room.write(
        "theme/static/dataroom-views.js",
        "/* the room's own page enhancers */\n",
    );
    let site = render(room.path());
    assert_eq!(
        site.nav.trim(),
        "<div class=\"custom-nav\">首页（自定义） 客户资料</div>",
        "one key overridden, the others kept"
    );
    let home = site
        .pages
        .iter()
        .find(|p| p.route == "index")
        .expect("home");
    assert!(
        home.html.contains("<article class=\"page home\">"),
        "other templates are still the default"
    );

    let tmp = tempfile::tempdir().expect("tmp");
    let key = test_key(tmp.path());
    let out = tmp.path().join("out");
    let r = build(room.path(), &out, &key, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        std::fs::read_to_string(out.join("site/static/style.css")).expect("css"),
        "body { color: black; }\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("site/static/dataroom-crypto.js")).expect("crypto"),
        include_str!("../themes/default/static/dataroom-crypto.js"),
        "files not overridden come from the default theme"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("site/static/dataroom-views.js")).expect("views"),
        "/* the room's own page enhancers */\n",
        "one script of the app is replaced alone"
    );
    let shell = std::fs::read_to_string(out.join("site/index.html")).expect("shell");
    let scripts: Vec<&str> = shell
        .match_indices("<script src=\"static/")
        .map(|(at, _)| shell[at + 20..].split('"').next().unwrap_or(""))
        .collect();
    assert_eq!(
        scripts,
        [
            "dataroom-core.js",
            "dataroom-crypto.js",
            "dataroom-store.js",
            "dataroom-views.js",
            "dataroom-list.js",
            "dataroom-router.js",
            "dataroom-gate.js",
            "dataroom-search.js",
            "dataroom-app.js"
        ],
        "the shell loads the app's scripts in their order"
    );
}

#[test]
fn english_rooms_render_english() {
    let room = copy_of_fixture();
    let settings = std::fs::read_to_string(fixture().join("dataroom.yaml")).expect("settings");
    room.write(
        "dataroom.yaml",
        settings.replace("language: zh-CN", "language: en"),
    );
    let site = render(room.path());
    let clients = site
        .pages
        .iter()
        .find(|p| p.route == "clients")
        .expect("clients");
    assert!(
        clients.html.contains("Clients") && !clients.html.contains("客户资料"),
        "{}",
        clients.html
    );
}

#[test]
fn every_ui_string_exists_in_both_languages() {
    let theme = Theme::load(&[]);
    let keys = |name: &str| -> std::collections::BTreeSet<String> {
        let text =
            String::from_utf8_lossy(theme.files.get(name).expect("strings file")).into_owned();
        let map: std::collections::BTreeMap<String, String> =
            serde_saphyr::from_str(&text).expect("parses");
        map.into_keys().collect()
    };
    let (zh, en) = (keys("i18n/zh-CN.yaml"), keys("i18n/en.yaml"));
    assert_eq!(
        zh.symmetric_difference(&en).collect::<Vec<_>>(),
        Vec::<&String>::new()
    );
    assert!(zh.len() > 150);
}
