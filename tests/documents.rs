//! The generated handover documents, read back by decrypting the built room
//! with `restore`, checked against the example room's records.

mod common;
use common::*;

use std::path::PathBuf;

use sha2::{Digest, Sha256};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

struct Restored {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    build_stdout: String,
}

impl Restored {
    fn page(&self, route: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("{route}.html")))
            .unwrap_or_else(|e| panic!("{route}: {e}"))
    }
}

/// The example room built with its audiences and restored as management,
/// who sees every handover document.
fn restored_example() -> Restored {
    let tmp = tempfile::tempdir().expect("tmp");
    let key = test_key(tmp.path());
    let out = tmp.path().join("out");
    let r = build_example(&example(), &out, &key, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    let dir = tmp.path().join("restored");
    let r = run(&mut restore_command(&out, &dir, MANAGEMENT_PASSWORD));
    assert_eq!(r.code, 0, "{}", r.all());
    Restored {
        _tmp: tmp,
        dir,
        build_stdout: String::new() + &r.stdout,
    }
}

fn clients() -> Vec<dataroom::room::Client> {
    dataroom::check(&example(), false)
        .room
        .expect("example loads")
        .clients
}

#[test]
fn handover_checklist_lists_every_item_with_its_hash() {
    let r = restored_example();
    let page = r.page("handover/checklist");
    let clients = clients();
    for c in &clients {
        let text = std::fs::read(example().join(&c.file)).expect("client file");
        assert!(
            page.contains(&hex(&Sha256::digest(&text))),
            "hash of {} missing",
            c.id
        );
        assert!(
            page.contains(&format!("data-item=\"c-{}\"", c.id)),
            "tick box of {}",
            c.id
        );
    }
    for entry in walkdir::WalkDir::new(example().join("attachments"))
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
    {
        let bytes = std::fs::read(entry.path()).expect("attachment");
        assert!(
            page.contains(&hex(&Sha256::digest(&bytes))),
            "hash of {}",
            entry.path().display()
        );
    }
    for entry in walkdir::WalkDir::new(example().join("policies"))
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
    {
        let bytes = std::fs::read(entry.path()).expect("policy");
        assert!(
            page.contains(&hex(&Sha256::digest(&bytes))),
            "hash of {}",
            entry.path().display()
        );
    }
    let services: usize = clients.iter().map(|c| c.services.len()).sum();
    assert!(
        page.contains(&format!("<td class=\"num\">{services}</td>")),
        "service count {services}"
    );
    assert!(
        page.contains("class=\"checklist handover-items\" data-checklist=\"handover/checklist\"")
    );
}

#[test]
fn confirmation_names_parties_counts_and_keys() {
    let r = restored_example();
    let page = r.page("handover/confirmation");
    for needle in [
        "上海洁净家政服务有限公司",
        "上海悦宁物业服务有限公司",
        "2026-12-15",
        "signature-lines",
        // The audiences, by name (never their passwords).
        "买方管理层",
        "买方客服人员",
    ] {
        assert!(page.contains(needle), "{needle} missing");
    }
    // The restored page carries the manifest hash itself (no data/manifest.js there).
    let sums =
        std::fs::read(r.dir.parent().expect("p").join("out/site/SHA256SUMS")).expect("SHA256SUMS");
    assert!(
        page.contains(&format!(
            "<code class=\"hash\">{}</code>",
            hex(&Sha256::digest(&sums))
        )),
        "manifest hash missing"
    );
    let verify = run(bin()
        .arg("verify")
        .arg(r.dir.parent().expect("p").join("out")));
    let key_id = verify
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("key id:"))
        .expect("key id")
        .trim()
        .to_string();
    let fp = verify
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("fingerprint"))
        .expect("fp")
        .trim()
        .to_string();
    assert!(
        page.contains(&key_id),
        "key id {key_id} not on the confirmation"
    );
    assert!(page.contains(&fp), "fingerprint not on the confirmation");
    assert!(!page.contains(MANAGEMENT_PASSWORD) && !page.contains(STAFF_PASSWORD));
    assert!(page.contains(&format!("<td class=\"num\">{}</td>", clients().len())));
    let _ = r.build_stdout;
}

