//! Synthetic rooms for the benchmark (see benches/run.sh and BENCHMARKS.md).
//!
//!     cargo run --release --example gen_room -- [--audiences] N OUT_DIR
//!         a dataroom room: dataroom.yaml, policies/, checklists/, training/ and
//!         attachments/ copied from example-dataroom, plus N clients in
//!         clients/GEN-000001.yaml … (same YAML shape as example-dataroom/clients).
//!         The example's `audiences:`, `nda:` and `watermark:` are dropped, so
//!         the room takes one DATAROOM_PASSWORD and the figures stay comparable
//!         with earlier ones and Hugo; `--audiences` keeps them (then build
//!         with DATAROOM_PASSWORD_MANAGEMENT and DATAROOM_PASSWORD_SERVICE_STAFF).
//!
//!     cargo run --release --example gen_room -- --hugo N OUT_DIR
//!         the same N clients as a minimal Hugo site: config.toml, one layout
//!         template (plus a one-line list template for the client index) and
//!         content/clients/GEN-000001.md, every field as Markdown tables
//!
//! Deterministic: the same N gives byte-identical files (a fixed-seed
//! SplitMix64, no dependencies beyond std and chrono). Every record is clean:
//! valid, unique mobiles and e-mails, GB 11643-valid 身份证 numbers, GB
//! 32100-valid credit codes, consent given, a service in the 12 months before
//! the example's handover date (2026-12-15), so `dataroom check` reports no
//! errors and no data-quality warnings.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{Datelike, Duration, NaiveDate};

#[path = "../tests/common/without_audiences.rs"]
mod without_audiences;

