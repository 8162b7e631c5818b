//! Masking a client field for an audience that may not see it whole
//! (`mask:` in `dataroom.yaml`). Pinned by issue 9 so readers recognise it:
//!
//! - phone: the first 3 and last 4 digits, `138****0003` (a leading `+86` is kept);
//! - 身份证 (`id_number`): the first 6 and last 4 characters, `310105********9040`;
//! - credit code: the first 2 and last 4 characters;
//! - address: up to and including the district (…区/县, else the city …市), then `***`;
//! - e-mail: the first character and the domain, `z***@example.com`.
//!
//! What is hidden never influences the result except through its length
//! where the pinned form shows one star per character (phone, id number,
//! credit code). A value too short to keep anything hidden is all stars.

use super::model::MaskedField;

/// `value` as an audience that masks `field` sees it.
pub fn mask(field: MaskedField, value: &str) -> String {
    let value = value.trim();
    match field {
        MaskedField::Phone => mask_phone(value),
        MaskedField::IdNumber => keep_ends(value, 6, 4),
        MaskedField::CreditCode => keep_ends(value, 2, 4),
        MaskedField::Address => mask_address(value),
        MaskedField::Email => mask_email(value),
    }
}

/// The first `head` and last `tail` characters with one `*` for each one
/// between; all stars when that would hide nothing.
fn keep_ends(value: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// Digits only (separators and any words in the field are dropped, so
/// nothing beside the number can leak), a leading `+86` kept.
fn mask_phone(value: &str) -> String {
    let (prefix, rest) = match value.strip_prefix("+86") {
        Some(rest) => ("+86 ", rest),
        None => ("", value),
    };
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    format!("{prefix}{}", keep_ends(&digits, 3, 4))
}

/// Up to and including the first 区 or 县 (not the 区 of 小区/社区, which are
/// housing estates); without one, up to the first 市; then `***`.
fn mask_address(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let is_district = |i: usize| match chars[i] {
        '县' => true,
        '区' => i == 0 || !matches!(chars[i - 1], '小' | '社'),
        _ => false,
    };
    let end = (0..chars.len())
        .find(|&i| is_district(i))
        .or_else(|| chars.iter().position(|&c| c == '市'));
    match end {
        Some(end) => format!("{}***", chars[..=end].iter().collect::<String>()),
        None => "***".to_string(),
    }
}

fn mask_email(value: &str) -> String {
    match value.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn phones_keep_the_first_three_and_last_four_digits() {
        assert_eq!(mask(MaskedField::Phone, "13800000003"), "138****0003");
        assert_eq!(mask(MaskedField::Phone, "138 1234 5678"), "138****5678");
        assert_eq!(mask(MaskedField::Phone, "021-6438-1234"), "021****1234");
        assert_eq!(
            mask(MaskedField::Phone, "+86 138 1234 5678"),
            "+86 138****5678"
        );
        // Words written into the field are not shown.
        assert_eq!(mask(MaskedField::Phone, "13812345678 张三"), "138****5678");
        // Too short to keep both ends: nothing is shown.
        assert_eq!(mask(MaskedField::Phone, "1234567"), "*******");
        assert_eq!(mask(MaskedField::Phone, ""), "");
    }

    #[test]
    fn id_numbers_keep_the_first_six_and_last_four() {
        assert_eq!(
            mask(MaskedField::IdNumber, "310105198803129040"),
            "310105********9040"
        );
        assert_eq!(
            mask(MaskedField::IdNumber, " 11010519491231002X "),
            "110105********002X"
        );
        assert_eq!(mask(MaskedField::IdNumber, "3101059040"), "**********");
        assert_eq!(
            mask(MaskedField::IdNumber, "身份证号码丢失了一部分"),
            "身份证号码丢*了一部分"
        );
    }

    #[test]
    fn credit_codes_keep_the_first_two_and_last_four() {
        assert_eq!(
            mask(MaskedField::CreditCode, "91310000MA1K4ABC12"),
            "91************BC12"
        );
        assert_eq!(mask(MaskedField::CreditCode, "913100"), "******");
    }

    #[test]
    fn addresses_keep_up_to_the_district() {
        assert_eq!(
            mask(MaskedField::Address, "上海市徐汇区测试路1号"),
            "上海市徐汇区***"
        );
        assert_eq!(
            mask(MaskedField::Address, "浙江省杭州市西湖区文三路90号"),
            "浙江省杭州市西湖区***"
        );
        assert_eq!(
            mask(MaskedField::Address, "江苏省沛县汉兴路8号"),
            "江苏省沛县***"
        );
        // 小区 is a housing estate, not a district.
        assert_eq!(mask(MaskedField::Address, "昆山市阳光小区3栋"), "昆山市***");
        // No district or city: nothing is shown.
        assert_eq!(mask(MaskedField::Address, "12 Baker Street, London"), "***");
        assert_eq!(
            mask(MaskedField::Address, "北京市朝阳区"),
            "北京市朝阳区***"
        );
    }

    #[test]
    fn emails_keep_the_first_character_and_the_domain() {
        assert_eq!(
            mask(MaskedField::Email, "zhangwei@example.com"),
            "z***@example.com"
        );
        assert_eq!(
            mask(MaskedField::Email, "张伟@例子.中国"),
            "张***@例子.中国"
        );
        assert_eq!(mask(MaskedField::Email, "@example.com"), "***@example.com");
        assert_eq!(mask(MaskedField::Email, "not an address"), "***");
    }

    proptest! {
        /// Whatever the hidden middle of a number is, the masked value is the
        /// same: it cannot carry any of it.
        #[test]
        fn the_hidden_part_never_shows(
            head in "[0-9]{6}",
            middle in "[0-9]{8}",
            other in "[0-9]{8}",
            tail in "[0-9]{4}",
            local in "[a-z0-9.]{2,12}",
            other_local in "[a-z0-9.]{1,12}",
            street in "\\PC{0,12}",
            other_street in "\\PC{0,12}",
        ) {
            // The visible head could equal the hidden digits by chance.
            prop_assume!(!head.contains(&middle[2..]));
            for field in [MaskedField::IdNumber, MaskedField::CreditCode, MaskedField::Phone] {
                let a = mask(field, &format!("{head}{middle}{tail}"));
                let b = mask(field, &format!("{head}{other}{tail}"));
                prop_assert_eq!(&a, &b);
                prop_assert!(!a.contains(&middle[2..]), "{} shows {}", a, middle);
            }
            let first = &local[..1];
            let a = mask(MaskedField::Email, &format!("{local}@example.cn"));
            let b = mask(MaskedField::Email, &format!("{first}{other_local}@example.cn"));
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(a, format!("{first}***@example.cn"));
            let a = mask(MaskedField::Address, &format!("上海市徐汇区{street}"));
            let b = mask(MaskedField::Address, &format!("上海市徐汇区{other_street}"));
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(a, "上海市徐汇区***");
        }
    }
}
