//! Data-quality findings (数据清洗). These are warnings: the build goes on, and
//! `check --strict` turns them into errors.

use std::collections::HashMap;

use chrono::{Months, NaiveDate};

use super::diagnostic::{Diagnostic, Loc, Wording};
use super::model::{Client, ClientKind};

/// Full-width digits and separators typed with a Chinese IME become ASCII; spaces,
/// dashes and brackets go; a +86 / 0086 country prefix is dropped.
pub fn normalize_phone(raw: &str) -> String {
    let mut digits = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '＋' => '+',
            _ => c,
        };
        if c.is_ascii_digit() || c == '+' {
            digits.push(c);
        }
    }
    for prefix in ["+86", "0086"] {
        if let Some(rest) = digits.strip_prefix(prefix) {
            return rest.to_string();
        }
    }
    if digits.len() == 13 && digits.starts_with("861") {
        return digits[2..].to_string();
    }
    digits
}

/// A mainland mobile (1[3-9] + 9 digits) or a landline with area code (0 + 2–3
/// digit area code + 7–8 digit number).
pub fn is_valid_phone(raw: &str) -> bool {
    let p = normalize_phone(raw);
    let b = p.as_bytes();
    let all_digits = b.iter().all(u8::is_ascii_digit);
    let mobile = b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]);
    let landline = (10..=12).contains(&b.len()) && b[0] == b'0' && b[1] != b'0';
    all_digits && (mobile || landline)
}

/// GB 11643 check character of an 18-character resident ID number.
pub fn id_number_check_char(first17: &str) -> Option<char> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += c.to_digit(10)? * w;
    }
    Some(CHECK[(sum % 11) as usize])
}

pub fn is_valid_id_number(id: &str) -> bool {
    let id = id.trim().to_ascii_uppercase();
    id.len() == 18
        && id.is_char_boundary(17)
        && id_number_check_char(&id[..17]) == id.chars().nth(17)
}

const CREDIT_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// GB 32100 check character of an 18-character unified social credit code.
pub fn credit_code_check_char(first17: &str) -> Option<char> {
    const WEIGHTS: [usize; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    if first17.chars().count() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += CREDIT_ALPHABET.find(c)? * w;
    }
    CREDIT_ALPHABET.chars().nth((31 - sum % 31) % 31)
}

pub fn is_valid_credit_code(code: &str) -> bool {
    let code = code.trim().to_ascii_uppercase();
    code.len() == 18
        && code.is_char_boundary(17)
        && credit_code_check_char(&code[..17]) == code.chars().nth(17)
}

/// Findings about each client alone, then about clients that share a phone or e-mail.
/// Their words come from the message catalogue (`finding_<key>_message` / `_fix`).
pub fn check_quality(clients: &[Client], today: NaiveDate) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let year_ago = today.checked_sub_months(Months::new(12)).unwrap_or(today);
    for c in clients {
        let warn = |code, key, field: &str, loc: Option<Loc>, args: Vec<(&'static str, String)>| {
            Diagnostic::finding(
                code,
                &c.file,
                loc.unwrap_or(c.locs.id),
                Some((&c.id, field)),
                Wording {
                    key,
                    args,
                    lists: vec![],
                },
            )
        };
        if let Some(phone) = &c.contact.phone {
            if !is_valid_phone(phone) {
                out.push(warn(
                    "phone-invalid",
                    "phone_invalid",
                    "contact.phone",
                    c.locs.phone,
                    vec![("phone", phone.clone())],
                ));
            }
        }
        if let Some(id) = &c.id_number {
            if !is_valid_id_number(id) {
                let expected = id.get(..17).and_then(id_number_check_char);
                out.push(match expected {
                    Some(ch) => warn(
                        "id-number-invalid",
                        "id_number_check_char",
                        "id_number",
                        c.locs.id_number,
                        vec![("char", ch.to_string())],
                    ),
                    None => warn(
                        "id-number-invalid",
                        "id_number_invalid",
                        "id_number",
                        c.locs.id_number,
                        vec![],
                    ),
                });
            }
        }
        if let Some(code) = &c.credit_code {
            if !is_valid_credit_code(code) {
                out.push(warn(
                    "credit-code-invalid",
                    "credit_code_invalid",
                    "credit_code",
                    c.locs.credit_code,
                    vec![],
                ));
            }
        }
        match &c.consent {
            None => out.push(warn(
                "consent-missing",
                "consent_missing",
                "consent",
                None,
                vec![],
            )),
            Some(consent) if !consent.given => out.push(warn(
                "consent-missing",
                "consent_refused",
                "consent",
                c.locs.consent,
                vec![],
            )),
            _ => {}
        }
        if c.kind == ClientKind::Individual && c.credit_code.is_some() {
            out.push(warn(
                "kind-mismatch",
                "kind_mismatch",
                "credit_code",
                c.locs.credit_code,
                vec![],
            ));
        }
        match c.last_service() {
            Some(last) if last < year_ago => out.push(warn(
                "no-recent-service",
                "no_recent_service",
                "services",
                c.locs.services,
                vec![("today", today.to_string()), ("last", last.to_string())],
            )),
            _ => {}
        }
    }
    duplicates(clients, &mut out, "contact.phone", "phone-shared", |c| {
        c.contact
            .phone
            .as_deref()
            .map(normalize_phone)
            .filter(|p| !p.is_empty())
            .map(|p| (p, c.locs.phone))
    });
    duplicates(clients, &mut out, "contact.email", "email-shared", |c| {
        c.contact
            .email
            .as_deref()
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty())
            .map(|e| (e, c.locs.email))
    });
    out
}

fn duplicates(
    clients: &[Client],
    out: &mut Vec<Diagnostic>,
    field: &str,
    code: &'static str,
    key: impl Fn(&Client) -> Option<(String, Option<Loc>)>,
) {
    let mut by_value: HashMap<String, Vec<(&Client, Option<Loc>)>> = HashMap::new();
    for c in clients {
        if let Some((k, loc)) = key(c) {
            by_value.entry(k).or_default().push((c, loc));
        }
    }
    for group in by_value.values().filter(|g| g.len() > 1) {
        let ids: Vec<&str> = group.iter().map(|(c, _)| c.id.as_str()).collect();
        for (c, loc) in group {
            let others: Vec<&str> = ids.iter().filter(|i| **i != c.id).copied().collect();
            out.push(Diagnostic::finding(
                code,
                &c.file,
                loc.unwrap_or(c.locs.id),
                Some((&c.id, field)),
                Wording {
                    key: "shared",
                    args: vec![],
                    lists: vec![("others", others.iter().map(|s| s.to_string()).collect())],
                },
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert!(is_valid_phone("13812345678"));
        assert!(is_valid_phone("+86 138 1234 5678"));
        assert!(is_valid_phone("１３８１２３４５６７８"));
        assert!(is_valid_phone("021-64381234"));
        assert!(!is_valid_phone("1381234567"));
        assert!(!is_valid_phone("12812345678"));
        assert!(!is_valid_phone("abc"));
    }

    #[test]
    fn id_numbers() {
        // GB 11643 worked example.
        assert!(is_valid_id_number("11010519491231002X"));
        assert!(!is_valid_id_number("110105194912310021"));
        assert!(!is_valid_id_number("11010519491231002"));
        assert_eq!(id_number_check_char("31010119900307123"), Some('0'));
    }

    #[test]
    fn credit_codes() {
        assert!(is_valid_credit_code("91350100M000100Y43"));
        assert!(!is_valid_credit_code("91350100M000100Y44"));
        assert!(!is_valid_credit_code("91350100M000100Y4"));
    }
}