/// SplitMix64: tiny, fast, good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in lo..=hi.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next() as usize % items.len()]
    }
    fn word(&mut self, items: &[&'static str]) -> &'static str {
        items[self.next() as usize % items.len()]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const SURNAMES: &[(&str, &str)] = &[
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("高", "gao"),
    ("林", "lin"),
    ("罗", "luo"),
    ("郑", "zheng"),
    ("梁", "liang"),
    ("谢", "xie"),
    ("宋", "song"),
    ("唐", "tang"),
    ("许", "xu"),
    ("韩", "han"),
    ("冯", "feng"),
    ("邓", "deng"),
    ("曹", "cao"),
    ("彭", "peng"),
    ("曾", "zeng"),
    ("肖", "xiao"),
    ("田", "tian"),
    ("董", "dong"),
    ("袁", "yuan"),
    ("潘", "pan"),
    ("于", "yu"),
    ("蒋", "jiang"),
    ("蔡", "cai"),
    ("余", "yu"),
    ("杜", "du"),
    ("叶", "ye"),
    ("程", "cheng"),
    ("苏", "su"),
    ("魏", "wei"),
    ("吕", "lv"),
    ("丁", "ding"),
    ("任", "ren"),
    ("沈", "shen"),
    ("姚", "yao"),
    ("卢", "lu"),
    ("姜", "jiang"),
    ("崔", "cui"),
    ("钟", "zhong"),
    ("谭", "tan"),
    ("陆", "lu"),
    ("汪", "wang"),
    ("范", "fan"),
    ("金", "jin"),
    ("欧阳", "ouyang"),
    ("司马", "sima"),
];

const GIVEN: &[(&str, &str)] = &[
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("秀", "xiu"),
    ("英", "ying"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("桂", "gui"),
    ("兰", "lan"),
    ("华", "hua"),
    ("建", "jian"),
    ("国", "guo"),
    ("志", "zhi"),
    ("文", "wen"),
    ("雪", "xue"),
    ("婷", "ting"),
    ("浩", "hao"),
    ("宇", "yu"),
    ("轩", "xuan"),
    ("欣", "xin"),
    ("怡", "yi"),
    ("佳", "jia"),
    ("琪", "qi"),
    ("晨", "chen"),
    ("博", "bo"),
    ("子", "zi"),
    ("涵", "han"),
    ("思", "si"),
    ("雨", "yu"),
    ("梓", "zi"),
    ("睿", "rui"),
    ("嘉", "jia"),
    ("俊", "jun"),
    ("海", "hai"),
    ("红", "hong"),
    ("玉", "yu"),
    ("萍", "ping"),
    ("慧", "hui"),
    ("鹏", "peng"),
    ("辉", "hui"),
    ("鑫", "xin"),
    ("颖", "ying"),
    ("倩", "qian"),
    ("亚", "ya"),
    ("琴", "qin"),
];

/// Shanghai districts: administrative code (for 身份证 and credit codes) and name.
const DISTRICTS: &[(&str, &str)] = &[
    ("310101", "黄浦区"),
    ("310104", "徐汇区"),
    ("310105", "长宁区"),
    ("310106", "静安区"),
    ("310107", "普陀区"),
    ("310109", "虹口区"),
    ("310110", "杨浦区"),
    ("310112", "闵行区"),
    ("310113", "宝山区"),
    ("310114", "嘉定区"),
    ("310115", "浦东新区"),
    ("310116", "金山区"),
    ("310117", "松江区"),
    ("310118", "青浦区"),
    ("310120", "奉贤区"),
    ("310151", "崇明区"),
];

const ROAD_PARTS: &[&str] = &[
    "桂", "苑", "青", "杉", "晨", "晖", "锦", "溪", "松", "鹤", "兰", "真", "如", "虹", "桥", "叠",
    "翠", "洋", "泾", "康", "健", "华", "发", "福", "泉", "漕", "宝", "云", "栖", "金", "沙", "江",
    "宁", "古", "北", "新", "安", "和", "平", "明", "月", "光", "春", "秋", "枫",
];

const BRANDS: &[(&str, &str)] = &[
    ("云栖", "yunqi"),
    ("汇澜", "huilan"),
    ("泰和", "taihe"),
    ("仁和", "renhe"),
    ("星桥", "xingqiao"),
    ("绿野", "lvye"),
    ("安禾", "anhe"),
    ("鸿嘉", "hongjia"),
    ("蓝湾", "lanwan"),
    ("启明", "qiming"),
    ("德润", "derun"),
    ("锦程", "jincheng"),
    ("恒信", "hengxin"),
    ("瑞丰", "ruifeng"),
    ("嘉禾", "jiahe"),
    ("华盛", "huasheng"),
    ("永安", "yongan"),
    ("宏远", "hongyuan"),
    ("新源", "xinyuan"),
    ("明达", "mingda"),
    ("聚鑫", "juxin"),
    ("天成", "tiancheng"),
    ("远航", "yuanhang"),
    ("博雅", "boya"),
    ("盛世", "shengshi"),
    ("金桥", "jinqiao"),
    ("东方", "dongfang"),
    ("南湖", "nanhu"),
    ("北辰", "beichen"),
    ("西岭", "xiling"),
];

const TRADES: &[(&str, &str, &str)] = &[
    ("置业管理有限公司", "写字楼", "facility"),
    ("商业广场管理有限公司", "商场", "plaza"),
    ("物流有限公司", "仓储", "logistics"),
    ("口腔门诊部有限公司", "医疗机构", "clinic"),
    ("健身管理有限公司", "健身房", "fitness"),
    ("餐饮管理有限公司", "餐饮", "kitchen"),
    ("酒店管理有限公司", "酒店", "hotel"),
    ("科技有限公司", "办公室", "admin"),
    ("装饰工程有限公司", "装修公司", "project"),
    ("教育科技有限公司", "学校", "school"),
];

const INDIVIDUAL_TAGS: &[&str] = &[
    "长期客户",
    "公寓",
    "老年客户",
    "每周服务",
    "每两周服务",
    "新客户",
    "老客户",
    "别墅",
    "租房客户",
    "母婴家庭",
    "复式住宅",
    "老式里弄",
    "按月付款",
];
const COMPANY_TAGS: &[&str] = &[
    "长期客户",
    "大客户",
    "新客户",
    "按月付款",
    "夜间作业",
    "项目制",
];

const SERVICE_TYPES: &[&str] = &[
    "日常保洁",
    "日常保洁",
    "日常保洁",
    "日常保洁",
    "深度保洁",
    "消毒杀菌",
    "地毯清洗",
    "玻璃清洗",
    "石材养护",
    "开荒保洁",
    "油烟机清洗",
    "空调清洗",
    "沙发清洗",
    "收纳整理",
];
const STAFF: &[&str] = &[
    "何军",
    "刘强",
    "吴婷",
    "周建华",
    "孙丽",
    "李娜",
    "王芳",
    "赵敏",
    "郑海涛",
    "钱秀英",
    "陈桂兰",
    "黄志勇",
];
const SERVICE_NOTES: &[&str] = &[
    "钥匙存放在物业，需出示工作证领取",
    "木地板只能用微湿拖把，不可用蒸汽",
    "客户要求厨房台面物品归位拍照确认",
    "客户反馈茶几有水印，已当场返工",
    "卫生间瓷砖缝有霉点，已建议另约防霉处理",
    "垃圾已按上海垃圾分类要求分类投放",
    "家中有老人午睡，12:00–14:00 避免使用吸尘器",
    "夜间作业，22:00 后进场",
    "卫生间补充耗材，清单已交对方",
    "作业完成后由对方行政人员签字验收",
    "对方反馈满意，无整改项",
    "临时增派 2 人，费用按合同单价另计",
];
const CLIENT_NOTES: &[&str] = &[
    "偏好工作日上午服务",
    "服务费由其子女代为支付",
    "家中有宠物猫，进出请随手关门",
    "联系人：行政部王经理",
    "联系人：物业工程部孙经理",
    "按季度开具发票",
    "门禁密码每月更换，上门前电话确认",
];
const METHODS: &[&str] = &[
    "银行转账",
    "银行转账",
    "银行转账",
    "微信支付",
    "支付宝",
    "现金",
];

/// Attachments that exist in example-dataroom/attachments (copied into every generated room).
const ATTACHMENTS: &[&str] = &[
    "attachments/contracts/C-2022-002.pdf",
    "attachments/contracts/C-2024-003.pdf",
    "attachments/contracts/C-2025-028.pdf",
    "attachments/contracts/C-2026-007.pdf",
    "attachments/contracts/C-2026-012.pdf",
    "attachments/signatures/C-2025-015-signature.png",
];

const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "170", "173", "175", "176", "177", "178", "180",
    "181", "182", "183", "185", "186", "187", "188", "189", "191", "193", "195", "198", "199",
];

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn date_between(rng: &mut Rng, lo: NaiveDate, hi: NaiveDate) -> NaiveDate {
    let days = (hi - lo).num_days().max(0) as u64;
    lo + Duration::days(rng.range(0, days) as i64)
}

/// GB 11643: 17 digits, weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, S mod 11 → "10X98765432".
fn id_number_check(first17: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let s: u32 = first17
        .chars()
        .zip(W)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    "10X98765432".as_bytes()[(s % 11) as usize] as char
}

const CREDIT_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// GB 32100: weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28, check = (31 − S mod 31) mod 31.
fn credit_code_check(first17: &str) -> char {
    const W: [usize; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let s: usize = first17
        .bytes()
        .zip(W)
        .map(|(c, w)| CREDIT_ALPHABET.iter().position(|&a| a == c).unwrap() * w)
        .sum();
    CREDIT_ALPHABET[(31 - s % 31) % 31] as char
}

struct Service {
    date: NaiveDate,
    kind: &'static str,
    staff: &'static str,
    notes: Option<&'static str>,
}

struct Contract {
    id: String,
    signed: NaiveDate,
    start: NaiveDate,
    end: NaiveDate,
    /// In fen (1/100 yuan), so amounts stay exact.
    amount: u64,
    file: Option<&'static str>,
}

struct Payment {
    date: NaiveDate,
    amount: u64,
    method: &'static str,
    invoice: Option<String>,
}

struct Client {
    id: String,
    name: String,
    company: bool,
    phone: String,
    email: String,
    address: String,
    /// 身份证 for individuals, 统一社会信用代码 for companies.
    code: String,
    consent: NaiveDate,
    tags: Vec<&'static str>,
    services: Vec<Service>,
    contracts: Vec<Contract>,
    payments: Vec<Payment>,
    notes: Option<&'static str>,
}

fn money(fen: u64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

fn road(rng: &mut Rng) -> String {
    let a = rng.pick(ROAD_PARTS);
    let mut b = rng.pick(ROAD_PARTS);
    while b == a {
        b = rng.pick(ROAD_PARTS);
    }
    format!("{a}{b}{}", if rng.chance(50) { "苑路" } else { "路" })
}

/// Client `i` (1-based). Every random choice comes from a generator seeded by
/// `i`, so client i is the same whatever N is.
fn client(i: u64) -> Client {
    let mut rng = Rng(0xDA7A_5EED ^ i.wrapping_mul(0x2545_F491_4F6C_DD1D));
    let company = rng.chance(25);
    let id = format!("GEN-{i:06}");
    let (district_code, district) = *rng.pick(DISTRICTS);

    // Unique mobile: the last 8 digits are an affine bijection of i mod 10^8.
    let phone = format!(
        "{}{:08}",
        rng.pick(MOBILE_PREFIXES),
        (i.wrapping_mul(7_919_393) + 12_345_678) % 100_000_000
    );

    let (name, email, address, code, tags, notes) = if company {
        let (brand, brand_py) = *rng.pick(BRANDS);
        let (trade, tag, mailbox) = *rng.pick(TRADES);
        let name = format!(
            "上海{brand}{}{trade}",
            if rng.chance(50) {
                ""
            } else {
                *rng.pick(&["实业", "集团", "控股", "发展"][..])
            }
        );
        let email = format!("{brand_py}.{mailbox}{i}@example.com");
        let address = format!(
            "上海市{district}{}{}号{}",
            road(&mut rng),
            rng.range(1, 3999),
            rng.pick(&["", "1楼", "B1", "3幢", "管理处", "12层"][..])
        );
        // 91 (enterprise) + district code + 9-character organisation code.
        let mut first17 = format!("91{district_code}");
        for _ in 0..9 {
            first17.push(CREDIT_ALPHABET[rng.range(0, 30) as usize] as char);
        }
        let code = format!("{first17}{}", credit_code_check(&first17));
        let mut tags = vec![tag];
        if rng.chance(60) {
            let t = *rng.pick(COMPANY_TAGS);
            if t != tag {
                tags.push(t);
            }
        }
        let notes = rng.chance(40).then(|| *rng.pick(CLIENT_NOTES));
        (name, email, address, code, tags, notes)
    } else {
        let (sur, sur_py) = *rng.pick(SURNAMES);
        let (g1, g1_py) = *rng.pick(GIVEN);
        let (name, given_py) = if rng.chance(60) {
            let (g2, g2_py) = *rng.pick(GIVEN);
            (format!("{sur}{g1}{g2}"), format!("{g1_py}{g2_py}"))
        } else {
            (format!("{sur}{g1}"), g1_py.to_string())
        };
        let birth = date_between(&mut rng, date(1945, 1, 1), date(2004, 12, 31));
        let email = match rng.range(0, 2) {
            0 => format!("{sur_py}{given_py}{i}@example.com"),
            1 => format!("{sur_py}.{given_py}{}.{i}@example.com", birth.year() % 100),
            _ => format!("{given_py}.{sur_py}{i}.home@example.com"),
        };
        let address = format!(
            "上海市{district}{}{}弄{}号{}{:02}室",
            road(&mut rng),
            rng.range(1, 2000),
            rng.range(1, 40),
            rng.range(1, 30),
            rng.range(1, 4)
        );
        let first17 = format!(
            "{district_code}{}{:03}",
            birth.format("%Y%m%d"),
            rng.range(1, 999)
        );
        let code = format!("{first17}{}", id_number_check(&first17));
        let mut tags = vec![*rng.pick(INDIVIDUAL_TAGS)];
        if rng.chance(40) {
            let t = *rng.pick(INDIVIDUAL_TAGS);
            if t != tags[0] {
                tags.push(t);
            }
        }
        let notes = rng.chance(30).then(|| *rng.pick(CLIENT_NOTES));
        (name, email, address, code, tags, notes)
    };

    // Consent first; contracts follow; the last service falls in the 12 months
    // before handover so no record is flagged as inactive.
    let consent = date_between(&mut rng, date(2021, 1, 4), date(2025, 6, 30));
    let n_contracts = rng.range(1, 3) as usize;
    let mut contracts = Vec::with_capacity(n_contracts);
    let mut start = consent + Duration::days(rng.range(3, 30) as i64);
    let base = if company {
        rng.range(60_000, 480_000)
    } else {
        rng.range(3_000, 16_000)
    } * 100;
    for k in 0..n_contracts {
        let end = start.checked_add_months(chrono::Months::new(12)).unwrap() - Duration::days(1);
        let amount = base + rng.range(0, 30) * (base / 100) / 10 * 10;
        let file = rng.chance(5).then(|| *rng.pick(ATTACHMENTS));
        contracts.push(Contract {
            id: format!("C-{}-G{i:06}{}", start.year(), k + 1),
            signed: start - Duration::days(rng.range(1, 14) as i64),
            start,
            end,
            amount,
            file,
        });
        start = end + Duration::days(1);
    }

    let last = date_between(&mut rng, date(2025, 12, 20), date(2026, 12, 10));
    let first = contracts[0].start.min(last);
    let n_services = rng.range(3, 12) as usize;
    let mut dates: Vec<NaiveDate> = (1..n_services)
        .map(|_| date_between(&mut rng, first, last))
        .collect();
    dates.sort();
    dates.push(last);
    let services = dates
        .into_iter()
        .map(|d| Service {
            date: d,
            kind: rng.word(SERVICE_TYPES),
            staff: rng.word(STAFF),
            notes: rng.chance(30).then(|| *rng.pick(SERVICE_NOTES)),
        })
        .collect();

    let n_payments = rng.range(2, 10) as usize;
    // Payments fall within the contracts (plus a month's grace), not after handover.
    let pay_until = (contracts[n_contracts - 1].end + Duration::days(30)).min(date(2026, 12, 10));
    let mut pay_dates: Vec<NaiveDate> = (0..n_payments)
        .map(|_| date_between(&mut rng, contracts[0].start, pay_until))
        .collect();
    pay_dates.sort();
    let total: u64 = contracts.iter().map(|c| c.amount).sum();
    let each = (total / n_payments as u64) / 100 * 100;
    let payments = pay_dates
        .into_iter()
        .enumerate()
        .map(|(k, d)| Payment {
            date: d,
            amount: each,
            method: rng.word(METHODS),
            invoice: rng
                .chance(60)
                .then(|| format!("INV-{}-G{i:06}{:02}", d.year(), k + 1)),
        })
        .collect();

    Client {
        id,
        name,
        company,
        phone,
        email,
        address,
        code,
        consent,
        tags,
        services,
        contracts,
        payments,
        notes,
    }
}

/// Quoted YAML scalar (double quotes; the data has no quotes or backslashes).
fn q(s: &str) -> String {
    debug_assert!(!s.contains(['"', '\\']));
    format!("\"{s}\"")
}

fn client_yaml(c: &Client) -> String {
    let mut y = String::with_capacity(2048);
    let _ = writeln!(y, "id: {}", c.id);
    let _ = writeln!(y, "name: {}", q(&c.name));
    let _ = writeln!(
        y,
        "kind: {}",
        if c.company { "company" } else { "individual" }
    );
    let _ = writeln!(
        y,
        "contact: {{phone: {}, email: {}, address: {}}}",
        q(&c.phone),
        q(&c.email),
        q(&c.address)
    );
    let _ = writeln!(
        y,
        "{}: {}",
        if c.company {
            "credit_code"
        } else {
            "id_number"
        },
        q(&c.code)
    );
    let _ = writeln!(y, "consent: {{given: true, date: {}}}", c.consent);
    let _ = writeln!(y, "tags: [{}]", c.tags.join(", "));
    y.push_str("services:\n");
    for s in &c.services {
        let _ = write!(
            y,
            "  - {{date: {}, type: {}, staff: {}",
            s.date, s.kind, s.staff
        );
        if let Some(n) = s.notes {
            let _ = write!(y, ", notes: {}", q(n));
        }
        y.push_str("}\n");
    }
    y.push_str("contracts:\n");
    for k in &c.contracts {
        let _ = write!(
            y,
            "  - {{id: {}, signed: {}, start: {}, end: {}, amount: {}",
            k.id,
            k.signed,
            k.start,
            k.end,
            money(k.amount)
        );
        if let Some(f) = k.file {
            let _ = write!(y, ", file: {}", q(f));
        }
        y.push_str("}\n");
    }
    y.push_str("payments:\n");
    for p in &c.payments {
        let _ = write!(
            y,
            "  - {{date: {}, amount: {}, method: {}",
            p.date,
            money(p.amount),
            p.method
        );
        if let Some(inv) = &p.invoice {
            let _ = write!(y, ", invoice: {}", q(inv));
        }
        y.push_str("}\n");
    }
    if let Some(n) = c.notes {
        let _ = writeln!(y, "notes: {}", q(n));
    }
    y
}

/// One Hugo page: front matter and the same fields as Markdown tables.
fn client_markdown(c: &Client) -> String {
    let mut m = String::with_capacity(4096);
    let _ = writeln!(
        m,
        "---\ntitle: {}\nslug: {}\n---\n",
        q(&format!("{} {}", c.id, c.name)),
        c.id
    );
    m.push_str("| 字段 | 值 |\n|---|---|\n");
    let _ = writeln!(m, "| 编号 | {} |", c.id);
    let _ = writeln!(m, "| 名称 | {} |", c.name);
    let _ = writeln!(m, "| 类型 | {} |", if c.company { "单位" } else { "个人" });
    let _ = writeln!(m, "| 电话 | {} |", c.phone);
    let _ = writeln!(m, "| 邮箱 | {} |", c.email);
    let _ = writeln!(m, "| 地址 | {} |", c.address);
    let _ = writeln!(
        m,
        "| {} | {} |",
        if c.company {
            "统一社会信用代码"
        } else {
            "身份证号"
        },
        c.code
    );
    let _ = writeln!(m, "| 授权 | 已授权（{}） |", c.consent);
    let _ = writeln!(m, "| 标签 | {} |", c.tags.join("、"));
    if let Some(n) = c.notes {
        let _ = writeln!(m, "| 备注 | {n} |");
    }
    m.push_str("\n## 服务记录\n\n| 日期 | 项目 | 人员 | 备注 |\n|---|---|---|---|\n");
    for s in &c.services {
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} |",
            s.date,
            s.kind,
            s.staff,
            s.notes.unwrap_or("")
        );
    }
    m.push_str(
        "\n## 合同\n\n| 编号 | 签订 | 开始 | 结束 | 金额 | 附件 |\n|---|---|---|---|--:|---|\n",
    );
    for k in &c.contracts {
        let file = k
            .file
            .map(|f| format!("[{}](/{f})", f.rsplit('/').next().unwrap_or(f)))
            .unwrap_or_default();
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} | ¥{} | {file} |",
            k.id,
            k.signed,
            k.start,
            k.end,
            money(k.amount)
        );
    }
    m.push_str("\n## 付款\n\n| 日期 | 金额 | 方式 | 发票 |\n|---|--:|---|---|\n");
    for p in &c.payments {
        let _ = writeln!(
            m,
            "| {} | ¥{} | {} | {} |",
            p.date,
            money(p.amount),
            p.method,
            p.invoice.as_deref().unwrap_or("")
        );
    }
    m
}

const HUGO_CONFIG: &str = r#"baseURL = "/"
languageCode = "zh-cn"
title = "客户资料（Hugo 对照）"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
[markup.goldmark.renderer]
unsafe = false
"#;

/// The one real layout: a client page.
const HUGO_SINGLE: &str = r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ .Title }} · {{ .Site.Title }}</title></head>
<body><nav><a href="{{ "clients/" | relURL }}">客户</a></nav>
<main><h1>{{ .Title }}</h1>
{{ .Content }}
</main></body></html>
"#;

