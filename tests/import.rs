//! `dataroom import`: real workbooks made here with rust_xlsxwriter, CSV files
//! in UTF-8 and GBK, imported by the real binary into a room made by `init`.

mod common;

use std::path::{Path, PathBuf};

use common::{bin, bin_in_locale, run, Run};
use rust_xlsxwriter::{Format, Workbook};

/// A cell of a test workbook.
#[derive(Clone, Copy)]
enum V<'a> {
    S(&'a str),
    N(f64),
    /// A number formatted as a date (what Excel stores for a typed date).
    D(f64),
    E,
}
use V::{D, E, N, S};

fn workbook(path: &Path, sheets: &[(&str, Vec<Vec<V>>)]) {
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (name, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*name).expect("sheet name");
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    S(s) => sheet.write_string(r, c, *s).map(|_| ()),
                    N(n) => sheet.write_number(r, c, *n).map(|_| ()),
                    D(n) => sheet.write_number_with_format(r, c, *n, &date).map(|_| ()),
                    E => Ok(()),
                }
                .expect("write cell");
            }
        }
    }
    book.save(path).expect("save workbook");
}

const CLIENT_HEADINGS: [V; 12] = [
    S("客户编号"),
    S("客户名称"),
    S("客户类型(个人/企业)"),
    S("联系电话"),
    S("电子邮箱"),
    S("地址"),
    S("身份证号"),
    S("统一社会信用代码"),
    S("是否同意(是/否)"),
    S("同意日期"),
    S("标签"),
    S("备注"),
];

