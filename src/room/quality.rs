//! Data-quality findings (数据清洗). These are warnings: the build goes on, and
//! `check --strict` turns them into errors.

use std::collections::HashMap;

use chrono::{Months, NaiveDate};
use rayon::prelude::*;

use super::diagnostic::{Diagnostic, Loc, Wording};
use super::model::{Client, ClientKind};

/// Full-width digits and plus signs typed with a Chinese IME become ASCII.
fn ascii_digits(raw: &str) -> String {
    raw.trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '＋' => '+',
            _ => c,
        })
        .collect()
}

/// The digits of a phone number (and a leading `+`), for numbers the phone
/// library cannot parse; a +86 / 0086 country prefix is dropped.
pub fn normalize_phone(raw: &str) -> String {
    let digits: String = ascii_digits(raw)
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    for prefix in ["+86", "0086"] {
        if let Some(rest) = digits.strip_prefix(prefix) {
            return rest.to_string();
        }
    }
    digits
}

/// What a client's phone number is, by libphonenumber's metadata with mainland
/// China as the default region (numbers without `+` are read as Chinese).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phone {
    /// A number someone can be reached on: a mobile, a landline, a foreign number.
    Personal {
        shown: String,
        key: String,
    },
    /// A company hotline (400, 800 and other freephone or shared-cost numbers):
    /// valid, but not a personal contact.
    Hotline {
        shown: String,
        key: String,
    },
    Invalid,
}

pub fn parse_phone(raw: &str) -> Phone {
    use phonenumber::{country, Mode, Type};
    let Ok(number) = phonenumber::parse(Some(country::Id::CN), ascii_digits(raw)) else {
        return Phone::Invalid;
    };
    // libphonenumber's `is_valid` is "its type is known", asked of the national
    // number written with its leading zeros, `number_type` without them: the
    // same question unless there are leading zeros (Italy's), so only then is
    // it asked twice. The regular expressions behind each were a quarter of
    // loading a room (issue 11).
    let kind = number.number_type(&phonenumber::metadata::DATABASE);
    let valid = if number.national().zeros() == 0 {
        kind != Type::Unknown
    } else {
        number.is_valid()
    };
    if !valid {
        return Phone::Invalid;
    }
    // Chinese numbers as a Chinese reader writes them (138 1234 5678, 021 6438 1234);
    // foreign ones with their country code.
    let domestic = number.code().value() == 86;
    let shown = number
        .format()
        .mode(if domestic {
            Mode::National
        } else {
            Mode::International
        })
        .to_string();
    // E.164 as the crate's formatter writes it, without the search for a
    // national format that mode does not use.
    let key = format!("+{}{}", number.code().value(), number.national());
    match kind {
        Type::TollFree | Type::SharedCost | Type::Uan | Type::PremiumRate => {
            Phone::Hotline { shown, key }
        }
        _ => Phone::Personal { shown, key },
    }
}

pub fn is_valid_phone(raw: &str) -> bool {
    parse_phone(raw) != Phone::Invalid
}

/// A phone number as the room shows it: libphonenumber's national format for
/// Chinese numbers, international for foreign ones, as written when invalid.
pub fn display_phone(raw: &str) -> String {
    shown_phone(raw, &parse_phone(raw))
}

/// [`display_phone`] of a number already parsed (`Contact::phone_parsed`).
pub fn shown_phone(raw: &str, parsed: &Phone) -> String {
    match parsed {
        Phone::Personal { shown, .. } | Phone::Hotline { shown, .. } => shown.clone(),
        Phone::Invalid => raw.trim().to_string(),
    }
}

/// The first two digits of a GB/T 2260 administrative division code: the
/// provinces, autonomous regions and municipalities (11–65), Taiwan (71), Hong
/// Kong (81), Macao (82) and the residence permits of Taiwan residents (83).
const PROVINCES: [&str; 35] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82", "83",
];

/// GB 11643 check character of an 18-character resident ID number, from its
/// first 17 characters (ASCII digits only).
pub fn id_number_check_char(first17: &str) -> Option<char> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(CHECK[(sum % 11) as usize])
}

/// Why a 身份证 number is not valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdNumberProblem {
    /// Not 17 digits and a digit or X.
    Shape,
    /// The first two digits are no province.
    Region,
    /// Digits 7–14 are no date, or one before 1900 or after `today`.
    BirthDate,
    /// The last character does not match the first 17 (GB 11643).
    CheckChar { expected: char },
}

