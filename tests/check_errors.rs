//! Every input error kind: `dataroom check` names the file, line and column,
//! exits 1, and reports all problems of a run at once.

mod common;
use common::*;

/// Asserts the run failed and pointed at `file:line:`.
fn assert_points_at(r: &Run, file: &str, line: usize, code: &str) {
    assert_eq!(r.code, 1, "expected exit 1:\n{}", r.all());
    let needle = format!("{file}:{line}:");
    assert!(
        r.stderr.contains(&needle),
        "expected `{needle}` in:\n{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!("[{code}]:")),
        "expected [{code}] in:\n{}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

#[test]
fn valid_room_passes() {
    let room = Room::valid();
    let r = room.check(&[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stderr.contains("0 error(s), 0 warning(s)"),
        "{}",
        r.stderr
    );
}

#[test]
fn yaml_syntax_error() {
    let room = Room::valid();
    room.write(
        "clients/HX-1.yaml",
        "id: HX-1\nname: \"张伟\ncontact: {phone: 1\n",
    );
    assert_points_at(&room.check(&[]), "clients/HX-1.yaml", 2, "yaml-syntax");
}

#[test]
fn unknown_field() {
    let room = Room::valid();
    room.write(
        "clients/HX-1.yaml",
        CLIENT.replace("kind: individual", "kind: individual\nphonee: \"1\""),
    );
    let r = room.check(&[]);
    assert_points_at(&r, "clients/HX-1.yaml", 4, "unknown-field");
    assert!(r.stderr.contains("phonee"));
}

#[test]
fn missing_required_field() {
    let room = Room::valid();
    room.write("clients/HX-1.yaml", CLIENT.replace("name: 张伟\n", ""));
    let r = room.check(&[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("clients/HX-1.yaml:"), "{}", r.stderr);
    assert!(r.stderr.contains("missing field `name`"), "{}", r.stderr);
}

#[test]
fn wrong_type_amount() {
    let room = Room::valid();
    room.write(
        "clients/HX-1.yaml",
        CLIENT.replace("amount: 600.25", "amount: abc"),
    );
    let r = room.check(&[]);
    assert_points_at(&r, "clients/HX-1.yaml", 12, "invalid-amount");
    assert!(r.stderr.contains("`abc` is not a valid amount"));
}

#[test]
fn wrong_type_list_for_text() {
    let room = Room::valid();
    room.write(
        "clients/HX-1.yaml",
        CLIENT.replace("name: 张伟", "name: [张, 伟]"),
    );
    assert_points_at(&room.check(&[]), "clients/HX-1.yaml", 2, "wrong-type");
}

#[test]
fn impossible_date() {
    let room = Room::valid();
    room.write(
        "clients/HX-1.yaml",
        CLIENT.replace("date: 2026-02-01", "date: 2024-13-45"),
    );
    let r = room.check(&[]);
    assert_points_at(&r, "clients/HX-1.yaml", 12, "invalid-date");
    assert!(
        r.stderr.contains("clients/HX-1.yaml:12:12"),
        "column: {}",
        r.stderr
    );
}

#[test]
fn duplicate_client_id_names_both_files() {
    let room = Room::valid();
    room.write("clients/HX-1-copy.yaml", CLIENT);
    let r = room.check(&[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("[duplicate-id]"), "{}", r.stderr);
    assert!(r.stderr.contains("clients/HX-1.yaml:1:5"), "{}", r.stderr);
    assert!(
        r.stderr.contains("clients/HX-1-copy.yaml:1:5"),
        "{}",
        r.stderr
    );
}

#[test]
fn unsafe_id() {
    let room = Room::valid();
    room.write("clients/HX-1.yaml", CLIENT.replace("id: HX-1", "id: ../x"));
    assert_points_at(&room.check(&[]), "clients/HX-1.yaml", 1, "unsafe-id");
}

#[test]
fn attachment_missing() {
    let room = Room::valid();
    std::fs::remove_file(room.path().join("attachments/c1.pdf")).expect("rm");
    assert_points_at(
        &room.check(&[]),
        "clients/HX-1.yaml",
        10,
        "attachment-missing",
    );
}

#[test]
fn attachment_leaving_the_room() {
    for bad in [
        "../../etc/passwd",
        "/etc/passwd",
        "attachments/../../secret.pdf",
    ] {
        let room = Room::valid();
        room.write(
            "clients/HX-1.yaml",
            CLIENT.replace("attachments/c1.pdf", bad),
        );
        let r = room.check(&[]);
        assert_points_at(&r, "clients/HX-1.yaml", 10, "attachment-outside-room");
    }
}

#[cfg(unix)]
#[test]
fn symlinks_pointing_outside_are_never_read() {
    let outside = tempfile::tempdir().expect("tmp");
    let secret = outside.path().join("secret.pdf");
    std::fs::write(&secret, "TOP-SECRET-OUTSIDE").expect("write");
    let room = Room::valid();
    std::os::unix::fs::symlink(&secret, room.path().join("attachments/link.pdf")).expect("symlink");
    room.write(
        "clients/HX-1.yaml",
        CLIENT.replace("attachments/c1.pdf", "attachments/link.pdf"),
    );
    let r = room.check(&[]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("attachments/link.pdf"), "{}", r.stderr);
    assert!(r.stderr.contains("[path-outside-room]"), "{}", r.stderr);
    assert!(r.stderr.contains("clients/HX-1.yaml:10:"), "{}", r.stderr);
    assert!(!r.all().contains("TOP-SECRET-OUTSIDE"));
    // A symlinked client file is refused too.
    std::os::unix::fs::symlink(&secret, room.path().join("clients/evil.yaml")).expect("symlink");
    let r = room.check(&[]);
    assert!(r.stderr.contains("clients/evil.yaml:1:1"), "{}", r.stderr);
}

#[test]
fn invalid_utf8() {
    let room = Room::valid();
    room.write(
        "clients/HX-1.yaml",
        b"id: HX-1\nname: \xd5\xc5\xce\xb0\n".as_slice(),
    );
    let r = room.check(&[]);
    assert_points_at(&r, "clients/HX-1.yaml", 2, "invalid-utf8");
    assert!(r.stderr.contains("clients/HX-1.yaml:2:7"), "{}", r.stderr);
}

#[test]
fn empty_file() {
    let room = Room::valid();
    room.write("clients/HX-2.yaml", "");
    assert_points_at(&room.check(&[]), "clients/HX-2.yaml", 1, "empty-file");
}

#[test]
fn unterminated_front_matter() {
    let room = Room::valid();
    room.write("policies/nda.md", "---\ntitle: 保密协议\n\n# 正文\n");
    assert_points_at(
        &room.check(&[]),
        "policies/nda.md",
        1,
        "unterminated-front-matter",
    );
}

#[test]
fn front_matter_error_has_the_file_line() {
    let room = Room::valid();
    room.write("policies/nda.md", "---\ntitle: 保密协议\nauthor: x\n---\n");
    assert_points_at(&room.check(&[]), "policies/nda.md", 3, "unknown-field");
}

#[test]
fn missing_settings() {
    let room = Room::valid();
    std::fs::remove_file(room.path().join("dataroom.yaml")).expect("rm");
    assert_points_at(&room.check(&[]), "dataroom.yaml", 1, "settings-missing");
}

#[test]
fn broken_settings() {
    let room = Room::valid();
    room.write(
        "dataroom.yaml",
        SETTINGS.replace("handover_date: 2026-12-15", "handover_date: 2026-02-30"),
    );
    assert_points_at(&room.check(&[]), "dataroom.yaml", 6, "invalid-date");
    room.write(
        "dataroom.yaml",
        SETTINGS.replace("seller: {name: 测试保洁有限公司, contact: 王经理}\n", ""),
    );
    let r = room.check(&[]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("dataroom.yaml:") && r.stderr.contains("missing field `seller`"),
        "{}",
        r.stderr
    );
}

#[test]
fn room_that_does_not_exist() {
    let r = run(bin().arg("check").arg("/nonexistent/room-xyz"));
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("/nonexistent/room-xyz") && r.stderr.contains("does not exist"),
        "{}",
        r.stderr
    );
}

#[test]
fn invalid_quiz_is_an_error_with_its_line() {
    let room = Room::valid();
    room.write(
        "training/01.md",
        "---\ntitle: 课\n---\n\n```quiz\nquestion: Q\nchoices: [a, b]\nanswer: 7\n```\n\n```quiz\nquestion: Q\nchoices: []\nanswer: 0\n```\n\n```quiz\nquestion: Q\nchoices: [a, b]\nanswer: 0\nhint: x\n```\n",
    );
    let r = room.check(&[]);
    assert_eq!(r.code, 1);
    for line in [8, 13, 21] {
        assert!(
            r.stderr.contains(&format!("training/01.md:{line}:")),
            "line {line}: {}",
            r.stderr
        );
    }
    assert_eq!(
        r.stderr.matches("[invalid-quiz]").count(),
        3,
        "{}",
        r.stderr
    );
}

#[test]
fn all_problems_of_a_run_are_reported_at_once() {
    let room = Room::valid();
    room.write(
        "clients/HX-1.yaml",
        CLIENT
            .replace("date: 2026-02-01", "date: 2024-13-45")
            .replace("amount: 1200.50", "amount: 12x"),
    );
    room.write("clients/HX-2.yaml", "id: HX-2\nname: 李四\nbogus: 1\n");
    room.write("policies/nda.md", "no front matter\n");
    let r = room.check(&[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("4 error(s)"), "{}", r.stderr);
    for needle in [
        "clients/HX-1.yaml:12:",
        "clients/HX-1.yaml:10:",
        "clients/HX-2.yaml:3:",
        "policies/nda.md:1:",
    ] {
        assert!(r.stderr.contains(needle), "{needle}: {}", r.stderr);
    }
}

#[test]
fn data_quality_findings_are_warnings_unless_strict() {
    let room = Room::valid();
    room.write(
        "clients/HX-2.yaml",
        "id: HX-2\nname: 李四\ncontact: {phone: \"12345\", email: \"zhangwei@example.com\"}\nid_number: \"110105194912310021\"\n",
    );
    room.write(
        "clients/HX-3.yaml",
        "id: HX-3\nname: 某公司\nkind: company\ncontact: {phone: \"+86 138 1234 5678\"}\ncredit_code: \"91350100M000100Y44\"\nconsent: {given: false}\n",
    );
    let r = room.check(&[]);
    assert_eq!(r.code, 0, "{}", r.all());
    for code in [
        "phone-invalid",
        "id-number-invalid",
        "credit-code-invalid",
        "consent-missing",
        "phone-shared",
        "email-shared",
    ] {
        assert!(
            r.stderr.contains(&format!("[{code}]:")),
            "{code}: {}",
            r.stderr
        );
    }
    // The +86 phone is valid and is the same number as HX-1's.
    assert!(
        r.stderr
            .contains("client HX-3 shares its phone number with HX-1"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("phone `+86 138 1234 5678`"),
        "{}",
        r.stderr
    );
    let strict = room.check(&["--strict"]);
    assert_eq!(strict.code, 1, "{}", strict.all());
}

#[test]
fn json_format_for_tools() {
    let room = Room::valid();
    room.write(
        "clients/HX-2.yaml",
        "id: HX-2\nname: 李四\ncontact: {phone: \"12345\"}\n",
    );
    let r = room.check(&["--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let findings = v["findings"].as_array().expect("findings");
    let phone = findings
        .iter()
        .find(|f| f["code"] == "phone-invalid")
        .expect("phone finding");
    assert_eq!(phone["client"], "HX-2");
    assert_eq!(phone["field"], "contact.phone");
    assert_eq!(phone["line"], 3);
    assert_eq!(phone["severity"], "warning");
}

#[test]
fn init_makes_a_room_that_checks_clean() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("new-room");
    let r = run(bin().arg("init").arg(&dir));
    assert_eq!(r.code, 0, "{}", r.all());
    let r = run(bin().arg("check").arg(&dir));
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stderr.contains("0 error(s), 0 warning(s)"),
        "{}",
        r.stderr
    );
    // init refuses to overwrite.
    assert_eq!(run(bin().arg("init").arg(&dir)).code, 1);
}

#[test]
fn garbage_never_panics() {
    let inputs: [&[u8]; 8] = [
        b"\x00\x01\x02",
        b"- - - [",
        b"id: &a [*a]\n",
        b"{{{{{{{{{{",
        b"id: HX-1\nname: x\nservices: {date: 1}\n",
        b"id: HX-1\nname: x\ncontracts: [{id: C, amount: 1e400}]\n",
        b"---\n---\n---\n",
        b"id: 1\nname: 2\nkind: 3\ntags: 4\n",
    ];
    for (i, input) in inputs.iter().enumerate() {
        let room = Room::valid();
        room.write(&format!("clients/g{i}.yaml"), input);
        room.write("policies/g.md", input);
        let r = room.check(&[]);
        assert_eq!(r.code, 1, "input {i}: {}", r.all());
        assert!(!r.stderr.contains("panicked"), "input {i}: {}", r.stderr);
    }
}

/// A broken override template is a `check` error at its file and line, not a
/// build failure without a place.
#[test]
fn broken_theme_template_is_found_by_check() {
    let room = Room::valid();
    room.write(
        "theme/templates/home.html",
        "<article>\n  <h1>{{ t.home }}</h1>\n  {% if %}\n</article>\n",
    );
    room.write("theme/i18n/en.yaml", "home: [unclosed\n");
    let r = room.check(&[]);
    assert_points_at(&r, "theme/templates/home.html", 3, "theme-error");
    assert!(r.stderr.contains("theme/i18n/en.yaml:"), "{}", r.stderr);
    assert!(r.stderr.contains("2 error(s)"), "{}", r.stderr);
    // A template that parses but names a value the page does not have fails
    // in check too, at the template and the name.
    room.write(
        "theme/templates/home.html",
        "<article>\n  <h1>{{ t.home }}</h1>\n  <p>{{ no_such_value }}</p>\n</article>\n",
    );
    room.write("theme/i18n/en.yaml", "home: Start\n");
    let r = room.check(&[]);
    assert_points_at(&r, "theme/templates/home.html", 3, "theme-error");
    assert!(r.stderr.contains("no_such_value"), "{}", r.stderr);
    // A working override passes.
    room.write(
        "theme/templates/home.html",
        "<article><h1>{{ t.home }}</h1></article>\n",
    );
    room.write("theme/i18n/en.yaml", "home: Start\n");
    let r = room.check(&[]);
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn no_recent_service_points_at_the_latest_service() {
    let room = Room::valid();
    room.write(
        "clients/HX-1.yaml",
        CLIENT.replace(
            "  - {date: 2026-10-01, type: 日常保洁, staff: 李娜, notes: \"钥匙在物业\"}\n",
            "  - {date: 2025-06-01, type: 日常保洁, staff: 李娜}\n  - {date: 2024-01-05, type: 深度保洁, staff: 李娜}\n",
        ),
    );
    let r = room.check(&[]);
    assert!(r.stderr.contains("[no-recent-service]"), "{}", r.stderr);
    assert!(r.stderr.contains("(last: 2025-06-01)"), "{}", r.stderr);
    // Line 8 lists 2025-06-01; line 9, the last listed, is older.
    assert!(
        r.stderr.contains("clients/HX-1.yaml:8:") && !r.stderr.contains("clients/HX-1.yaml:9:"),
        "{}",
        r.stderr
    );
}

#[test]
fn id_number_findings_use_the_trimmed_value_and_catch_junk() {
    let room = Room::valid();
    // Wrong check character, written with spaces around it.
    room.write(
        "clients/HX-1.yaml",
        CLIENT.replace("11010519491231002X", " 110105194912310021 "),
    );
    let r = room.check(&["--format", "json"]);
    assert!(r.stdout.contains("\"id-number-invalid\""), "{}", r.stdout);
    assert!(
        r.stdout.contains("the last character would be X"),
        "{}",
        r.stdout
    );
    // 18 bytes with one multibyte character used to pass (`None == None`).
    room.write(
        "clients/HX-1.yaml",
        CLIENT.replace("11010519491231002X", "中305198709271446"),
    );
    let r = room.check(&[]);
    assert!(r.stderr.contains("[id-number-invalid]"), "{}", r.stderr);
    // An impossible birth date (30 February) with a matching check character.
    room.write(
        "clients/HX-1.yaml",
        CLIENT.replace("11010519491231002X", "110101199902301231"),
    );
    let r = room.check(&[]);
    assert!(r.stderr.contains("19990230"), "{}", r.stderr);
}

#[test]
fn phones_in_international_form_and_hotlines_are_not_flagged() {
    let room = Room::valid();
    for phone in ["+86 21 6438 1234", "+1 415 555 2671", "400-820-8820"] {
        room.write("clients/HX-1.yaml", CLIENT.replace("13812345678", phone));
        let r = room.check(&[]);
        assert!(
            !r.stderr.contains("[phone-invalid]"),
            "{phone}: {}",
            r.stderr
        );
    }
    room.write(
        "clients/HX-1.yaml",
        CLIENT.replace("13812345678", "14012345678"),
    );
    let r = room.check(&[]);
    assert!(r.stderr.contains("[phone-invalid]"), "{}", r.stderr);
}

#[test]
fn a_missing_room_or_a_zip_is_named_once() {
    let tmp = tempfile::tempdir().expect("tmp");
    let missing = tmp.path().join("nosuchroom");
    for command in ["check", "retention"] {
        let r = run(bin().arg(command).arg(&missing));
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(r.stderr.contains("[room-not-found]"), "{}", r.stderr);
        assert!(!r.stderr.contains("nosuchroom/nosuchroom"), "{}", r.stderr);
        assert!(!r.stderr.contains(":1:1"), "{}", r.stderr);
    }
    let zip = tmp.path().join("main-2026-12-15.zip");
    std::fs::write(&zip, b"PK\x05\x06").expect("zip");
    let r = run(bin().arg("retention").arg(&zip));
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("a built room's zip, not a room folder"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(".zip/"), "{}", r.stderr);
    assert!(!r.stderr.contains(":1:1"), "{}", r.stderr);
}

#[test]
fn image_missing_from_attachments() {
    let room = Room::valid();
    room.write(
        "policies/nda.md",
        "---\ntitle: 保密协议\n---\n\n# 保密\n\n见扫描件：![公章](attachments/scans/seal.png)\n",
    );
    let r = room.check(&[]);
    assert_points_at(&r, "policies/nda.md", 7, "attachment-missing");
    assert!(r.stderr.contains("policies/nda.md:7:6"), "{}", r.stderr);
    room.write("attachments/scans/seal.png", "png");
    assert_eq!(room.check(&[]).code, 0);
}