fn client_sheet(phone_1001: f64, more: Vec<Vec<V<'static>>>) -> Vec<Vec<V<'static>>> {
    let mut rows = vec![
        CLIENT_HEADINGS.to_vec(),
        vec![
            S("HX-1001"),
            S("张伟"),
            S("个人"),
            N(phone_1001),
            S("zw@example.com"),
            S("上海市徐汇区测试路1号"),
            S("11010519491231002X"),
            E,
            S("是"),
            D(45352.0),
            S("长期客户、写字楼"),
            S("钥匙在物业"),
        ],
        vec![
            S("HX-1002"),
            S("上海泰和楼宇管理有限公司"),
            S("企业"),
            S("021-12345678"),
            E,
            E,
            E,
            S("91310106177928947A"),
            S("是"),
            S("2024/3/1"),
            S("写字楼,大客户"),
        ],
    ];
    rows.extend(more);
    rows
}

fn good_workbook(path: &Path, phone_1001: f64, more_clients: Vec<Vec<V<'static>>>) {
    workbook(
        path,
        &[
            ("客户", client_sheet(phone_1001, more_clients)),
            (
                "服务记录",
                vec![
                    vec![
                        S("客户编号"),
                        S("服务日期"),
                        S("服务项目"),
                        S("服务人员"),
                        S("备注"),
                    ],
                    // A date serial without a date format: still a date.
                    vec![S("HX-1001"), N(45658.0), S("日常保洁"), S("李娜")],
                ],
            ),
            (
                "合同",
                vec![
                    vec![
                        S("客户编号"),
                        S("合同编号"),
                        S("签订日期"),
                        S("开始日期"),
                        S("结束日期"),
                        S("金额"),
                    ],
                    vec![
                        S("HX-1002"),
                        S("C-2024-001"),
                        S("2024年1月2日"),
                        S("2024-1-10"),
                        D(45666.0),
                        N(1234.56),
                    ],
                ],
            ),
            (
                "付款记录",
                vec![
                    vec![
                        S("客户编号"),
                        S("付款日期"),
                        S("金额"),
                        S("付款方式"),
                        S("发票号"),
                    ],
                    vec![
                        S("HX-1002"),
                        S("2024-02-01"),
                        N(0.1 + 0.2),
                        S("银行转账"),
                        S("INV-1"),
                    ],
                    vec![S("HX-1002"), D(45352.0), N(1000.0), S("现金")],
                ],
            ),
        ],
    );
}

/// A room made by `dataroom init` (one client, HX-00001, already in it).
fn new_room(dir: &Path) -> PathBuf {
    let room = dir.join("room");
    let r = run(bin().arg("init").arg(&room));
    assert_eq!(r.code, 0, "{}", r.all());
    room
}

/// The seller's view: the room's language (zh-CN), no `DATAROOM_LANG`.
fn import(file: &Path, room: &Path, extra: &[&str]) -> Run {
    run(bin_in_locale(&[])
        .arg("import")
        .arg(file)
        .arg("--into")
        .arg(room)
        .args(extra))
}

fn read(room: &Path, rel: &str) -> String {
    std::fs::read_to_string(room.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn client_files(room: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(room.join("clients"))
        .expect("clients folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_workbook_becomes_client_files_as_a_person_writes_them_and_the_room_checks_and_builds() {
    let dir = tempfile::tempdir().expect("temp");
    let room = new_room(dir.path());
    let xlsx = dir.path().join("clients.xlsx");
    good_workbook(&xlsx, 13812345678.0, vec![]);

    let r = import(&xlsx, &room, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("已导入 2 位客户"), "{}", r.stdout);

    assert_eq!(
        read(&room, "clients/HX-1001.yaml"),
        "id: HX-1001\n\
         name: \"张伟\"\n\
         kind: individual\n\
         contact: {phone: \"13812345678\", email: \"zw@example.com\", address: \"上海市徐汇区测试路1号\"}\n\
         id_number: \"11010519491231002X\"\n\
         consent: {given: true, date: 2024-03-01}\n\
         tags: [长期客户, 写字楼]\n\
         services:\n  - {date: 2025-01-01, type: 日常保洁, staff: 李娜}\n\
         notes: \"钥匙在物业\"\n"
    );
    assert_eq!(
        read(&room, "clients/HX-1002.yaml"),
        "id: HX-1002\n\
         name: \"上海泰和楼宇管理有限公司\"\n\
         kind: company\n\
         contact: {phone: \"021-12345678\"}\n\
         credit_code: \"91310106177928947A\"\n\
         consent: {given: true, date: 2024-03-01}\n\
         tags: [写字楼, 大客户]\n\
         contracts:\n  - {id: C-2024-001, signed: 2024-01-02, start: 2024-01-10, end: 2025-01-09, amount: 1234.56}\n\
         payments:\n  - {date: 2024-02-01, amount: 0.30, method: 银行转账, invoice: \"INV-1\"}\n  - {date: 2024-03-01, amount: 1000.00, method: 现金}\n"
    );

    let check = run(bin().arg("check").arg(&room));
    assert_eq!(
        check.code,
        0,
        "imported room must pass check: {}",
        check.all()
    );
    let key = common::test_key(dir.path());
    let built = common::build(&room, &dir.path().join("out"), &key, &[]);
    assert_eq!(built.code, 0, "imported room must build: {}", built.all());
}

#[test]
fn every_problem_is_reported_at_once_by_cell_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("temp");
    let room = new_room(dir.path());
    let xlsx = dir.path().join("clients.xlsx");
    let mut clients = client_sheet(13812345678.0, vec![]);
    // Row 3: the 身份证 typed into a number cell (Excel kept 15 digits).
    clients[2][6] = N(310101199001011000.0);
    // Row 4: a date that does not exist, and a phone that is not a whole number.
    clients.push(vec![
        S("HX-1003"),
        S("李四"),
        S("个人"),
        N(1381234.5),
        E,
        E,
        E,
        E,
        S("是"),
        S("2024-02-30"),
    ]);
    workbook(
        &xlsx,
        &[
            ("客户", clients),
            (
                "服务记录",
                vec![vec![S("客户编号"), S("服务日期"), S("服务项目")]],
            ),
            (
                "付款记录",
                vec![
                    vec![S("客户编号"), S("付款日期"), S("金额"), S("付款方式")],
                    vec![S("HX-1002"), S("2024-02-01"), N(12.345), S("现金")],
                    vec![S("HX-9999"), S("2024-02-01"), N(10.0), S("现金")],
                ],
            ),
        ],
    );
    let before = client_files(&room);

    let r = import(&xlsx, &room, &[]);
    assert_eq!(r.code, 1, "{}", r.all());
    for expected in [
        "clients.xlsx:客户!G3: “身份证号”被存成了数字",
        "设为“文本”",
        "clients.xlsx:客户!J4: “同意日期”的值“2024-02-30”不是日期",
        "clients.xlsx:客户!D4: “联系电话”的值“1381234.5”不是电话号码",
        "clients.xlsx:服务记录: 工作表“服务记录”缺少“服务人员”列",
        "clients.xlsx:付款记录!C2: “金额”的值“12.345”不是最多两位小数的金额",
        "clients.xlsx:付款记录!A3: 客户 HX-9999 不在“客户”工作表中",
        "共 6 个问题；未写入任何文件",
    ] {
        assert!(
            r.stderr.contains(expected),
            "missing `{expected}` in:\n{}",
            r.stderr
        );
    }
    assert_eq!(client_files(&room), before, "nothing may be written");

    // The same problems in English for an English room.
    let settings = read(&room, "dataroom.yaml").replace("language: zh-CN", "language: en");
    std::fs::write(room.join("dataroom.yaml"), settings).expect("write settings");
    let r = import(&xlsx, &room, &[]);
    assert_eq!(r.code, 1);
    for expected in [
        "clients.xlsx:客户!G3: 身份证号 is stored as a number (310101199001011000), so Excel has already lost digits",
        "fix: format the 身份证号 column as Text",
        "sheet 服务记录 has no column 服务人员",
        "6 problem(s); nothing was written",
    ] {
        assert!(r.stderr.contains(expected), "missing `{expected}` in:\n{}", r.stderr);
    }
    assert_eq!(client_files(&room), before);
}

#[test]
fn a_missing_clients_column_is_named_with_its_sheet() {
    let dir = tempfile::tempdir().expect("temp");
    let room = new_room(dir.path());
    let xlsx = dir.path().join("list.xlsx");
    workbook(
        &xlsx,
        &[(
            "客户",
            vec![
                vec![S("客户编号"), S("联系电话")],
                vec![S("HX-1"), S("13812345678")],
            ],
        )],
    );
    let r = import(&xlsx, &room, &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("list.xlsx:客户: 工作表“客户”缺少“客户名称”列"),
        "{}",
        r.stderr
    );
    assert!(!room.join("clients/HX-1.yaml").exists());
}

#[test]
fn gbk_and_utf8_bom_csv_files_are_the_clients_sheet() {
    let dir = tempfile::tempdir().expect("temp");
    let room = new_room(dir.path());
    let text = "客户编号,客户名称,联系电话,标签\r\nHX-2001,王芳,13900001111,\"老客户，月结\"\r\n";
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&gbk).is_err(),
        "the test file must really be GBK"
    );
    let csv = dir.path().join("导出.csv");
    std::fs::write(&csv, &gbk).expect("write csv");
    let r = import(&csv, &room, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        read(&room, "clients/HX-2001.yaml"),
        "id: HX-2001\nname: \"王芳\"\ncontact: {phone: \"13900001111\"}\ntags: [老客户, 月结]\n"
    );

    let bom = dir.path().join("bom.csv");
    std::fs::write(&bom, "\u{feff}客户编号,客户名称\nHX-2002,赵六\n").expect("write csv");
    let r = import(&bom, &room, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(read(&room, "clients/HX-2002.yaml").starts_with("id: HX-2002\nname: \"赵六\"\n"));
}

#[test]
fn other_headings_and_sheet_names_with_map_and_sheet() {
    let dir = tempfile::tempdir().expect("temp");
    let room = new_room(dir.path());
    let xlsx = dir.path().join("booking.xlsx");
    workbook(
        &xlsx,
        &[(
            "Sheet1",
            vec![
                vec![S("编号"), S("姓名"), S("手机")],
                vec![S("HX-3001"), S("钱七"), N(13700001111.0)],
            ],
        )],
    );
    let map = dir.path().join("map.yaml");
    std::fs::write(&map, "编号: 客户编号\n姓名: 客户名称\n手机: 联系电话\n").expect("write map");

    let r = import(&xlsx, &room, &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("找不到工作表“客户”；文件中的工作表有：Sheet1"),
        "{}",
        r.stderr
    );

    let map_arg = map.to_string_lossy().into_owned();
    let r = import(&xlsx, &room, &["--sheet", "客户=Sheet1", "--map", &map_arg]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        read(&room, "clients/HX-3001.yaml"),
        "id: HX-3001\nname: \"钱七\"\ncontact: {phone: \"13700001111\"}\n"
    );
}

#[test]
fn existing_clients_are_kept_unless_update_which_says_what_changed() {
    let dir = tempfile::tempdir().expect("temp");
    let room = new_room(dir.path());
    let xlsx = dir.path().join("clients.xlsx");
    good_workbook(&xlsx, 13812345678.0, vec![]);
    assert_eq!(import(&xlsx, &room, &[]).code, 0);
    // The seller adds a field the workbook does not have.
    let first =
        read(&room, "clients/HX-1001.yaml").replace("notes:", "retain_until: 2031-12-31\nnotes:");
    std::fs::write(room.join("clients/HX-1001.yaml"), &first).expect("write");
    let second = read(&room, "clients/HX-1002.yaml");

    // Next month's list: a new phone for HX-1001 and a new client.
    good_workbook(
        &xlsx,
        13900002222.0,
        vec![vec![S("HX-1003"), S("孙八"), S("个人")]],
    );
    let r = import(&xlsx, &room, &[]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr
            .contains("clients.xlsx:客户!A2: 客户 HX-1001 已在数据室中"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--update"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("clients.xlsx:客户!A3: 客户 HX-1002 已在数据室中"),
        "{}",
        r.stderr
    );
    assert_eq!(
        read(&room, "clients/HX-1001.yaml"),
        first,
        "not overwritten"
    );
    assert!(
        !room.join("clients/HX-1003.yaml").exists(),
        "nothing written on error"
    );

    let r = import(&xlsx, &room, &["--update"]);
    assert_eq!(r.code, 0, "{}", r.all());
    for expected in [
        "HX-1001：已更改（contact.phone）",
        "HX-1002：未变",
        "HX-1003：新增",
        "新增 1 位，更改 1 位，未变 1 位",
    ] {
        assert!(
            r.stdout.contains(expected),
            "missing `{expected}` in:\n{}",
            r.stdout
        );
    }
    let updated = read(&room, "clients/HX-1001.yaml");
    assert_eq!(
        updated,
        first.replace("13812345678", "13900002222"),
        "only the phone changed; retain_until kept"
    );
    assert_eq!(read(&room, "clients/HX-1002.yaml"), second);
    assert!(room.join("clients/HX-1003.yaml").exists());
    let leftovers: Vec<String> = client_files(&room)
        .into_iter()
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    assert_eq!(run(bin().arg("check").arg(&room)).code, 0);
}

#[test]
fn a_repeated_client_number_names_both_cells_even_when_the_first_row_has_problems() {
    let dir = tempfile::tempdir().expect("temp");
    let room = new_room(dir.path());
    let csv = dir.path().join("a.csv");
    std::fs::write(
        &csv,
        "客户编号,客户名称,身份证号\nHX-5,王五,3.10101E+17\nHX-5,王五二,\n",
    )
    .expect("write csv");
    let r = import(&csv, &room, &[]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr
            .contains("a.csv:客户!C2: “身份证号”被存成了数字（3.10101E+17）"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("  修改：把“身份证号”这一列的单元格格式设为“文本”"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("a.csv:客户!A3: 客户 HX-5 出现了两次（第一次在 a.csv:客户!A2）"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("共 2 个问题；未写入任何文件"),
        "{}",
        r.stderr
    );
    assert!(!room.join("clients/HX-5.yaml").exists());
}