/// Checks a 身份证 number (GB 11643, 18 characters) as of `today`.
pub fn check_id_number(raw: &str, today: NaiveDate) -> Result<(), IdNumberProblem> {
    let id = raw.trim().to_ascii_uppercase();
    let b = id.as_bytes();
    let shaped = b.len() == 18
        && b[..17].iter().all(u8::is_ascii_digit)
        && (b[17].is_ascii_digit() || b[17] == b'X');
    if !shaped {
        return Err(IdNumberProblem::Shape);
    }
    if !PROVINCES.contains(&&id[..2]) {
        return Err(IdNumberProblem::Region);
    }
    let born = NaiveDate::parse_from_str(&id[6..14], "%Y%m%d").ok();
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
    if !born.is_some_and(|d| d >= earliest && d <= today) {
        return Err(IdNumberProblem::BirthDate);
    }
    match id_number_check_char(&id[..17]) {
        Some(expected) if expected as u8 != b[17] => Err(IdNumberProblem::CheckChar { expected }),
        _ => Ok(()),
    }
}

const CREDIT_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// GB 32100 check character of an 18-character unified social credit code,
/// from its first 17 characters (all from the code's alphabet).
pub fn credit_code_check_char(first17: &str) -> Option<char> {
    const WEIGHTS: [usize; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += CREDIT_ALPHABET.find(c)? * w;
    }
    CREDIT_ALPHABET.chars().nth((31 - sum % 31) % 31)
}

/// Checks a 统一社会信用代码 (GB 32100): the registering authority (1–9, A, N,
/// Y), the entity type, the region (national 10… or a province), the
/// alphabet (no I, O, S, V, Z) and the check character.
pub fn is_valid_credit_code(raw: &str) -> bool {
    let code = raw.trim().to_ascii_uppercase();
    let b = code.as_bytes();
    b.len() == 18
        && b"123456789ANY".contains(&b[0])
        && (b'1'..=b'9').contains(&b[1])
        && b[2..8].iter().all(u8::is_ascii_digit)
        && (&code[2..4] == "10" || PROVINCES.contains(&&code[2..4]))
        && code.chars().all(|c| CREDIT_ALPHABET.contains(c))
        && credit_code_check_char(&code[..17]) == code.chars().nth(17)
}

