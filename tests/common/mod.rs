//! Helpers for the integration tests: fixture rooms in temporary folders and the
//! real `dataroom` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const PASSWORD: &str = "橙子-跑步-晴天-蓝色海豚";

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dataroom"));
    // The tests read English output unless they ask for another language
    // (`bin_in_locale`); the rooms they build are zh-CN.
    c.env("NO_COLOR", "1")
        .env("DATAROOM_LANG", "en")
        .env_remove("DATAROOM_PASSWORD")
        .env_remove("DATAROOM_SIGN_KEY");
    c
}

/// `dataroom restore FROM --out TO` with `password` (add `--compare` and
/// other arguments to the command it returns).
pub fn restore_command(from: &Path, to: &Path, password: &str) -> Command {
    let mut c = bin();
    c.arg("restore")
        .arg(from)
        .arg("--out")
        .arg(to)
        .env("DATAROOM_PASSWORD", password);
    c
}

/// The binary as a user with this environment runs it: no `DATAROOM_LANG`,
/// only the given locale variables.
pub fn bin_in_locale(vars: &[(&str, &str)]) -> Command {
    let mut c = bin();
    c.env_remove("DATAROOM_LANG");
    for name in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        c.env_remove(name);
    }
    for (name, value) in vars {
        c.env(name, value);
    }
    c
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

pub fn run(cmd: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("the dataroom binary runs");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

pub const SETTINGS: &str = "title: 测试保洁公司 客户资料移交\npublic_title: 数据室\nlanguage: zh-CN\nseller: {name: 测试保洁有限公司, contact: 王经理}\nbuyer: {name: 测试物业有限公司, contact: 李经理}\nhandover_date: 2026-12-15\n";

pub const CLIENT: &str = "id: HX-1\nname: 张伟\nkind: individual\ncontact: {phone: \"13812345678\", email: \"zhangwei@example.com\", address: \"上海市徐汇区测试路1号\"}\nid_number: \"11010519491231002X\"\nconsent: {given: true, date: 2024-03-01}\nservices:\n  - {date: 2026-10-01, type: 日常保洁, staff: 李娜, notes: \"钥匙在物业\"}\ncontracts:\n  - {id: C-1, signed: 2026-01-01, start: 2026-01-02, end: 2027-01-01, amount: 1200.50, file: attachments/c1.pdf}\npayments:\n  - {date: 2026-02-01, amount: 600.25, method: 银行转账}\n";

/// A temporary room: a valid base that each test then breaks in one way.
pub struct Room {
    pub dir: tempfile::TempDir,
}

impl Room {
    pub fn valid() -> Room {
        let room = Room::empty();
        room.write("dataroom.yaml", SETTINGS);
        room.write("clients/HX-1.yaml", CLIENT);
        room.write("attachments/c1.pdf", "%PDF-1.4 test contract\n");
        room.write(
            "policies/nda.md",
            "---\ntitle: 保密协议\n---\n\n# 保密\n\n保密条款正文。\n",
        );
        room.write(
            "checklists/a.md",
            "---\ntitle: 移交清单\n---\n\n- [x] 一\n- [ ] 二\n",
        );
        room.write(
            "training/01.md",
            "---\ntitle: 基础课\norder: 1\nduration: 15\naudience: 新员工\npass_mark: 80\n---\n\n课程正文。\n\n```quiz\nquestion: 如何存储？\nchoices: [明文, 加密]\nanswer: 1\n```\n",
        );
        room
    }

    pub fn empty() -> Room {
        Room {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, content).expect("write");
        p
    }

    pub fn check(&self, extra: &[&str]) -> Run {
        run(bin().arg("check").arg(self.path()).args(extra))
    }
}

/// A signing key for tests, outside any room.
/// The archive a build wrote into `out` (its name carries the date).
pub fn zip_in(out: &Path) -> PathBuf {
    std::fs::read_dir(out)
        .expect("out")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "zip"))
        .expect("a zip")
}

pub fn test_key(dir: &Path) -> PathBuf {
    let key = dir.join("test.key");
    if !key.exists() {
        let r = run(bin().arg("keygen").arg("--out").arg(&key));
        assert_eq!(r.code, 0, "keygen failed: {}", r.all());
    }
    key
}

pub fn build(room: &Path, out: &Path, key: &Path, extra: &[&str]) -> Run {
    build_with_password(room, out, key, extra, Some(PASSWORD))
}

/// `dataroom build` with DATAROOM_PASSWORD set to `password`, or unset.
pub fn build_with_password(
    room: &Path,
    out: &Path,
    key: &Path,
    extra: &[&str],
    password: Option<&str>,
) -> Run {
    let mut cmd = bin();
    cmd.arg("build")
        .arg(room)
        .arg("--out")
        .arg(out)
        .arg("--sign-key")
        .arg(key)
        .args(extra);
    if let Some(pw) = password {
        cmd.env("DATAROOM_PASSWORD", pw);
    }
    run(&mut cmd)
}

/// The example room the README builds (`example-dataroom`): two audiences
/// (`management` sees everything, `service-staff` a masked part) and an NDA.
pub fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("example-dataroom")
}

/// The example's `management` password (sees everything): the same as
/// [`PASSWORD`], so a test restores the whole example with it.
pub const MANAGEMENT_PASSWORD: &str = PASSWORD;
/// The example's `service-staff` password (no contracts, payments, handover
/// or exports; phones, addresses and id numbers masked).
pub const STAFF_PASSWORD: &str = "葡萄-游泳-雪山-绿色鲸鱼";

/// `cmd` with the example's two audience passwords in its environment
/// (`DATAROOM_PASSWORD_MANAGEMENT`, `DATAROOM_PASSWORD_SERVICE_STAFF`).
pub fn with_example_passwords(cmd: &mut Command) -> &mut Command {
    cmd.env("DATAROOM_PASSWORD_MANAGEMENT", MANAGEMENT_PASSWORD)
        .env("DATAROOM_PASSWORD_SERVICE_STAFF", STAFF_PASSWORD)
}

/// `dataroom build` of `room` (the example or a copy of it, with its
/// audiences) with both audience passwords.
pub fn build_example(room: &Path, out: &Path, key: &Path, extra: &[&str]) -> Run {
    run(with_example_passwords(
        bin()
            .arg("build")
            .arg(room)
            .arg("--out")
            .arg(out)
            .arg("--sign-key")
            .arg(key)
            .args(extra),
    ))
}

/// A copy of the example room as it was before it had audiences: its
/// `audiences:`, `nda:` and `watermark:` removed, so one `DATAROOM_PASSWORD`
/// opens everything. For tests about something else than audiences.
pub fn example_without_audiences() -> Room {
    let room = example_copy();
    let settings = room.path().join("dataroom.yaml");
    let text = std::fs::read_to_string(&settings).expect("dataroom.yaml");
    std::fs::write(&settings, without_audiences::settings(&text)).expect("write dataroom.yaml");
    room
}

/// A copy of the example room, audiences and all, to change in a test.
pub fn example_copy() -> Room {
    let room = Room::empty();
    copy_dir(&example(), room.path());
    room
}

/// Copies every file under `from` to the same place under `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).into_iter().flatten() {
        let rel = entry.path().strip_prefix(from).expect("inside");
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}

mod without_audiences;
