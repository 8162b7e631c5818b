//! A cell → the value a client record holds. Each conversion returns the
//! problem's catalogue key (`import_<key>_message` / `_fix`) when the cell
//! cannot be taken as it is.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::table::Cell;

/// The shortest decimal text that reads back as `f` (Rust prints floats that
/// way, never with an exponent), so 1234.56 stays 1234.56 and not 1234.5599….
fn shortest(f: f64) -> String {
    format!("{f}")
}

/// Text as the seller sees it. A number becomes its shortest digits (a phone
/// 13812345678 stored as a number becomes "13812345678", no `.0`).
pub fn text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Empty => None,
        Cell::Text(t) => Some(t.trim().to_string()).filter(|t| !t.is_empty()),
        Cell::Int(i) => Some(i.to_string()),
        Cell::Float(f) => Some(shortest(*f)),
        Cell::Bool(b) => Some(b.to_string()),
        Cell::Date(d) => Some(d.to_string()),
        Cell::Error(e) => Some(e.clone()),
    }
}

/// Text in exponent form (`1.38123E+10`): what a CSV holds when Excel showed a
/// long number in scientific notation; the digits are gone.
fn is_exponent_form(t: &str) -> bool {
    let t = t.trim();
    let Some((mantissa, exponent)) = t.split_once(['e', 'E']) else {
        return false;
    };
    !mantissa.is_empty()
        && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        && exponent
            .trim_start_matches(['+', '-'])
            .chars()
            .all(|c| c.is_ascii_digit())
        && !exponent.trim_start_matches(['+', '-']).is_empty()
}

/// A phone number: digits as text. A whole number stored by Excel is fine (a
/// phone has at most 15 digits, which a float keeps exactly).
pub fn phone(cell: &Cell) -> Result<Option<String>, &'static str> {
    match cell {
        Cell::Float(f) if f.fract() != 0.0 || f.abs() >= 1e15 => Err("phone"),
        Cell::Text(t) if is_exponent_form(t) => Err("digits_lost"),
        _ => Ok(text(cell)),
    }
}

/// An 身份证号 or 统一社会信用代码: 18 characters Excel cannot keep as a number
/// (it keeps 15 significant digits), so a number means digits are already lost.
pub fn identifier(cell: &Cell) -> Result<Option<String>, &'static str> {
    match cell {
        Cell::Int(_) | Cell::Float(_) => Err("digits_lost"),
        Cell::Text(t) if is_exponent_form(t) => Err("digits_lost"),
        _ => Ok(text(cell)),
    }
}

/// A date from a date cell, a serial number, or text written
/// 2024-03-01, 2024-3-1, 2024/3/1, 2024.3.1, 2024年3月1日 or 20240301.
pub fn date(cell: &Cell) -> Result<Option<NaiveDate>, &'static str> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Date(d) => Ok(Some(*d)),
        Cell::Int(i) => serial(*i as f64).map(Some),
        Cell::Float(f) => serial(*f).map(Some),
        Cell::Text(t) if t.trim().is_empty() => Ok(None),
        Cell::Text(t) => date_text(t.trim()).map(Some).ok_or("date"),
        Cell::Bool(_) | Cell::Error(_) => Err("date"),
    }
}

/// An Excel serial day number (1900 epoch, as Excel counts it).
fn serial(value: f64) -> Result<NaiveDate, &'static str> {
    if (19_000_101.0..=29_991_231.0).contains(&value) && value.fract() == 0.0 {
        return date_text(&shortest(value)).ok_or("date");
    }
    if !(1.0..2_958_466.0).contains(&value) {
        return Err("date");
    }
    let dt = calamine::ExcelDateTime::new(value, calamine::ExcelDateTimeType::DateTime, false);
    let (y, m, d, ..) = dt.to_ymd_hms_milli();
    NaiveDate::from_ymd_opt(y.into(), m.into(), d.into()).ok_or("date")
}

fn date_text(t: &str) -> Option<NaiveDate> {
    // A time after the date (`2024-03-01 00:00:00`) is dropped.
    let t = t.split_whitespace().next().unwrap_or(t);
    let t = t.strip_suffix('日').unwrap_or(t);
    if t.len() == 8 && t.chars().all(|c| c.is_ascii_digit()) {
        return NaiveDate::parse_from_str(t, "%Y%m%d").ok();
    }
    let parts: Vec<&str> = t.split(['-', '/', '.', '年', '月']).collect();
    let [y, m, d] = parts[..] else {
        return None;
    };
    if y.len() != 4 || m.is_empty() || m.len() > 2 || d.is_empty() || d.len() > 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// An amount in yuan, exact, with two decimals. A float Excel computed
/// (0.1 + 0.2 = 0.30000000000000004) is rounded to cents only when it is within
/// float noise of them; a real third decimal is refused, never rounded away.
pub fn amount(cell: &Cell) -> Result<Option<Decimal>, &'static str> {
    let parsed = match cell {
        Cell::Empty => return Ok(None),
        Cell::Text(t) if t.trim().is_empty() => return Ok(None),
        Cell::Int(i) => Decimal::from(*i),
        Cell::Float(f) => {
            let exact = Decimal::from_str(&shortest(*f)).map_err(|_| "amount")?;
            let cents = exact.round_dp(2);
            if (exact - cents).abs() > Decimal::new(1, 9) {
                return Err("amount");
            }
            cents
        }
        Cell::Text(t) => {
            let cleaned: String = t
                .trim()
                .trim_start_matches(['¥', '￥'])
                .trim_end_matches('元')
                .chars()
                .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
                .collect();
            if is_exponent_form(&cleaned) {
                return Err("amount");
            }
            Decimal::from_str(&cleaned).map_err(|_| "amount")?
        }
        Cell::Bool(_) | Cell::Date(_) | Cell::Error(_) => return Err("amount"),
    };
    if parsed.is_sign_negative() || parsed.scale() > 2 {
        return Err("amount");
    }
    let mut cents = parsed;
    cents.rescale(2);
    Ok(Some(cents))
}