#[test]
fn one_notice_per_client_and_a_mail_merge_csv() {
    let r = restored_example();
    let page = r.page("handover/notices");
    // The letters, without the row form they are filled from (`<template data-row-form>`).
    let letters = &page[..page.find("<template data-row-form").expect("row form")];
    let clients = clients();
    assert_eq!(
        letters
            .matches("<section class=\"notice page-break\"")
            .count(),
        clients.len()
    );
    for c in &clients {
        assert!(letters.contains(&format!("data-cell=\"0\">{}</span>", c.id)));
    }
    assert!(
        page.contains("上海悦宁物业服务有限公司"),
        "the buyer is named"
    );
    let csv = std::fs::read_to_string(r.dir.join("exports/notices.csv")).expect("csv");
    assert!(csv.starts_with('\u{feff}'));
    assert!(
        csv.starts_with("\u{feff}客户编号,客户名称,联系电话,地址,告知内容\r\n"),
        "Chinese headers in a Chinese room: {}",
        csv.lines().next().unwrap_or_default()
    );
    let rows = csv.matches("\r\nHX-").count();
    assert_eq!(rows, clients.len(), "one row per client");
}

#[test]
fn quality_report_finds_the_planted_flaws() {
    let r = restored_example();
    let page = r.page("handover/quality");
    let planted = [
        ("phone-invalid", "HX-00040"),
        ("phone-invalid", "HX-00090"),
        ("id-number-invalid", "HX-00130"),
        ("credit-code-invalid", "HX-20050"),
        ("consent-missing", "HX-00060"),
        ("consent-missing", "HX-00180"),
        ("consent-missing", "HX-00220"),
        ("phone-shared", "HX-00100"),
        ("phone-shared", "HX-00200"),
        ("email-shared", "HX-00120"),
        ("email-shared", "HX-00240"),
        ("no-recent-service", "HX-00070"),
        ("no-recent-service", "HX-20100"),
    ];
    for (_, id) in planted {
        assert!(
            page.contains(&format!("href=\"../clients/{id}.html\"")),
            "{id} not in the report"
        );
    }
    // The valid +86 and landline numbers are not flagged.
    assert!(!page.contains("clients/HX-00030.html"));
    assert!(!page.contains("clients/HX-20030.html"));
    // check --format json emits the same findings.
    let json = run(bin()
        .arg("check")
        .arg(example())
        .arg("--format")
        .arg("json"));
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    let findings = v["findings"].as_array().expect("findings");
    for (code, id) in planted {
        assert!(
            findings
                .iter()
                .any(|f| f["code"] == code && f["client"] == id),
            "{code} {id} missing from json"
        );
    }
    assert_eq!(findings.len(), planted.len());
}

#[test]
fn retention_lists_due_records_on_the_right_date() {
    let due = |date: &str| -> Vec<String> {
        let r = run(bin()
            .arg("retention")
            .arg(example())
            .arg("--as-of")
            .arg(date)
            .arg("--format")
            .arg("json"));
        assert_eq!(r.code, 0, "{}", r.all());
        let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
        v["due"]
            .as_array()
            .expect("due")
            .iter()
            .map(|d| {
                format!(
                    "{} {}",
                    d["client_id"].as_str().unwrap_or(""),
                    d["category"].as_str().unwrap_or("")
                )
            })
            .collect()
    };
    assert!(
        !due("2025-12-30").iter().any(|d| d.starts_with("HX-00160")),
        "not yet due the day before"
    );
    assert_eq!(due("2025-12-31"), vec!["HX-00160 record"]);
    let at_handover = due("2026-12-15");
    assert!(
        at_handover.contains(&"HX-00160 record".to_string())
            && at_handover.contains(&"HX-00250 record".to_string()),
        "{at_handover:?}"
    );
    // Rules make contracts due three years after their end.
    let later = due("2040-01-01");
    assert!(
        later.iter().filter(|d| d.ends_with(" contracts")).count() > 20,
        "{later:?}"
    );

    let r = restored_example();
    let cert = r.page("handover/destruction");
    assert!(cert.contains("HX-00160") && cert.contains("HX-00250"));
    // Ids and categories only: no name of those clients.
    for c in clients()
        .iter()
        .filter(|c| c.id == "HX-00160" || c.id == "HX-00250")
    {
        assert!(
            !cert.contains(&c.name),
            "name of {} on the certificate",
            c.id
        );
    }
    let schedule = r.page("handover/retention");
    assert!(schedule.contains("class=\"overdue\""));
}

