//! What the buyer runs on a built room — verify, restore, restore --compare —
//! and the public training site: each says plainly what it found.

mod common;
use common::*;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// A 1×1 PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

fn png() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(PNG)
        .expect("png")
}

struct Built {
    room: Room,
    tmp: tempfile::TempDir,
    out: PathBuf,
    key: PathBuf,
}

/// The small valid room with an image in a policy and in a lesson, built.
fn built(settings: &str) -> Built {
    let room = Room::valid();
    room.write("dataroom.yaml", settings);
    room.write("attachments/scans/seal.png", png());
    room.write(
        "policies/nda.md",
        "---\ntitle: 保密协议\n---\n\n# 保密\n\n保密条款正文。\n\n![公章扫描件](attachments/scans/seal.png)\n",
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let key = test_key(tmp.path());
    let out = tmp.path().join("out");
    let r = build(room.path(), &out, &key, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    Built {
        room,
        tmp,
        out,
        key,
    }
}

fn restore(from: &Path, to: &Path, password: &str, compare: Option<&Path>) -> Run {
    let mut cmd = restore_command(from, to, password);
    if let Some(source) = compare {
        cmd.arg("--compare").arg(source);
    }
    run(&mut cmd)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn verify_with_another_key_names_both_keys() {
    let b = built(SETTINGS);
    let other = b.tmp.path().join("other.key");
    let r = run(bin().arg("keygen").arg("--out").arg(&other));
    assert_eq!(r.code, 0, "{}", r.all());
    let id_of = |text: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix("key id:"))
            .map(|id| id.trim().to_string())
            .expect("key id line")
    };
    let other_id = id_of(&r.stdout);
    let own_id = id_of(&run(bin().arg("verify").arg(&b.out)).stdout);
    assert_ne!(own_id, other_id);

    let r = run(bin()
        .arg("verify")
        .arg(&b.out)
        .arg("--pubkey")
        .arg(format!("{}.pub", other.display())));
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stdout.contains("different key"), "{}", r.stdout);
    assert!(
        r.stdout.contains(&format!("key id {own_id}")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!("key id {other_id}")),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("NOT OK: 0 changed, 0 missing, 0 extra"),
        "{}",
        r.stdout
    );
    // The right key still verifies.
    let r = run(bin()
        .arg("verify")
        .arg(&b.out)
        .arg("--pubkey")
        .arg(format!("{}.pub", b.key.display())));
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn restored_room_shows_the_manifest_hash_and_document_images() {
    let b = built(SETTINGS);
    let dir = b.tmp.path().join("restored");
    let r = restore(&b.out, &dir, PASSWORD, None);
    assert_eq!(r.code, 0, "{}", r.all());

    let sums = std::fs::read(b.out.join("site/SHA256SUMS")).expect("sums");
    let hash: String = Sha256::digest(&sums)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let confirmation = read(&dir.join("handover/confirmation.html"));
    assert!(
        confirmation.contains(&format!("<code class=\"hash\">{hash}</code>")),
        "{confirmation}"
    );
    // Nothing is left for the app to compute (the restored room has no data/manifest.js).
    assert!(
        !confirmation.contains("data-manifest-hash"),
        "{confirmation}"
    );

    let policy = read(&dir.join("policies/nda.html"));
    assert!(
        policy.contains("<img src=\"../attachments/scans/seal.png\""),
        "{policy}"
    );
    assert_eq!(
        std::fs::read(dir.join("attachments/scans/seal.png")).expect("image restored"),
        png()
    );
}

/// A buyer who writes `--password-file AUDIENCE=FILE` as the seller's build
/// does is told to give the file alone, in the room's language.
#[test]
fn restore_given_an_audience_before_its_password_file_says_to_give_the_file_alone() {
    let b = built(SETTINGS);
    let pw = b.tmp.path().join("pw");
    std::fs::write(&pw, format!("{PASSWORD}\n")).expect("password file");
    let given = format!("management={}", pw.display());
    let to = b.tmp.path().join("r");
    let r = run(bin_in_locale(&[("LANG", "en_US.UTF-8")])
        .arg("restore")
        .arg(&b.out)
        .arg("--out")
        .arg(&to)
        .arg("--password-file")
        .arg(&given)
        .env_remove("DATAROOM_PASSWORD"));
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("“management=”"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("--password-file {}", pw.display())),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("无法读取"), "{}", r.stderr);
    assert!(!to.exists());
    // The file alone opens it.
    let r = run(bin()
        .arg("restore")
        .arg(&b.out)
        .arg("--out")
        .arg(&to)
        .arg("--password-file")
        .arg(&pw)
        .env_remove("DATAROOM_PASSWORD"));
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn a_wrong_password_is_said_plainly_in_the_rooms_language() {
    // The room's language, as the buyer runs it: no --lang, an English locale.
    let restore = |out: &Path, to: &Path, password: &str, _: Option<&Path>| {
        run(bin_in_locale(&[("LANG", "en_US.UTF-8")])
            .arg("restore")
            .arg(out)
            .arg("--out")
            .arg(to)
            .env("DATAROOM_PASSWORD", password))
    };
    let b = built(SETTINGS);
    let r = restore(
        &b.out,
        &b.tmp.path().join("r"),
        "wrong password entirely",
        None,
    );
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("密码不对"), "{}", r.stderr);
    assert!(!r.stderr.contains("key slot"), "{}", r.stderr);
    assert!(!b.tmp.path().join("r").exists());

    let b = built(&SETTINGS.replace("language: zh-CN", "language: en"));
    let r = restore(
        &b.out,
        &b.tmp.path().join("r"),
        "wrong password entirely",
        None,
    );
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("Wrong password"), "{}", r.stderr);
    assert!(!r.stderr.contains("密码"), "{}", r.stderr);
}