/// Findings about each client alone, then about clients that share a phone or e-mail.
/// Their words come from the message catalogue (`finding_<key>_message` / `_fix`).
pub fn check_quality(clients: &[Client], today: NaiveDate) -> Vec<Diagnostic> {
    let year_ago = today.checked_sub_months(Months::new(12)).unwrap_or(today);
    // Each record's own findings in parallel (in the records' order); the
    // duplicates across records after.
    let per_client: Vec<Vec<Diagnostic>> = clients
        .par_iter()
        .map(|c| {
            let mut out = Vec::new();
            let warn = |code,
                        key: &'static str,
                        field: &str,
                        loc: Option<Loc>,
                        args: Vec<(&'static str, String)>| {
                Diagnostic::finding(
                    code,
                    &c.file,
                    loc.unwrap_or(c.locs.id.into()),
                    Some((&c.id, field)),
                    Wording {
                        key: key.into(),
                        args,
                        lists: vec![],
                        causes: vec![],
                    },
                )
            };
            if let Some(phone) = &c.contact.phone {
                if c.contact.phone_parsed == Some(Phone::Invalid) {
                    out.push(warn(
                        "phone-invalid",
                        "phone_invalid",
                        "contact.phone",
                        c.locs.phone.map(Loc::from),
                        vec![("phone", phone.trim().to_string())],
                    ));
                }
            }
            if let Some(id) = &c.id_number {
                if let Err(problem) = check_id_number(id, today) {
                    let id = id.trim();
                    let (key, args) = match problem {
                        IdNumberProblem::Shape => ("id_number_invalid", vec![]),
                        IdNumberProblem::Region => (
                            "id_number_region",
                            vec![("region", id.get(..2).unwrap_or(id).to_string())],
                        ),
                        IdNumberProblem::BirthDate => (
                            "id_number_birth_date",
                            vec![("date", id.get(6..14).unwrap_or(id).to_string())],
                        ),
                        IdNumberProblem::CheckChar { expected } => {
                            ("id_number_check_char", vec![("char", expected.to_string())])
                        }
                    };
                    out.push(warn(
                        "id-number-invalid",
                        key,
                        "id_number",
                        c.locs.id_number.map(Loc::from),
                        args,
                    ));
                }
            }
            if let Some(code) = &c.credit_code {
                if !is_valid_credit_code(code) {
                    out.push(warn(
                        "credit-code-invalid",
                        "credit_code_invalid",
                        "credit_code",
                        c.locs.credit_code.map(Loc::from),
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
                    c.locs.consent.map(Loc::from),
                    vec![],
                )),
                _ => {}
            }
            if c.kind == ClientKind::Individual && c.credit_code.is_some() {
                out.push(warn(
                    "kind-mismatch",
                    "kind_mismatch",
                    "credit_code",
                    c.locs.credit_code.map(Loc::from),
                    vec![],
                ));
            }
            match c.last_service() {
                Some(last) if last < year_ago => out.push(warn(
                    "no-recent-service",
                    "no_recent_service",
                    "services",
                    c.locs.latest_service.map(Loc::from),
                    vec![("today", today.to_string()), ("last", last.to_string())],
                )),
                _ => {}
            }
            out
        })
        .collect();
    let mut out: Vec<Diagnostic> = per_client.into_iter().flatten().collect();
    duplicates(clients, &mut out, "contact.phone", "phone-shared", |c| {
        c.contact
            .phone
            .as_deref()
            .map(|raw| match &c.contact.phone_parsed {
                Some(Phone::Personal { key, .. } | Phone::Hotline { key, .. }) => key.clone(),
                _ => normalize_phone(raw),
            })
            .filter(|p| !p.is_empty())
            .map(|p| (p, c.locs.phone.map(Loc::from)))
    });
    duplicates(clients, &mut out, "contact.email", "email-shared", |c| {
        c.contact
            .email
            .as_deref()
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty())
            .map(|e| (e, c.locs.email.map(Loc::from)))
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
                loc.unwrap_or(c.locs.id.into()),
                Some((&c.id, field)),
                Wording {
                    key: "shared".into(),
                    args: vec![],
                    lists: vec![("others", others.iter().map(|s| s.to_string()).collect())],
                    causes: vec![],
                },
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn handover() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 15).expect("date")
    }

    /// Phones as libphonenumber (CN default region) judges them: `Some(shown)` for a
    /// personal number with its national (or, abroad, international) form, `None`
    /// for an invalid one. Hotlines are in `hotlines` below.
    const PHONES: &[(&str, Option<&str>)] = &[
        ("13812345678", Some("138 1234 5678")),
        ("+86 138 1234 5678", Some("138 1234 5678")),
        ("0086 138 1234 5678", Some("138 1234 5678")),
        ("８６１３８１２３４５６７８", Some("138 1234 5678")),
        ("１３８１２３４５６７８", Some("138 1234 5678")),
        ("＋８６ １３８ １２３４ ５６７８", Some("138 1234 5678")),
        (" 138-1234-5678 ", Some("138 1234 5678")),
        ("021-64381234", Some("021 6438 1234")),
        ("021 6438 1234", Some("021 6438 1234")),
        ("(021) 6438-1234", Some("021 6438 1234")),
        ("+86 21 6438 1234", Some("021 6438 1234")),
        ("+86-10-6234-5678", Some("010 6234 5678")),
        ("010-62345678", Some("010 6234 5678")),
        ("0755-86013388", Some("0755 8601 3388")),
        ("+1 415 555 2671", Some("+1 415-555-2671")),
        ("+852 2123 4567", Some("+852 2123 4567")),
        ("14012345678", None),
        ("1381234567", None),
        ("138123456789", None),
        ("12812345678", None),
        ("000-12345678", None),
        ("abc", None),
        ("", None),
        ("1234", None),
        ("021-1234", None),
    ];

    #[test]
    fn phones_match_libphonenumber() {
        for (raw, shown) in PHONES {
            let got = match parse_phone(raw) {
                Phone::Personal { shown, .. } => Some(shown),
                Phone::Hotline { shown, .. } => panic!("{raw:?} is not a hotline ({shown})"),
                Phone::Invalid => None,
            };
            assert_eq!(got.as_deref(), *shown, "{raw:?}");
            assert_eq!(is_valid_phone(raw), shown.is_some(), "{raw:?}");
        }
    }

    #[test]
    fn hotlines_are_valid_but_not_personal() {
        for raw in ["400-820-8820", "4008208820", "800-820-8820", "8008208820"] {
            assert!(
                matches!(parse_phone(raw), Phone::Hotline { .. }),
                "{raw:?}: {:?}",
                parse_phone(raw)
            );
            assert!(is_valid_phone(raw), "{raw:?}");
        }
        assert_eq!(display_phone("4008208820"), "400 820 8820");
        assert_eq!(display_phone(" not a phone "), "not a phone");
    }

    /// `parse_phone` as it was, asking libphonenumber each question in full.
    fn parse_phone_asking_everything(raw: &str) -> Phone {
        use phonenumber::{country, Mode, Type};
        let Ok(number) = phonenumber::parse(Some(country::Id::CN), ascii_digits(raw)) else {
            return Phone::Invalid;
        };
        if !number.is_valid() {
            return Phone::Invalid;
        }
        let mode = if number.code().value() == 86 {
            Mode::National
        } else {
            Mode::International
        };
        let shown = number.format().mode(mode).to_string();
        let key = number.format().mode(Mode::E164).to_string();
        match number.number_type(&phonenumber::metadata::DATABASE) {
            Type::TollFree | Type::SharedCost | Type::Uan | Type::PremiumRate => {
                Phone::Hotline { shown, key }
            }
            _ => Phone::Personal { shown, key },
        }
    }

    proptest! {
        #[test]
        fn phones_are_judged_as_libphonenumber_asked_in_full_judges_them(
            prefix in proptest::sample::select(vec![
                "", "1", "13", "14", "17", "19", "0", "00", "010-", "021 ", "0755-", "400", "800",
                "+86 ", "+39 0", "+39 3", "+39 06", "+1 ", "+44 ", "+852 ", "+81 0", "+", "＋８６ ",
            ]),
            digits in "[0-9]{0,12}",
        ) {
            let raw = format!("{prefix}{digits}");
            prop_assert_eq!(parse_phone(&raw), parse_phone_asking_everything(&raw), "{}", raw);
        }
    }

    #[test]
    fn shared_phones_compare_the_number_not_its_spelling() {
        let key = |raw| match parse_phone(raw) {
            Phone::Personal { key, .. } | Phone::Hotline { key, .. } => key,
            Phone::Invalid => panic!("{raw} is valid"),
        };
        assert_eq!(key("021-64381234"), key("+86 21 6438 1234"));
        assert_eq!(key("13812345678"), key("＋８６ １３８ １２３４ ５６７８"));
    }

    use IdNumberProblem::*;

    /// 身份证 numbers, as python-stdnum's cn.ric judges them (GB 11643).
    const ID_NUMBERS: &[(&str, Result<(), IdNumberProblem>)] = &[
        ("11010519491231002X", Ok(())),
        ("11010519491231002x", Ok(())),
        (" 11010519491231002X ", Ok(())),
        ("310101199003071230", Ok(())),
        ("440305198801010011", Ok(())),
        ("650102200002291231", Ok(())), // 29 February 2000
        ("810000199901011236", Ok(())), // Hong Kong
        ("830000198505051235", Ok(())), // Taiwan residents' permit
        ("710000197001011238", Ok(())),
        ("540102197511114567", Ok(())),
        ("110101190001011236", Ok(())),
        ("110101202612151233", Ok(())), // born on the handover day
        ("110105194912310021", Err(CheckChar { expected: 'X' })),
        ("110101199902301231", Err(BirthDate)), // 30 February
        ("11010119991301123X", Err(BirthDate)), // month 13
        ("110101200102291237", Err(BirthDate)), // 2001 is no leap year
        ("110101203001011236", Err(BirthDate)), // in the future
        ("110101202612161239", Err(BirthDate)), // the day after the handover
        ("110101189912311231", Err(BirthDate)),
        ("00000019900101123X", Err(Region)),
        ("999999199001011238", Err(Region)),
        ("190101199001011231", Err(Region)),
        ("１101051949123100", Err(Shape)), // 18 bytes, 16 characters
        ("中305198709271446", Err(Shape)),
        ("11010519491231002", Err(Shape)),
        ("11010519491231002X1", Err(Shape)),
        ("11010519491X31002X", Err(Shape)),
        ("11010519491231002Y", Err(Shape)),
        ("", Err(Shape)),
    ];

    #[test]
    fn id_numbers_match_gb_11643() {
        for (raw, expected) in ID_NUMBERS {
            assert_eq!(check_id_number(raw, handover()), *expected, "{raw:?}");
        }
        assert_eq!(id_number_check_char("31010119900307123"), Some('0'));
        assert_eq!(id_number_check_char("１1010519491231002"), None);
    }

    /// Unified social credit codes, as GB 32100 (and python-stdnum's cn.uscc) judge them.
    const CREDIT_CODES: &[(&str, bool)] = &[
        ("91350100M000100Y43", true),
        ("91350100m000100y43", true),
        (" 91350100M000100Y43 ", true),
        ("91110000600037341L", true),
        ("91310000MA1FL0000N", true),
        ("12100000400000000W", true), // a national-level institution
        ("Y1310000MA1FL00014", true),
        ("N2440300MA5F00001R", true),
        ("51310000MJ0000001N", true),
        ("91350100M000100Y44", false),
        ("91350100M000100Y4", false),
        ("91350100M000100Y433", false),
        ("中403004ALWWJCDDD", false), // 18 bytes of junk
        ("91350100I000100Y43", false),
        ("01350100M000100Y4C", false), // no registering authority 0
        ("90350100M000100Y46", false), // no entity type 0
        ("91000000M000100Y45", false), // no region 00
        ("91990000M000100Y4N", false),
        ("", false),
    ];

    #[test]
    fn credit_codes_match_gb_32100() {
        for (raw, valid) in CREDIT_CODES {
            assert_eq!(is_valid_credit_code(raw), *valid, "{raw:?}");
        }
    }

    fn with_check_char(first17: String) -> String {
        let check = id_number_check_char(&first17).expect("17 digits");
        format!("{first17}{check}")
    }

    prop_compose! {
        fn valid_id_number()(
            province in proptest::sample::select(PROVINCES.to_vec()),
            district in 0u32..10_000,
            days in 0i64..46_000,
            sequence in 0u32..1000,
        ) -> String {
            let born = NaiveDate::from_ymd_opt(1900, 1, 1).expect("date") + chrono::Duration::days(days);
            let born = born.min(handover());
            with_check_char(format!("{province}{district:04}{}{sequence:03}", born.format("%Y%m%d")))
        }
    }

    prop_compose! {
        fn valid_credit_code()(
            authority in proptest::sample::select(b"123456789ANY".to_vec()),
            kind in 1u32..10,
            province in proptest::sample::select(PROVINCES.to_vec()),
            area in 0u32..10_000,
            subject in proptest::collection::vec(proptest::sample::select(CREDIT_ALPHABET.as_bytes().to_vec()), 9),
        ) -> String {
            let first17 = format!(
                "{}{kind}{province}{area:04}{}",
                authority as char,
                String::from_utf8(subject).expect("ASCII")
            );
            let check = credit_code_check_char(&first17).expect("alphabet");
            format!("{first17}{check}")
        }
    }

    /// Replaces the character at `at` (0–17) with `with`, if that changes it.
    fn replaced(code: &str, at: usize, with: char) -> Option<String> {
        let mut chars: Vec<char> = code.chars().collect();
        (chars[at] != with).then(|| {
            chars[at] = with;
            chars.into_iter().collect()
        })
    }

    proptest! {
        #[test]
        fn any_valid_id_number_passes_and_any_typo_fails(
            id in valid_id_number(),
            at in 0usize..18,
            with in proptest::sample::select("0123456789X中".chars().collect::<Vec<_>>()),
        ) {
            prop_assert_eq!(check_id_number(&id, handover()), Ok(()));
            if let Some(typo) = replaced(&id, at, with) {
                prop_assert!(check_id_number(&typo, handover()).is_err(), "{} passed", typo);
            }
        }

        #[test]
        fn any_valid_credit_code_passes_and_any_typo_fails(
            code in valid_credit_code(),
            at in 0usize..18,
            with in proptest::sample::select(format!("{CREDIT_ALPHABET}IOSVZ中").chars().collect::<Vec<_>>()),
        ) {
            prop_assert!(is_valid_credit_code(&code), "{} failed", code);
            if let Some(typo) = replaced(&code, at, with) {
                prop_assert!(!is_valid_credit_code(&typo), "{} passed", typo);
            }
        }
    }
}
