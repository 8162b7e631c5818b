//! The command line speaks the seller's language (issue 12): `--lang`, the
//! room's `language`, the locale; `--help` from the catalogue; every mistake
//! of a file in one run; specific help for the slips of a Chinese keyboard.
//! After an intended change of wording:
//! `UPDATE_SNAPSHOTS=1 cargo test --test cli_language`.

mod common;
use common::*;

/// A client file with five mistakes, and one with a full-width colon.
const MISTAKES: &str = "id: HX-1\n\
名称: 张伟\n\
contact: {phonee: \"13812345678\"}\n\
tags: 长期客户\n\
contracts:\n  - {id: C-1, start: 2026-02-30, amount: 12.345}\n";

fn mistaken_room(language: &str) -> Room {
    let room = Room::valid();
    room.write(
        "dataroom.yaml",
        SETTINGS.replace("language: zh-CN", &format!("language: {language}")),
    );
    room.write("clients/HX-1.yaml", MISTAKES);
    room.write("clients/HX-2.yaml", "id: HX-2\nname：王五\n");
    // A data-quality warning: worded from the catalogue too.
    room.write(
        "clients/HX-3.yaml",
        CLIENT
            .replace("HX-1", "HX-3")
            .replace("13812345678", "12345")
            .replace("zhangwei@", "hx3@"),
    );
    room
}

/// `dataroom check .` run inside the room, so the paths shown are relative.
fn check_in(room: &Room, cmd: &mut std::process::Command) -> Run {
    run(cmd.current_dir(room.path()).arg("check").arg("."))
}

fn assert_snapshot(name: &str, actual: &str) {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/check")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        std::fs::write(&file, actual).expect("write snapshot");
        return;
    }
    let expected =
        std::fs::read_to_string(&file).unwrap_or_else(|_| panic!("no snapshot {}", file.display()));
    assert_eq!(
        actual,
        expected,
        "check output differs from {}",
        file.display()
    );
}

#[test]
fn check_output_in_chinese_matches_its_snapshot() {
    let room = mistaken_room("zh-CN");
    let r = check_in(&room, &mut bin_in_locale(&[]));
    assert_eq!(r.code, 1, "{}", r.all());
    assert_snapshot("zh-CN.txt", &r.stderr);
    assert!(r.stderr.contains("个错误"), "{}", r.stderr);
}

#[test]
fn check_output_in_english_matches_its_snapshot() {
    let room = mistaken_room("en");
    let r = check_in(&room, &mut bin_in_locale(&[]));
    assert_eq!(r.code, 1, "{}", r.all());
    assert_snapshot("en.txt", &r.stderr);
    assert!(r.stderr.contains("error(s)"), "{}", r.stderr);
}

#[test]
fn every_mistake_of_a_file_is_reported_in_one_run() {
    let room = mistaken_room("en");
    let r = check_in(&room, &mut bin_in_locale(&[]));
    for (at, code) in [
        ("clients/HX-1.yaml:1:1 [missing-field]", "name"),
        ("clients/HX-1.yaml:2:1 [unknown-field]", "名称"),
        ("clients/HX-1.yaml:3:11 [unknown-field]", "phonee"),
        ("clients/HX-1.yaml:4:7 [wrong-type]", "tags"),
        ("clients/HX-1.yaml:6:22 [invalid-date]", "2026-02-30"),
        ("clients/HX-1.yaml:6:42 [invalid-amount]", "12.345"),
    ] {
        let line = r
            .stderr
            .lines()
            .find(|l| l.contains(at))
            .unwrap_or_else(|| panic!("no `{at}` in:\n{}", r.stderr));
        assert!(line.contains(code), "{line}");
    }
    assert!(
        r.stderr.contains("7 error(s), 1 warning(s)"),
        "{}",
        r.stderr
    );
}

#[test]
fn lang_flag_beats_the_room_and_the_locale() {
    let zh_room = mistaken_room("zh-CN");
    let r = check_in(&zh_room, bin_in_locale(&[]).args(["--lang", "en"]));
    assert!(r.stderr.contains("unknown field `phonee`"), "{}", r.stderr);
    assert!(!r.stderr.contains("未知的字段"), "{}", r.stderr);

    let en_room = mistaken_room("en");
    let mut cmd = bin_in_locale(&[("LANG", "en_US.UTF-8")]);
    let r = run(cmd
        .current_dir(en_room.path())
        .args(["check", ".", "--lang=zh-CN"]));
    assert!(r.stderr.contains("未知的字段 `phonee`"), "{}", r.stderr);
    assert!(r.stderr.contains("7 个错误，1 个警告"), "{}", r.stderr);

    let r = check_in(&en_room, bin_in_locale(&[]).env("DATAROOM_LANG", "zh-CN"));
    assert!(r.stderr.contains("7 个错误"), "{}", r.stderr);
}

#[test]
fn the_room_language_beats_the_locale() {
    let zh_room = mistaken_room("zh-CN");
    let r = check_in(&zh_room, &mut bin_in_locale(&[("LANG", "en_US.UTF-8")]));
    assert!(r.stderr.contains("7 个错误"), "{}", r.stderr);
    let en_room = mistaken_room("en");
    let r = check_in(&en_room, &mut bin_in_locale(&[("LANG", "zh_CN.UTF-8")]));
    assert!(r.stderr.contains("7 error(s)"), "{}", r.stderr);
}

