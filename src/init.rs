//! `dataroom init`: a small valid room to start from.

use std::fs;
use std::path::Path;

use dataroom::i18n::Wording;

const FILES: &[(&str, &str)] = &[
    (
        "dataroom.yaml",
        "# Room settings. See the README for every field.\n\
title: \"示例保洁公司 客户资料移交\"\n\
public_title: \"数据室\"      # shown on the lock screen; keep it neutral\n\
language: zh-CN             # zh-CN or en\n\
seller: {name: \"示例保洁有限公司\", contact: \"王经理 13800000000\"}\n\
buyer: {name: \"示例物业有限公司\", contact: \"李经理 13900000000\"}\n\
handover_date: 2026-12-31\n\
retention:\n\
  - {category: contracts, years_after: contract_end, years: 3}\n",
    ),
    (
        "clients/HX-00001.yaml",
        "id: HX-00001\n\
name: \"张三\"\n\
kind: individual\n\
contact: {phone: \"13812345678\", email: \"zhangsan@example.com\", address: \"上海市徐汇区示例路1号\"}\n\
consent: {given: true, date: 2026-01-05}\n\
tags: [长期客户]\n\
services:\n\
  - {date: 2026-03-01, type: 日常保洁, staff: 李娜, notes: \"钥匙存放在物业\"}\n\
contracts:\n\
  - {id: C-2026-001, signed: 2026-01-05, start: 2026-01-10, end: 2027-01-09, amount: 6000.00, file: attachments/C-2026-001.txt}\n\
payments:\n\
  - {date: 2026-01-10, amount: 3000.00, method: 银行转账, invoice: INV-0001}\n",
    ),
    (
        "attachments/C-2026-001.txt",
        "Example contract C-2026-001. Replace with the scanned contract (PDF).\n",
    ),
    (
        "policies/nda.md",
        "---\ntitle: 保密协议\norder: 1\nsummary: 买卖双方对客户资料的保密责任\n---\n\n# 保密协议\n\n双方对移交的客户资料负有保密义务。\n",
    ),
    (
        "checklists/handover.md",
        "---\ntitle: 现场移交清单\n---\n\n- [ ] 核对客户数量\n- [ ] 核对 SHA256SUMS 与签名\n- [ ] 双方签署移交确认书\n",
    ),
    (
        "training/01-basics.md",
        "---\ntitle: 客户资料保护基础\norder: 1\nduration: 15\naudience: 新员工\npass_mark: 80\n---\n\n客户资料必须加密存储。\n\n```quiz\nquestion: 客户资料应如何存储？\nchoices: [明文存放在共享盘, 加密存储]\nanswer: 1\nexplanation: 加密存储防止未经授权的访问。\n```\n",
    ),
];

pub fn scaffold(dir: &Path) -> Result<(), Wording> {
    if dir.exists()
        && fs::read_dir(dir)
            .map_err(|e| Wording::io_at("err_read", dir, &e))?
            .next()
            .is_some()
    {
        return Err(Wording::new("err_init_not_empty").path("dir", dir));
    }
    for (rel, content) in FILES {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| Wording::io_at("err_create", parent, &e))?;
        }
        fs::write(&path, content).map_err(|e| Wording::io_at("err_write", &path, &e))?;
    }
    Ok(())
}