/// The client index (the home page and the section list).
const HUGO_LIST: &str = r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><h1>{{ .Title }}</h1><ul>{{ range .Site.RegularPages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul></body></html>
"#;

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// The example's settings, its audiences, NDA and watermark kept or dropped.
fn write_room(n: u64, out: &Path, audiences: bool) -> std::io::Result<()> {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("example-dataroom");
    fs::create_dir_all(out)?;
    let settings = fs::read_to_string(example.join("dataroom.yaml"))?;
    let settings = match audiences {
        true => settings,
        false => without_audiences::settings(&settings),
    };
    fs::write(out.join("dataroom.yaml"), settings)?;
    for dir in ["policies", "checklists", "training", "attachments"] {
        copy_dir(&example.join(dir), &out.join(dir))?;
    }
    let clients = out.join("clients");
    fs::create_dir_all(&clients)?;
    for i in 1..=n {
        let c = client(i);
        fs::write(clients.join(format!("{}.yaml", c.id)), client_yaml(&c))?;
    }
    Ok(())
}

fn write_hugo(n: u64, out: &Path) -> std::io::Result<()> {
    fs::create_dir_all(out.join("layouts/_default"))?;
    fs::write(out.join("config.toml"), HUGO_CONFIG)?;
    fs::write(out.join("layouts/_default/single.html"), HUGO_SINGLE)?;
    fs::write(out.join("layouts/_default/list.html"), HUGO_LIST)?;
    let content = out.join("content/clients");
    fs::create_dir_all(&content)?;
    fs::write(content.join("_index.md"), "---\ntitle: \"客户\"\n---\n")?;
    fs::write(
        out.join("content/_index.md"),
        "---\ntitle: \"客户资料\"\n---\n",
    )?;
    // Contract links point at the same attachments as in the room.
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("example-dataroom");
    copy_dir(
        &example.join("attachments"),
        &out.join("static/attachments"),
    )?;
    for i in 1..=n {
        let c = client(i);
        fs::write(content.join(format!("{}.md", c.id)), client_markdown(&c))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (hugo, audiences, rest) = match args.first().map(String::as_str) {
        Some("--hugo") => (true, false, &args[1..]),
        Some("--audiences") => (false, true, &args[1..]),
        _ => (false, false, &args[..]),
    };
    let (Some(n), Some(out), 2) = (
        rest.first().and_then(|s| s.parse::<u64>().ok()),
        rest.get(1),
        rest.len(),
    ) else {
        eprintln!("usage: gen_room [--hugo | --audiences] N OUT_DIR");
        return ExitCode::from(2);
    };
    if n == 0 || n > 999_999 {
        eprintln!("N must be between 1 and 999999");
        return ExitCode::from(2);
    }
    let out = PathBuf::from(out);
    let result = if hugo {
        write_hugo(n, &out)
    } else {
        write_room(n, &out, audiences)
    };
    match result {
        Ok(()) => {
            eprintln!(
                "wrote {n} clients to {}{}",
                out.display(),
                if hugo { " (Hugo site)" } else { "" }
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_room: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_characters_match_the_standards() {
        // GB 11643 worked example; GB 32100 sample code.
        assert_eq!(id_number_check("11010519491231002"), 'X');
        assert_eq!(credit_code_check("91350100M000100Y4"), '3');
    }
}