#[test]
fn without_a_room_the_locale_decides() {
    let missing = tempfile::tempdir().expect("tmp");
    let nowhere = missing.path().join("没有这个文件夹");
    for (vars, expected) in [
        (vec![("LANG", "zh_CN.UTF-8")], "数据室文件夹"),
        (
            vec![("LC_ALL", "zh_CN.UTF-8"), ("LANG", "C")],
            "数据室文件夹",
        ),
        (vec![("LANG", "en_US.UTF-8")], "the room folder"),
        (vec![], "the room folder"),
    ] {
        let r = run(bin_in_locale(&vars).arg("check").arg(&nowhere));
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(r.stderr.contains(expected), "{vars:?}: {}", r.stderr);
    }
}

#[test]
fn help_is_chinese_in_a_chinese_locale() {
    let r = run(bin_in_locale(&[("LANG", "zh_CN.UTF-8")]).arg("--help"));
    assert_eq!(r.code, 0, "{}", r.all());
    for expected in ["用法：", "命令", "检查数据室中的错误", "显示帮助"] {
        assert!(r.stdout.contains(expected), "{expected}:\n{}", r.stdout);
    }
    assert!(!r.stdout.contains("Usage:"), "{}", r.stdout);
    let r = run(bin_in_locale(&[]).args(["build", "--help", "--lang", "zh-CN"]));
    assert!(r.stdout.contains("把数据质量警告当作错误"), "{}", r.stdout);
    let r = run(bin_in_locale(&[("LANG", "en_GB.UTF-8")]).arg("--help"));
    assert!(r.stdout.contains("Usage: dataroom"), "{}", r.stdout);
}

/// Every command's and argument's help text is in the catalogue: no key is
/// shown as itself, in either language.
#[test]
fn every_help_text_is_worded_in_both_languages() {
    for lang in ["zh-CN", "en"] {
        let r = run(bin_in_locale(&[]).args(["--lang", lang, "help", "build"]));
        assert_eq!(r.code, 0, "{lang}: {}", r.all());
        assert!(!r.stdout.contains("help_"), "{lang}:\n{}", r.stdout);
        for command in [
            "check",
            "build",
            "retention",
            "import",
            "init",
            "keygen",
            "verify",
            "restore",
        ] {
            let r = run(bin_in_locale(&[]).args(["--lang", lang, command, "--help"]));
            assert_eq!(r.code, 0, "{lang} {command}: {}", r.all());
            assert!(
                !r.stdout.contains("help_"),
                "{lang} {command}:\n{}",
                r.stdout
            );
        }
    }
}

/// One record file with `content`, checked in Chinese: the one diagnostic
/// line of `code`, which must name `line:column`.
fn slip(content: impl AsRef<[u8]>, code: &str, line_column: &str) -> String {
    let room = Room::valid();
    room.write("clients/HX-1.yaml", content);
    let r = check_in(&room, &mut bin_in_locale(&[]));
    assert_eq!(r.code, 1, "{}", r.all());
    let at = format!("./clients/HX-1.yaml:{line_column} [{code}]");
    let found = r.stderr.lines().position(|l| l.contains(&at));
    let Some(i) = found else {
        panic!("no `{at}` in:\n{}", r.stderr)
    };
    // The message and, a few lines below it, the help.
    r.stderr
        .lines()
        .skip(i)
        .take(8)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_full_width_colon_gets_its_own_help() {
    let text = CLIENT.replace("name: 张伟", "name：张伟");
    let out = slip(text, "fullwidth-colon", "2:5");
    assert!(out.contains("全角冒号"), "{out}");
    assert!(out.contains("英文冒号"), "{out}");
    // In a flow mapping the colon makes the key unknown: same help.
    let text = CLIENT.replace("{phone: ", "{phone：");
    let out = slip(text, "fullwidth-colon", "4:16");
    assert!(out.contains("全角冒号"), "{out}");
}

#[test]
fn a_full_width_comma_gets_its_own_help() {
    let out = slip(
        format!("{CLIENT}tags: [长期客户，VIP]\n"),
        "fullwidth-comma",
        "13:8",
    );
    assert!(out.contains("全角逗号"), "{out}");
}

#[test]
fn curly_quotes_get_their_own_help() {
    let text = CLIENT.replace("name: 张伟", "name: “张伟”");
    let out = slip(text, "curly-quotes", "2:7");
    assert!(out.contains("弯引号"), "{out}");
}

#[test]
fn a_tab_in_the_indentation_gets_its_own_help() {
    let text = CLIENT.replace("  - {date: 2026-10-01", "\t- {date: 2026-10-01");
    let out = slip(text, "tab-indent", "8:1");
    assert!(out.contains("Tab"), "{out}");
}

#[test]
fn a_byte_order_mark_gets_its_own_help() {
    // Notepad's "Unicode": UTF-16 with its byte-order mark.
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(CLIENT.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let out = slip(utf16, "invalid-utf8", "1:1");
    assert!(out.contains("UTF-16"), "{out}");
    // Two files pasted together: the second one's BOM is in the middle.
    let pasted = "\u{feff}id: HX-1\n\u{feff}name: 张伟\n";
    let out = slip(pasted, "bom", "2:1");
    assert!(out.contains("BOM"), "{out}");
    // One BOM at the start (Notepad's UTF-8) is fine.
    let room = Room::valid();
    room.write("clients/HX-1.yaml", format!("\u{feff}{CLIENT}"));
    assert_eq!(room.check(&[]).code, 0);
}

#[test]
fn a_key_written_in_chinese_gets_the_english_key() {
    let text = CLIENT.replace("name: 张伟", "名称: 张伟");
    let out = slip(text, "unknown-field", "2:1");
    assert!(out.contains("`名称`"), "{out}");
    assert!(out.contains("`name:`"), "{out}");
    let text = CLIENT.replace("services:", "服务记录:");
    let out = slip(text, "unknown-field", "7:1");
    assert!(out.contains("`services:`"), "{out}");
}
