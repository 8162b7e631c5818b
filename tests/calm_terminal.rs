//! A calm terminal (issue 11): `build` prints at most 20 warnings in full, then
//! one line per kind and where the full list is; `build --verbose` and `check`
//! print every one. A generated room with 90 warnings of three kinds stands in
//! for the 100,000-client room (whose build once printed 808,608 lines).

mod common;

use common::{bin, build, run, test_key, Room, CLIENT};
use dataroom::i18n::{embedded, fill, text, Strings};
use dataroom::room::Language;

const NO_RECENT_SERVICE: usize = 60;
const PHONE_INVALID: usize = 25;
const CONSENT_MISSING: usize = 5;
const WARNINGS: usize = NO_RECENT_SERVICE + PHONE_INVALID + CONSENT_MISSING;

/// The valid fixture room plus generated clients with three kinds of
/// data-quality warnings (each client has exactly one, and its own phone and e-mail).
fn room_with_warnings() -> Room {
    let room = Room::valid();
    let client = |i: usize, phone: String, consent: &str, service: &str| {
        format!(
            "id: GEN-{i:04}\nname: 客户{i}\nkind: individual\ncontact: {{phone: \"{phone}\", email: \"c{i}@example.com\", address: \"上海市测试路{i}号\"}}\n{consent}services:\n  - {{date: {service}, type: 日常保洁, staff: 李娜}}\n"
        )
    };
    let consent = "consent: {given: true, date: 2024-03-01}\n";
    for i in 0..WARNINGS {
        let mobile = format!("139{i:08}");
        let yaml = if i < NO_RECENT_SERVICE {
            client(i, mobile, consent, "2020-01-01")
        } else if i < NO_RECENT_SERVICE + PHONE_INVALID {
            client(i, format!("99{i:05}"), consent, "2026-10-01")
        } else {
            client(i, mobile, "", "2026-10-01")
        };
        room.write(&format!("clients/GEN-{i:04}.yaml"), yaml);
    }
    assert!(
        CLIENT.contains("13812345678"),
        "the base client's phone is not one of these"
    );
    room
}

/// Lines that start a warning printed in full: `path:line:col [code]: message`.
fn full_warnings(out: &str) -> usize {
    out.lines()
        .filter(|l| {
            [
                "[no-recent-service]:",
                "[phone-invalid]:",
                "[consent-missing]:",
            ]
            .iter()
            .any(|k| l.contains(k))
        })
        .count()
}

/// The catalogue (en or zh-CN) the summary is worded from: the structure must
/// not change with the CLI's language (the harness asks for English).
fn summary_strings(out: &str) -> &'static Strings {
    [Language::En, Language::ZhCn]
        .into_iter()
        .map(embedded)
        .find(|s| {
            let shown = fill(
                text(s, "build_warnings_shown"),
                &[("shown", "20"), ("total", &WARNINGS.to_string())],
            );
            out.contains(&shown)
        })
        .unwrap_or_else(|| {
            panic!("no \"20 of {WARNINGS} warnings\" line in either language:\n{out}")
        })
}

