//! A room is untrusted input: its records, file names, theme and folder name
//! must not reach the terminal raw, leave the room, or show up in public files.

mod common;
use common::*;

/// Characters that act on a terminal or reorder a line, as a record may hold them.
const HOSTILE_PHONE: &str = r#""\e[2J\e]0;pwned\a\u009b\u202e\u2066138""#;

fn assert_no_raw_controls(output: &str) {
    for bad in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}', '\u{2066}'] {
        assert!(
            !output.contains(bad),
            "raw U+{:04X} in the output:\n{output}",
            bad as u32
        );
    }
}

fn hostile_room() -> Room {
    let room = Room::valid();
    room.write(
        "clients/HX-1.yaml",
        CLIENT.replace(r#""13812345678""#, HOSTILE_PHONE),
    );
    room
}

#[test]
fn check_shows_control_characters_escaped() {
    let room = hostile_room();
    // A raw ESC in the source itself (an error: the snippet shows the line).
    room.write("clients/HX-9.yaml", "id: HX-9\nname: \"李\u{1b}[31m四\"\n");
    let r = room.check(&[]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_no_raw_controls(&r.all());
    assert!(
        r.stderr
            .contains(r"\u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}\u{202e}\u{2066}138 of client HX-1"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(r#"name: "李\u{1b}[31m四""#),
        "{}",
        r.stderr
    );
}

#[test]
fn check_json_escapes_what_json_leaves_raw() {
    let r = hostile_room().check(&["--format", "json"]);
    assert_no_raw_controls(&r.all());
    let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("valid JSON");
    let phone_finding = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["code"] == "phone-invalid")
        .expect("a phone finding");
    assert!(phone_finding["message"]
        .as_str()
        .expect("message")
        .contains("\u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}\u{202e}\u{2066}138"));
}

#[test]
fn build_shows_its_warnings_escaped() {
    let room = hostile_room();
    let keys = tempfile::tempdir().expect("temp dir");
    let key = test_key(keys.path());
    let r = build(room.path(), &keys.path().join("out"), &key, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stderr.contains("phone-invalid"), "{}", r.stderr);
    assert_no_raw_controls(&r.all());
}

// ---- theme/ links (issue 8 item 6) ----

const OUTSIDE_SECRET: &str = "OUTSIDE-SECRET-7f3a";

/// A folder beside the room holding a file that must never be published.
fn outside_folder() -> tempfile::TempDir {
    let outside = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(outside.path().join("static")).expect("mkdir");
    std::fs::write(outside.path().join("static/secret.txt"), OUTSIDE_SECRET).expect("write");
    outside
}

fn symlink(target: &std::path::Path, link: &std::path::Path) {
    std::fs::create_dir_all(link.parent().expect("parent")).expect("mkdir");
    std::os::unix::fs::symlink(target, link).expect("symlink");
}

/// Every file under `dir`, for grepping the build output.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// `check` and `build` both refuse the room with `code` at `file`; nothing is
/// written and the outside secret appears nowhere.
fn assert_refused(room: &Room, file: &str, code: &str) {
    let r = room.check(&[]);
    assert_eq!(r.code, 1, "check must refuse:\n{}", r.all());
    assert!(
        r.stderr.contains(&format!("{file}:1:1 [{code}]")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("help: copy"), "{}", r.stderr);
    assert!(!r.all().contains(OUTSIDE_SECRET), "{}", r.all());

    let keys = tempfile::tempdir().expect("temp dir");
    let key = test_key(keys.path());
    let out = keys.path().join("out");
    for extra in [&[][..], &["--only", "training"][..]] {
        let r = build(room.path(), &out, &key, extra);
        assert_eq!(r.code, 1, "build must refuse:\n{}", r.all());
        assert!(r.stderr.contains(&format!("[{code}]")), "{}", r.stderr);
        assert!(!r.all().contains(OUTSIDE_SECRET), "{}", r.all());
        assert!(
            files_under(&out).is_empty(),
            "build wrote {:?}",
            files_under(&out)
        );
    }
}

#[test]
fn a_theme_folder_linked_out_of_the_room_is_refused() {
    let outside = outside_folder();
    let room = Room::valid();
    symlink(outside.path(), &room.path().join("theme"));
    assert_refused(&room, "theme", "path-outside-room");
}

#[test]
fn a_theme_file_linked_out_of_the_room_is_refused() {
    let outside = outside_folder();
    let room = Room::valid();
    symlink(
        &outside.path().join("static/secret.txt"),
        &room.path().join("theme/static/secret.txt"),
    );
    assert_refused(&room, "theme/static/secret.txt", "path-outside-room");
}

#[test]
fn a_theme_file_linked_to_a_client_record_is_refused() {
    let room = Room::valid();
    symlink(
        &room.path().join("clients/HX-1.yaml"),
        &room.path().join("theme/static/c.txt"),
    );
    let r = room.check(&[]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("theme/static/c.txt:1:1 [theme-link]"),
        "{}",
        r.stderr
    );
}

/// The same rule holds for every room folder: a linked `clients/` is not read
/// at all (its records would otherwise be parsed and echoed in diagnostics).
#[test]
fn a_clients_folder_linked_out_of_the_room_is_not_read() {
    let outside = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        outside.path().join("x.yaml"),
        format!("id: X\nname: \"{OUTSIDE_SECRET}\n"),
    )
    .expect("write");
    let room = Room::valid();
    std::fs::remove_dir_all(room.path().join("clients")).expect("rm");
    symlink(outside.path(), &room.path().join("clients"));
    let r = room.check(&[]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("clients:1:1 [path-outside-room]"),
        "{}",
        r.stderr
    );
    assert!(!r.all().contains(OUTSIDE_SECRET), "{}", r.all());
}

/// `build` lists what it publishes unencrypted, marks the room's own theme
/// files, and the list is complete: every other file of site/ is a payload.
#[test]
fn build_lists_every_unencrypted_file() {
    let room = Room::valid();
    room.write("theme/static/extra.css", "h1 { color: teal }\n");
    room.write("theme/static/.DS_Store", "hidden files are not published");
    let keys = tempfile::tempdir().expect("temp dir");
    let key = test_key(keys.path());
    let out = keys.path().join("out");
    let r = build(room.path(), &out, &key, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("site/static/extra.css   (from the room's theme/ folder)"),
        "{}",
        r.stdout
    );
    let listed: Vec<&str> = r
        .stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("site/"))
        .map(|l| l.split_whitespace().next().unwrap_or(l))
        .collect();
    for expected in [
        "index.html",
        "data/header.js",
        "static/style.css",
        "static/dataroom-crypto.js",
    ] {
        assert!(
            listed.contains(&expected),
            "{expected} not listed:\n{}",
            r.stdout
        );
    }
    assert!(
        r.stdout.contains(&format!(
            "public:    {} files are not encrypted",
            listed.len()
        )),
        "{}",
        r.stdout
    );
    let site = out.join("site");
    for file in files_under(&site) {
        let rel = file.strip_prefix(&site).expect("inside site");
        let rel = rel.to_string_lossy();
        let bytes = std::fs::read(&file).expect("read");
        assert!(
            listed.contains(&rel.as_ref()) || bytes.starts_with(b"dataroomPayload("),
            "{rel} is neither listed as unencrypted nor a payload"
        );
    }
    assert!(!site.join("static/.DS_Store").exists());
}

// ---- the room folder's name (issue 8 item 13) ----

/// A room folder named after the company, as sellers do.
const SECRET_FOLDER: &str = "AcmeSecretCleaning 上海机密保洁";

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    for file in files_under(from) {
        let target = to.join(file.strip_prefix(from).expect("inside"));
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::copy(&file, &target).expect("copy");
    }
}

/// Whether `bytes` mention the folder name in any form a slug could take.
fn mentions_folder(bytes: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(bytes).to_lowercase();
    ["acmesecret", "上海机密"]
        .into_iter()
        .find(|word| text.contains(word))
}

#[test]
fn public_files_never_carry_the_room_folders_name() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let room = tmp.path().join(SECRET_FOLDER);
    copy_tree(Room::valid().path(), &room);
    let key = test_key(tmp.path());
    let mut zips = Vec::new();
    for (out, extra) in [("full", &[][..]), ("training", &["--only", "training"][..])] {
        let out = tmp.path().join(out);
        let r = build(&room, &out, &key, extra);
        assert_eq!(r.code, 0, "{}", r.all());
        let files = files_under(&out);
        assert!(
            files.iter().any(|f| f.ends_with("site/index.html")),
            "{files:?}"
        );
        for file in files {
            let rel = file.strip_prefix(&out).expect("inside out");
            assert_eq!(
                mentions_folder(rel.to_string_lossy().as_bytes()),
                None,
                "{rel:?}"
            );
            let bytes = std::fs::read(&file).expect("read");
            if let Some(word) = mentions_folder(&bytes) {
                panic!("`{word}` in {rel:?}");
            }
            let name = rel.to_string_lossy().into_owned();
            if name.ends_with(".zip") {
                zips.push(name);
            }
        }
    }
    // Two zips, told apart by name, both neutral.
    assert_eq!(
        zips,
        [
            "dataroom-2026-12-15.zip",
            "dataroom-training-2026-12-15.zip"
        ]
    );
}