#[test]
fn impact_assessment_counts_and_measures() {
    let r = restored_example();
    let page = r.page("handover/impact");
    let clients = clients();
    let individuals = clients
        .iter()
        .filter(|c| c.kind == dataroom::room::ClientKind::Individual)
        .count();
    let ids = clients.iter().filter(|c| c.id_number.is_some()).count();
    assert!(page.contains(&format!("<td class=\"num\">{individuals}</td>")));
    assert!(page.contains(&format!("<td class=\"num\">{ids}</td>")));
    assert!(
        page.contains("AES-256-GCM") && page.contains("PBKDF2-HMAC-SHA256, 600000 次迭代"),
        "measures in the room's language"
    );
    // The room's own assessment text follows, without repeating its title as a second <h1>.
    assert_eq!(page.matches("<h1").count(), 1, "one page title");
    assert!(
        page.contains("个人信息保护影响评估说明") || page.contains("评估"),
        "the room's own assessment text"
    );
    assert!(page.contains("三年"));
}

#[test]
fn exports_for_the_buyer() {
    let r = restored_example();
    let csv = std::fs::read(r.dir.join("exports/clients.csv")).expect("csv");
    assert!(csv.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 BOM for Excel");
    let text = String::from_utf8(csv).expect("utf8");
    assert_eq!(text.lines().count(), clients().len() + 1);
    // People read the CSV in Excel: headers and values in the room's language.
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next(),
        Some("客户编号,客户名称,客户类型,联系电话,电子邮箱,地址,身份证号,统一社会信用代码,授权同意,标签,服务记录数,合同数,支付记录数,合同金额合计（元）,支付金额合计（元）,最近服务日期,保存期限")
    );
    let hx10 = lines.next().expect("first client");
    assert!(
        hx10.starts_with("HX-00010,") && hx10.contains(",个人,") && hx10.contains(",是,"),
        "{hx10}"
    );
    assert!(
        text.contains(",企业,") && text.contains(",否,"),
        "company kind and refused consent"
    );
    assert!(!text.contains("individual") && !text.contains(",yes,"));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(r.dir.join("exports/clients.json")).expect("json"))
            .expect("parses");
    let arr = json.as_array().expect("array");
    assert_eq!(arr.len(), clients().len());
    assert!(arr[0]["contracts"].is_array());
    // Software reads the JSON: its keys stay the source format's English names.
    assert_eq!(arr[0]["kind"], "individual");
    assert!(arr[0]["id"].is_string() && arr[0]["contact"]["phone"].is_string());
    // Amounts keep exact cents.
    assert!(
        String::from_utf8_lossy(&std::fs::read(r.dir.join("exports/clients.json")).expect("json"))
            .contains("\"amount\": \""),
        "amounts are exact decimal strings"
    );
}

/// The words a reader sees in the page's main part: tags dropped, entities kept.
fn visible_text(html: &str) -> String {
    let main = html
        .split_once("<main")
        .and_then(|(_, rest)| rest.split_once("</main>"))
        .map_or(html, |(m, _)| m);
    let mut out = String::new();
    let mut in_tag = true; // the rest of the <main …> tag comes first
    for c in main.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[test]
fn a_chinese_room_reads_chinese_in_the_quality_retention_and_destruction_pages() {
    let r = restored_example();
    let quality = visible_text(&r.page("handover/quality"));
    for expected in [
        "客户 HX-00060 未同意处理其个人信息",
        "客户 HX-00040 的联系电话 1391756423 不是在用的电话号码",
        "客户 HX-00130 的身份证号未通过 GB 11643 校验",
        "客户 HX-00100 的联系电话与 HX-00200 相同",
        "请与营业执照核对",
        "联系电话",
        "身份证号",
        "授权同意",
    ] {
        assert!(quality.contains(expected), "{expected:?} in\n{quality}");
    }
    for english in [
        "client ",
        "ask the",
        "consent",
        "contact.phone",
        "id_number",
        "`",
    ] {
        assert!(!quality.contains(english), "{english:?} in\n{quality}");
    }

    let retention = visible_text(&r.page("handover/retention"));
    assert!(
        retention.contains("合同协议：合同结束后 3 年"),
        "{retention}"
    );
    assert!(
        retention.contains("合同结束（2024-05-09）后 3 年"),
        "{retention}"
    );
    let destruction = visible_text(&r.page("handover/destruction"));
    assert!(destruction.contains("整条客户记录"), "{destruction}");
    for (name, text) in [("retention", &retention), ("destruction", &destruction)] {
        for programmer in [
            "record",
            "contracts",
            "payments",
            "services",
            "retain_until",
            "contract_end",
            "+ 3y",
            "dataroom.yaml",
        ] {
            assert!(
                !text.contains(programmer),
                "{programmer:?} on the {name} page:\n{text}"
            );
        }
    }
}