#[test]
fn build_prints_twenty_warnings_in_full_then_one_line_per_kind_and_where_the_list_is() {
    let room = room_with_warnings();
    let tmp = tempfile::tempdir().expect("tmp");
    let key = test_key(tmp.path());
    let out = tmp.path().join("out");
    let r = build(room.path(), &out, &key, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(full_warnings(&r.stderr), 20, "{}", r.stderr);

    let strings = summary_strings(&r.stderr);
    let title = |key: &str| text(strings, key).to_string();
    let lines: Vec<&str> = r.stderr.lines().collect();
    let at = lines
        .iter()
        .position(|l| {
            l.contains(&*fill(
                text(strings, "build_warnings_shown"),
                &[("shown", "20"), ("total", "90")],
            ))
        })
        .expect("the summary heading");
    assert_eq!(
        &lines[at + 1..at + 5],
        [
            format!(
                "  60 × no-recent-service  {}",
                title("finding_no_recent_service")
            ),
            format!(
                "  25 × phone-invalid      {}",
                title("finding_phone_invalid")
            ),
            format!(
                "   5 × consent-missing    {}",
                title("finding_consent_missing")
            ),
            fill(
                text(strings, "build_warnings_full_list"),
                &[("room", &room.path().display().to_string())]
            ),
        ],
        "{}",
        r.stderr
    );
    assert!(lines[at + 4].contains("dataroom check") && lines[at + 4].contains("--verbose"));
    assert_eq!(lines[at + 5], "0 error(s), 90 warning(s)", "{}", r.stderr);
    assert_eq!(
        at + 6,
        lines.len(),
        "nothing after the counts on stderr:\n{}",
        r.stderr
    );

    // The whole run fits a screenful or two, whatever the room's size: only
    // the kinds grow with the room (at most one line each).
    let total = r.stdout.lines().count() + lines.len();
    assert!(total <= 200, "{total} lines:\n{}", r.all());
    // Not a terminal: no progress bar (no carriage returns, no stage names).
    let stage = text(embedded(Language::En), "build_stage_seal");
    let stage_zh = text(embedded(Language::ZhCn), "build_stage_seal");
    assert!(
        !r.all().contains('\r') && !r.all().contains(stage) && !r.all().contains(stage_zh),
        "{}",
        r.all()
    );
}

#[test]
fn build_verbose_prints_every_warning_in_full() {
    let room = room_with_warnings();
    let tmp = tempfile::tempdir().expect("tmp");
    let key = test_key(tmp.path());
    let r = build(room.path(), &tmp.path().join("out"), &key, &["--verbose"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(full_warnings(&r.stderr), WARNINGS, "{}", r.stderr);
    assert!(
        !r.stderr.contains(" × "),
        "no summary when all are shown:\n{}",
        r.stderr
    );
    assert!(
        r.stderr.ends_with("0 error(s), 90 warning(s)\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn check_prints_every_warning_in_full() {
    let room = room_with_warnings();
    let r = room.check(&[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(full_warnings(&r.stderr), WARNINGS, "{}", r.stderr);
    assert!(
        !r.stderr.contains(" × "),
        "no summary in check:\n{}",
        r.stderr
    );
    // and --format json holds every finding, as the build's summary promises
    let json = run(bin()
        .arg("check")
        .arg(room.path())
        .args(["--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(v["warnings"], WARNINGS);
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(WARNINGS));
}

#[test]
fn a_failed_build_still_shows_every_error_but_only_twenty_warnings() {
    let room = room_with_warnings();
    for i in 0..25 {
        room.write(
            &format!("clients/BAD-{i:02}.yaml"),
            format!("id: BAD-{i:02}\nname: 坏{i}\nkind: alien\n"),
        );
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let key = test_key(tmp.path());
    let r = build(room.path(), &tmp.path().join("out"), &key, &[]);
    assert_eq!(r.code, 1, "{}", r.all());
    let errors = r
        .stderr
        .lines()
        .filter(|l| l.contains("BAD-") && l.contains("]: "))
        .count();
    assert!(
        errors >= 25,
        "every error in full ({errors}):\n{}",
        r.stderr
    );
    assert_eq!(full_warnings(&r.stderr), 20, "{}", r.stderr);
    assert!(r.stderr.contains("60 × no-recent-service"), "{}", r.stderr);
}

#[test]
fn a_chinese_build_words_the_warnings_their_summary_and_the_counts_in_chinese() {
    let room = room_with_warnings();
    let tmp = tempfile::tempdir().expect("tmp");
    let key = test_key(tmp.path());
    let out = tmp.path().join("out");
    let r = build(room.path(), &out, &key, &["--lang", "zh-CN"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let zh = embedded(Language::ZhCn);
    let heading = fill(
        text(zh, "build_warnings_shown"),
        &[("shown", "20"), ("total", "90")],
    );
    assert!(r.stderr.contains(&heading), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "  60 × no-recent-service  {}\n",
            text(zh, "finding_no_recent_service")
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.ends_with("0 个错误，90 个警告\n"),
        "the counts in Chinese:\n{}",
        r.stderr
    );
    // the twenty warnings in full are Chinese too, not the English catalogue's
    let in_full: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("[no-recent-service]:"))
        .collect();
    assert!(!in_full.is_empty(), "{}", r.stderr);
    assert!(
        in_full.iter().all(|l| l.contains("客户 GEN-")),
        "{}",
        r.stderr
    );
    for english in ["has had no service", "warning(s)", "warnings are shown"] {
        assert!(!r.stderr.contains(english), "{english}:\n{}", r.stderr);
    }
}

/// Loading holds no client's text in memory (every record's text is ~160 MB
/// at 100,000 clients, issue 11): a warning's file is read again from the room
/// when the warning is printed, and only if it still holds what was loaded and
/// still lies inside the room; otherwise the warning prints without a snippet.
#[test]
fn check_holds_no_record_text_and_reads_a_snippet_again_when_it_is_printed() {
    use dataroom::room::diagnostic::Renderer;

    let room = room_with_warnings();
    let loaded = dataroom::check(room.path(), false);
    assert_eq!(loaded.diagnostics.warning_count(), WARNINGS);
    assert_eq!(loaded.sources.held(), 0, "no text held after loading");

    let strings = embedded(Language::En);
    let renderer = Renderer::new(false);
    let printed = |n: usize| {
        let d = &loaded.diagnostics.items[n];
        renderer.render(d, &loaded.sources, room.path(), strings)
    };
    // a snippet line of the miette renderer: `  7 │ services:`
    let snippet = |out: &str| out.lines().any(|l| l.contains(" │ "));
    let file_of = |n: usize| loaded.diagnostics.items[n].file.display().to_string();

    let first = printed(0);
    assert_eq!(file_of(0), "clients/GEN-0000.yaml");
    assert!(snippet(&first), "{first}");
    assert!(
        first
            .lines()
            .any(|l| l.contains(" │ ") && l.contains("{date: 2020-01-01")),
        "the service line, read again from the room: {first}"
    );
    assert_eq!(loaded.sources.held(), 1, "only the file read last");

    // changed since loading: its positions would point at the wrong text
    assert_eq!(file_of(1), "clients/GEN-0001.yaml");
    let path = room.path().join(file_of(1));
    let text = std::fs::read_to_string(&path).expect("read");
    room.write(&file_of(1), format!("# edited\n{text}"));
    let changed = printed(1);
    assert!(changed.contains("[no-recent-service]:"), "{changed}");
    assert!(!snippet(&changed), "{changed}");

    // the same text, but now through a link leading out of the room
    assert_eq!(file_of(2), "clients/GEN-0002.yaml");
    let outside = tempfile::tempdir().expect("temp dir");
    let copy = outside.path().join("GEN-0002.yaml");
    let path = room.path().join(file_of(2));
    std::fs::rename(&path, &copy).expect("move out");
    std::os::unix::fs::symlink(&copy, &path).expect("symlink");
    let linked = printed(2);
    assert!(linked.contains("[no-recent-service]:"), "{linked}");
    assert!(!snippet(&linked), "{linked}");

    // gone
    std::fs::remove_file(room.path().join(file_of(3))).expect("remove");
    let gone = printed(3);
    assert!(gone.contains("[no-recent-service]:"), "{gone}");
    assert!(!snippet(&gone), "{gone}");
}