#[test]
fn compare_reports_each_changed_field_and_deleted_document() {
    let b = built(SETTINGS);
    let source = b.room.path();
    // One changed note, one deleted document, one new client, one changed attachment.
    room_edit(source, "clients/HX-1.yaml", "钥匙在物业", "钥匙在前台");
    std::fs::remove_file(source.join("checklists/a.md")).expect("rm");
    std::fs::write(
        source.join("clients/HX-2.yaml"),
        CLIENT
            .replace("id: HX-1", "id: HX-2")
            .replace("13812345678", "13912345678")
            .replace("zhangwei@", "lina@"),
    )
    .expect("write");
    std::fs::write(source.join("attachments/c1.pdf"), "%PDF-1.4 changed\n").expect("write");

    let r = restore(&b.out, &b.tmp.path().join("r"), PASSWORD, Some(source));
    assert_eq!(r.code, 1, "{}", r.all());
    let lines: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("different:"))
        .collect();
    // Records first, then documents, then attachments.
    let expected = [
        "different: client HX-1 (clients/HX-1.yaml): services[0].notes: \"钥匙在物业\" → \"钥匙在前台\"",
        "different: client HX-2 (clients/HX-2.yaml): in the source, not in the restored room",
        "different: document checklists/a: in the restored room, no longer in the source",
        "different: attachment attachments/c1.pdf (attachments/c1.pdf): content changed",
    ];
    assert_eq!(lines.len(), expected.len(), "{}", r.stdout);
    for (line, want) in lines.iter().zip(expected) {
        assert!(
            line.starts_with(want),
            "{line}\nwanted {want}\n{}",
            r.stdout
        );
    }
    assert!(
        r.stdout
            .contains("pages and exports that show these records"),
        "{}",
        r.stdout
    );

    // The unchanged source compares clean.
    let b = built(SETTINGS);
    let r = restore(
        &b.out,
        &b.tmp.path().join("r"),
        PASSWORD,
        Some(b.room.path()),
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!r.stdout.contains("different:"), "{}", r.stdout);
}

fn room_edit(room: &Path, file: &str, from: &str, to: &str) {
    let path = room.join(file);
    let text = read(&path);
    assert!(text.contains(from), "{file} has no {from}");
    std::fs::write(&path, text.replace(from, to)).expect("write");
}

#[test]
fn training_site_publishes_the_images_its_lessons_show_and_nothing_else() {
    let room = Room::valid();
    room.write("attachments/training/steps.png", png());
    room.write(
        "training/01.md",
        "---\ntitle: 基础课\norder: 1\nduration: 15\naudience: 新员工\n---\n\n课程正文。\n\n![步骤](../attachments/training/steps.png)\n",
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let key = test_key(tmp.path());
    let out = tmp.path().join("out");
    let r = build_with_password(room.path(), &out, &key, &["--only", "training"], None);
    assert_eq!(r.code, 0, "{}", r.all());
    let lesson = read(&out.join("site/training/01.html"));
    assert!(
        lesson.contains("<img src=\"../attachments/training/steps.png\""),
        "{lesson}"
    );
    assert_eq!(
        std::fs::read(out.join("site/attachments/training/steps.png")).expect("image"),
        png()
    );
    assert!(!out.join("site/attachments/c1.pdf").exists());
    let sums = read(&out.join("site/SHA256SUMS"));
    assert!(sums.contains("attachments/training/steps.png"), "{sums}");
}