/// 是/否 (and yes/no, y/n, true/false, 1/0, 同意/不同意).
pub fn yes_no(cell: &Cell) -> Result<Option<bool>, &'static str> {
    if let Cell::Bool(b) = cell {
        return Ok(Some(*b));
    }
    let Some(t) = text(cell) else {
        return Ok(None);
    };
    match t.to_lowercase().as_str() {
        "是" | "同意" | "已同意" | "yes" | "y" | "true" | "1" | "√" => Ok(Some(true)),
        "否" | "不同意" | "未同意" | "no" | "n" | "false" | "0" | "×" => Ok(Some(false)),
        _ => Err("consent"),
    }
}

/// 个人/企业 → the record's `kind`.
pub fn kind(cell: &Cell) -> Result<&'static str, &'static str> {
    let Some(t) = text(cell) else {
        return Ok("individual");
    };
    match t.to_lowercase().as_str() {
        "个人" | "individual" | "person" => Ok("individual"),
        "企业" | "公司" | "单位" | "company" | "organisation" | "organization" => {
            Ok("company")
        }
        _ => Err("kind"),
    }
}

/// Tags separated by 、，,;；.
pub fn tags(cell: &Cell) -> Vec<String> {
    text(cell)
        .map(|t| {
            t.split(['、', '，', ',', ';', '；'])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn numeric_phones_become_their_digits() {
        assert_eq!(
            phone(&Cell::Float(13812345678.0)),
            Ok(Some("13812345678".into()))
        );
        assert_eq!(
            phone(&Cell::Int(13812345678)),
            Ok(Some("13812345678".into()))
        );
        assert_eq!(phone(&Cell::Text("1.38123E+10".into())), Err("digits_lost"));
        assert_eq!(phone(&Cell::Float(138.5)), Err("phone"));
    }

    #[test]
    fn identifiers_stored_as_numbers_are_refused() {
        assert_eq!(
            identifier(&Cell::Float(310101199001011000.0)),
            Err("digits_lost")
        );
        assert_eq!(
            identifier(&Cell::Text("3.10101E+17".into())),
            Err("digits_lost")
        );
        assert_eq!(
            identifier(&Cell::Text("11010519491231002X".into())),
            Ok(Some("11010519491231002X".into()))
        );
    }

    #[test]
    fn dates_from_serials_and_the_ways_people_write_them() {
        assert_eq!(date(&Cell::Float(45352.0)), Ok(d(2024, 3, 1)));
        assert_eq!(date(&Cell::Int(45352)), Ok(d(2024, 3, 1)));
        for t in [
            "2024-03-01",
            "2024-3-1",
            "2024/3/1",
            "2024.3.1",
            "2024年3月1日",
            "2024年3月1",
            "20240301",
            "2024-03-01 00:00:00",
        ] {
            assert_eq!(date(&Cell::Text(t.into())), Ok(d(2024, 3, 1)), "{t}");
        }
        for bad in ["2024-02-30", "3/1/2024", "明天", "2024-13-01", "24-3-1"] {
            assert_eq!(date(&Cell::Text(bad.into())), Err("date"), "{bad}");
        }
        assert_eq!(date(&Cell::Float(-3.0)), Err("date"));
    }

    #[test]
    fn amounts_are_exact_cents() {
        let cents = |s: &str| Ok(Some(Decimal::from_str(s).expect("decimal")));
        assert_eq!(amount(&Cell::Float(1234.56)), cents("1234.56"));
        assert_eq!(amount(&Cell::Float(0.1 + 0.2)), cents("0.30"));
        assert_eq!(amount(&Cell::Int(12000)), cents("12000.00"));
        assert_eq!(amount(&Cell::Text("¥1,299.5".into())), cents("1299.50"));
        assert_eq!(
            amount(&Cell::Float(1234.56)).map(|a| a.map(|a| a.to_string())),
            Ok(Some("1234.56".into()))
        );
        assert_eq!(amount(&Cell::Float(12.345)), Err("amount"));
        assert_eq!(amount(&Cell::Text("12.345".into())), Err("amount"));
        assert_eq!(amount(&Cell::Text("-5".into())), Err("amount"));
        assert_eq!(amount(&Cell::Text("一千".into())), Err("amount"));
    }

    #[test]
    fn tags_split_on_chinese_and_ascii_separators() {
        assert_eq!(
            tags(&Cell::Text("长期客户、写字楼，VIP,a;b；c".into())),
            ["长期客户", "写字楼", "VIP", "a", "b", "c"]
        );
    }

    #[test]
    fn consent_and_kind_words() {
        assert_eq!(yes_no(&Cell::Text("是".into())), Ok(Some(true)));
        assert_eq!(yes_no(&Cell::Text("否".into())), Ok(Some(false)));
        assert_eq!(yes_no(&Cell::Text("也许".into())), Err("consent"));
        assert_eq!(kind(&Cell::Text("企业".into())), Ok("company"));
        assert_eq!(kind(&Cell::Empty), Ok("individual"));
        assert_eq!(kind(&Cell::Text("机构?".into())), Err("kind"));
    }
}
