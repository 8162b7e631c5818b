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
            .contains(r"phone `\u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}\u{202e}\u{2066}138`"),
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
