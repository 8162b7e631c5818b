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
    // The fix's label too is the catalogue's, not miette's English `help:`.
    assert!(r.stderr.contains("  提示："), "{}", r.stderr);
    assert!(!r.stderr.contains("help:"), "{}", r.stderr);
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
        for command in SUBCOMMANDS {
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

/// `restore --password-file` takes a plain file (the buyer's one password);
/// only `build`'s names an audience (`AUDIENCE=FILE`). Each help says its own.
#[test]
fn each_commands_password_file_is_named_as_it_is_read() {
    for (lang, build, restore) in [
        (
            "en",
            "--password-file <[AUDIENCE=]FILE>",
            "--password-file <FILE>",
        ),
        (
            "zh-CN",
            "--password-file <[受众=]文件>",
            "--password-file <文件>",
        ),
    ] {
        let b = run(bin_in_locale(&[]).args(["--lang", lang, "build", "--help"]));
        assert!(b.stdout.contains(build), "{lang} build:\n{}", b.stdout);
        let r = run(bin_in_locale(&[]).args(["--lang", lang, "restore", "--help"]));
        assert!(r.stdout.contains(restore), "{lang} restore:\n{}", r.stdout);
        assert!(
            !r.stdout.contains("AUDIENCE") && !r.stdout.contains("受众="),
            "{lang} restore:\n{}",
            r.stdout
        );
    }
}

/// A broken override template in a Chinese room is explained in Chinese, at
/// the name tera complains about; tera's own English stays out.
#[test]
fn theme_template_errors_are_worded_in_the_rooms_language() {
    let cases = [
        ("<p>\n  {% if %}\n</p>\n", "此处的模板语法有误", "2:9"),
        (
            "<p>{{ no_such_value }}</p>\n",
            "本页面没有名为 `no_such_value` 的值",
            "1:7",
        ),
        (
            "<p>{{ t.home | nofilter }}</p>\n",
            "没有名为 `nofilter` 的过滤器",
            "1:16",
        ),
        (
            "{% include \"nope.html\" %}\n",
            "模板 `nope.html` 不存在",
            "1:13",
        ),
        ("{{ nofn() }}\n", "没有名为 `nofn` 的函数", "1:4"),
    ];
    for (template, expected, line_column) in cases {
        let room = Room::valid();
        room.write("theme/templates/home.html", template);
        let r = check_in(&room, &mut bin_in_locale(&[]));
        assert_eq!(r.code, 1, "{template}: {}", r.all());
        let line = r
            .stderr
            .lines()
            .find(|l| l.contains("[theme-error]"))
            .unwrap_or_else(|| panic!("{template}: no theme error in\n{}", r.stderr));
        assert!(line.contains(expected), "{template}: {line}");
        assert!(
            line.contains(&format!("home.html:{line_column} ")),
            "{template}: {line}"
        );
        for english in ["Failed to", "not found", "Variable", "expected"] {
            assert!(!r.stderr.contains(english), "{template}: {}", r.stderr);
        }
    }
}

/// How many terminal columns `text` takes: Chinese characters and full-width
/// forms take two (what a seller's terminal shows), everything else one.
fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF => 2,
            0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// In a Chinese `--help`, every option's description starts in the same
/// terminal column, however many Chinese characters its value name has
/// (clap counted characters, so `<输出文件夹>` pushed its text 5 columns left).
#[test]
fn chinese_help_columns_line_up_on_the_terminal() {
    for command in ["build", "import", "restore", "serve"] {
        let r = run(bin_in_locale(&[]).args(["--lang", "zh-CN", command, "--help"]));
        assert_eq!(r.code, 0, "{command}: {}", r.all());
        let columns: std::collections::BTreeSet<usize> = r
            .stdout
            .lines()
            .filter(|l| l.trim_start().starts_with('-'))
            .filter_map(|l| {
                // The flag and its value name, then a gap of two or more spaces.
                let flag_start = l.len() - l.trim_start().len();
                let gap = l[flag_start..].find("  ")? + flag_start;
                let text_start = gap + l[gap..].len() - l[gap..].trim_start().len();
                Some(display_width(&l[..text_start]))
            })
            .collect();
        assert_eq!(columns.len(), 1, "{command}:\n{}", r.stdout);
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

/// Every word of three or more ASCII letters a Chinese seller may still see:
/// the names of commands, flags, environment variables, files and formats
/// (what they type or look for), and the values of the test rooms. Anything
/// else in a Chinese run is English that should come from the catalogue.
const ALLOWED: &[&str] = &[
    // commands (and every name in SUBCOMMANDS) and flags
    "dataroom",
    "help",
    "version",
    "lang",
    "strict",
    "format",
    "human",
    "json",
    "out",
    "only",
    "training",
    "password",
    "file",
    "allow",
    "weak",
    "sign",
    "key",
    "kdf",
    "iterations",
    "timings",
    "verbose",
    "into",
    "map",
    "sheet",
    "update",
    "port",
    "pubkey",
    "compare",
    // environment variables
    "DATAROOM",
    "LANG",
    "PASSWORD",
    "SIGN",
    "KEY",
    "COLOR",
    "AUDIENCE",
    // files, folders, formats and products named in the texts
    "yaml",
    "YAML",
    "json",
    "JSON",
    "csv",
    "CSV",
    "xlsx",
    "xls",
    "ods",
    "Excel",
    "UTF",
    "GBK",
    "html",
    "HTML",
    "index",
    "site",
    "zip",
    "minisign",
    "pub",
    "PBKDF",
    "SHA",
    "sha",
    "SUMS",
    "pdf",
    "data",
    "header",
    "http",
    "Ctrl",
    "Sheet",
    "audiences",
    "Markdown",
    "Tab",
    "BOM",
    "clients",
    "training",
    "attachments",
    "policies",
    "checklists",
    "tmp",
    "lock",
    "minisig",
    // the signed comment verify shows as it is (`dataroom files=12 built=…`)
    "files",
    "built",
    "archive",
    // what this test typed (`--bogus`, `--format xml`) and its file names
    "bogus",
    "xml",
    "such",
    "room",
    "txt",
    "tampered",
];

/// The words of `text` (runs of ≥3 ASCII letters) that are not allowed in a
/// Chinese run, after taking out the paths the test passed.
fn english_words(text: &str, paths: &[&std::path::Path]) -> Vec<String> {
    let mut text = text.to_string();
    for path in paths {
        text = text.replace(&path.display().to_string(), " ");
    }
    // Diagnostic codes (`[room-not-found]`) are stable kinds, like rustc's E0599.
    let mut uncoded = String::new();
    let mut rest = text.as_str();
    while let Some((before, after)) = rest.split_once('[') {
        uncoded.push_str(before);
        rest = match after.split_once(']') {
            Some((code, tail)) if code.chars().all(|c| c.is_ascii_lowercase() || c == '-') => tail,
            _ => after,
        };
    }
    uncoded.push_str(rest);
    let text = uncoded;
    // Key ids and fingerprints are hex: values, not words.
    let hex = |w: &str| w.chars().all(|c| c.is_ascii_hexdigit());
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 3 && !ALLOWED.contains(w) && !SUBCOMMANDS.contains(w) && !hex(w))
        .map(str::to_string)
        .collect()
}

/// The pinned Chinese sheet and column names `import` reads, which its
/// English help names as they are (values, not words to translate).
const PINNED_HEADINGS: &[&str] = &[
    "统一社会信用代码",
    "客户编号",
    "客户名称",
    "客户类型",
    "联系电话",
    "电子邮箱",
    "身份证号",
    "是否同意",
    "同意日期",
    "服务记录",
    "服务日期",
    "服务项目",
    "服务人员",
    "合同编号",
    "签订日期",
    "开始日期",
    "结束日期",
    "付款记录",
    "付款日期",
    "付款方式",
    "发票号",
    "地址",
    "标签",
    "备注",
    "合同",
    "金额",
    "客户",
    "手机",
    // the Chinese names the English help quotes for the seller's terms
    "资料移交数据室",
    "归档与销毁",
    "恢复演练",
];

fn has_han(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// What the language runs need: a Chinese and an English room, each built
/// once (for verify and restore), and a signing key.
struct Fixtures {
    tmp: tempfile::TempDir,
    key: std::path::PathBuf,
    zh: Room,
    en: Room,
}

impl Fixtures {
    fn new() -> Fixtures {
        let tmp = tempfile::tempdir().expect("tmp");
        let key = test_key(tmp.path());
        let zh = Room::valid();
        let en = Room::valid();
        en.write(
            "dataroom.yaml",
            SETTINGS.replace("language: zh-CN", "language: en"),
        );
        for (room, name) in [(&zh, "zh"), (&en, "en")] {
            let r = build(room.path(), &tmp.path().join(name), &key, &[]);
            assert_eq!(r.code, 0, "{}", r.all());
        }
        Fixtures { tmp, key, zh, en }
    }

    fn room(&self, lang: &str) -> &Room {
        if lang == "zh" {
            &self.zh
        } else {
            &self.en
        }
    }
}

/// A labelled invocation and what it printed.
struct Invocation {
    label: String,
    run: Run,
}

/// Every subcommand of `dataroom`.
const SUBCOMMANDS: [&str; 9] = [
    "check",
    "build",
    "retention",
    "import",
    "serve",
    "init",
    "keygen",
    "verify",
    "restore",
];

/// Every subcommand's `--help`, the top-level help and `help COMMAND`.
fn help_runs(env: &[(&str, &str)]) -> Vec<Invocation> {
    let mut args: Vec<Vec<&str>> = vec![vec!["--help"], vec!["-h"], vec!["help"]];
    for command in SUBCOMMANDS {
        args.push(vec![command, "--help"]);
        args.push(vec![command, "-h"]);
        args.push(vec!["help", command]);
    }
    args.into_iter()
        .map(|a| Invocation {
            label: a.join(" "),
            run: run(bin_in_locale(env).args(&a)),
        })
        .collect()
}

/// Usage mistakes, which happen before any room is read (the locale decides).
fn usage_runs(env: &[(&str, &str)]) -> Vec<Invocation> {
    [
        vec!["check", "--bogus", "."],
        vec!["check"],
        vec!["--lang", "fr", "check", "x"],
        vec!["bogus"],
        vec!["serve", ".", "--port", "abc"],
        vec!["build", "."],
        vec!["retention", ".", "--format", "xml"],
    ]
    .into_iter()
    .map(|a| {
        let run = run(bin_in_locale(env).args(&a));
        assert_eq!(run.code, 2, "{a:?}: {}", run.all());
        Invocation {
            label: a.join(" "),
            run,
        }
    })
    .collect()
}

/// Commands given a room that does not exist (the locale decides).
fn missing_room_runs(env: &[(&str, &str)], f: &Fixtures) -> Vec<Invocation> {
    let missing = f.tmp.path().join("no-such-room");
    ["check", "serve", "retention"]
        .into_iter()
        .map(|command| {
            let run = run(bin_in_locale(env).arg(command).arg(&missing));
            assert_eq!(run.code, 1, "{command}: {}", run.all());
            Invocation {
                label: format!("{command} of a missing room"),
                run,
            }
        })
        .collect()
}

/// Mistakes that concern a room (`lang`: which fixture room), each failing.
fn room_runs(env: &[(&str, &str)], f: &Fixtures, lang: &str) -> Vec<Invocation> {
    let room = f.room(lang).path();
    let tmp = f.tmp.path();
    let out = tmp.join(format!("out-{lang}-{}", env.len()));
    let built = tmp.join(lang);
    let mut runs = Vec::new();
    let mut add = |label: &str, cmd: &mut std::process::Command| {
        let r = run(cmd);
        assert_ne!(r.code, 0, "{label}: {}", r.all());
        runs.push(Invocation {
            label: label.to_string(),
            run: r,
        });
    };
    let build = |extra: &[&str]| {
        let mut cmd = bin_in_locale(env);
        cmd.arg("build")
            .arg(room)
            .arg("--out")
            .arg(&out)
            .arg("--sign-key")
            .arg(&f.key)
            .args(extra);
        cmd
    };
    let no_file = tmp.join("no-such-password.txt");
    add(
        "wrong password file",
        &mut build(&["--password-file", &no_file.display().to_string()]),
    );
    add(
        "weak password",
        build(&[]).env("DATAROOM_PASSWORD", "abc123"),
    );
    // Locked output: another build holds `.NAME.lock` beside it.
    let lock_path = tmp.join(format!(
        ".{}.lock",
        out.file_name().expect("name").to_string_lossy()
    ));
    let lock = std::fs::File::create(&lock_path).expect("lock file");
    lock.lock().expect("lock");
    add(
        "locked output",
        build(&[]).env("DATAROOM_PASSWORD", PASSWORD),
    );
    drop(lock);
    // Port in use: this test holds it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port().to_string();
    add(
        "port in use",
        bin_in_locale(env)
            .arg("serve")
            .arg(room)
            .args(["--port", &port]),
    );
    drop(listener);
    add(
        "import missing file",
        bin_in_locale(env)
            .arg("import")
            .arg(tmp.join("no-such-clients.xlsx"))
            .arg("--into")
            .arg(room),
    );
    // A tampered zip: one byte of a stored payload changed.
    let zip = zip_in(&built);
    let tampered = tmp.join(format!("tampered-{lang}-{}.zip", env.len()));
    let mut bytes = std::fs::read(&zip).expect("zip");
    let at = bytes.len() / 2;
    bytes[at] ^= 0x55;
    std::fs::write(&tampered, bytes).expect("write");
    add(
        "verify tampered zip",
        bin_in_locale(env).arg("verify").arg(&tampered),
    );
    add(
        "restore wrong password",
        bin_in_locale(env)
            .arg("restore")
            .arg(&built)
            .arg("--out")
            .arg(tmp.join(format!("restored-{lang}-{}", env.len())))
            .env("DATAROOM_PASSWORD", "not the password at all"),
    );
    // `restore --compare` against a source changed every way it reports:
    // a field, a new client, a deleted document, a changed attachment.
    let changed = tmp.join(format!("changed-{lang}-{}", env.len()));
    copy_dir(room, &changed);
    let client = changed.join("clients/HX-1.yaml");
    let text = std::fs::read_to_string(&client).expect("client");
    std::fs::write(&client, text.replace("钥匙在物业", "钥匙在前台")).expect("write");
    std::fs::write(
        changed.join("clients/HX-2.yaml"),
        text.replace("id: HX-1", "id: HX-2")
            .replace("13812345678", "13912345678")
            .replace("zhangwei@", "lina@"),
    )
    .expect("write");
    std::fs::remove_file(changed.join("checklists/a.md")).expect("rm");
    std::fs::write(changed.join("attachments/c1.pdf"), "%PDF-1.4 changed\n").expect("write");
    add(
        "restore compare with differences",
        bin_in_locale(env)
            .arg("restore")
            .arg(&built)
            .arg("--out")
            .arg(tmp.join(format!("out-compare-{lang}-{}", env.len())))
            .arg("--compare")
            .arg(&changed)
            .env("DATAROOM_PASSWORD", PASSWORD),
    );
    runs
}

/// A Chinese seller sees no English except names, paths and values: every
/// help, every usage mistake, every failure of a room-bound command, under a
/// Chinese locale and (for the room-bound ones) under a Chinese room in an
/// English locale. Under `LANG=C` with an English room, all of it is English.
#[test]
fn a_chinese_seller_sees_no_english_and_an_english_one_no_chinese() {
    let f = Fixtures::new();
    let tmp = f.tmp.path().to_path_buf();
    let paths = [tmp.as_path(), f.zh.path(), f.en.path()];
    let zh_locale = [("LANG", "zh_CN.UTF-8")];
    let c_locale = [("LANG", "C")];
    let mut chinese: Vec<Invocation> = help_runs(&zh_locale);
    chinese.extend(usage_runs(&zh_locale));
    chinese.extend(missing_room_runs(&zh_locale, &f));
    chinese.extend(room_runs(&zh_locale, &f, "zh"));
    chinese.extend(room_runs(&c_locale, &f, "zh"));
    let mut leaks = Vec::new();
    for Invocation { label, run } in &chinese {
        let all = run.all();
        assert!(has_han(&all), "{label}: nothing Chinese in\n{all}");
        let words = english_words(&all, &paths);
        if !words.is_empty() {
            leaks.push(format!("{label}: {words:?}\n{all}"));
        }
    }
    assert!(
        leaks.is_empty(),
        "English in a Chinese run:\n{}",
        leaks.join("\n---\n")
    );

    let mut english = help_runs(&c_locale);
    english.extend(usage_runs(&c_locale));
    english.extend(missing_room_runs(&c_locale, &f));
    english.extend(room_runs(&c_locale, &f, "en"));
    for Invocation { label, run } in &english {
        let mut all = run.all();
        for path in paths {
            all = all.replace(&path.display().to_string(), " ");
        }
        for heading in PINNED_HEADINGS {
            all = all.replace(heading, " ");
        }
        // The room's own values, quoted in compare's lines, are Chinese.
        for value in ["\"钥匙在物业\"", "\"钥匙在前台\""] {
            all = all.replace(value, " ");
        }
        assert!(!has_han(&all), "{label}: Chinese in an English run:\n{all}");
        assert!(
            all.split(|c: char| !c.is_ascii_alphabetic())
                .any(|w| w.len() >= 3),
            "{label}: says nothing:\n{all}"
        );
    }
}

/// The sealed shell carries the browser's strings only: none of the command
/// line's (import's example phone number, serve's, the diagnostics', --help's,
/// the errors').
#[test]
fn the_sealed_shell_leaves_the_command_lines_texts_out() {
    let tmp = tempfile::tempdir().expect("tmp");
    let key = test_key(tmp.path());
    let room = Room::valid();
    let out = tmp.path().join("out");
    let r = build(room.path(), &out, &key, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    let shell = std::fs::read_to_string(out.join("site/index.html")).expect("shell");
    let json = shell
        .split_once("id=\"dataroom-i18n\"")
        .and_then(|(_, rest)| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split_once("</script>"))
        .map(|(json, _)| json)
        .expect("the shell's catalogue");
    let strings: std::collections::BTreeMap<String, String> =
        serde_json::from_str(json).expect("catalogue JSON");
    assert!(strings.contains_key("password_required"), "{json}");
    for prefix in [
        "import_", "serve_", "diag_", "help_", "cli_", "build_", "err_", "io_",
    ] {
        let found: Vec<&String> = strings.keys().filter(|k| k.starts_with(prefix)).collect();
        assert!(found.is_empty(), "{prefix}: {found:?}");
    }
    // import's example phone (the room's client has it too, but only encrypted).
    assert!(!shell.contains("13812345678"), "{shell}");
}
