//! Tokens of the search index. The browser (static/dataroom-search.js,
//! `queryTokens`) cuts a query the same way, so these rules are a contract:
//!
//! - the text is NFKC-normalized first (full-width `１３８` is `138`);
//! - Chinese: every two consecutive Han characters of a run (`张伟明` →
//!   `张伟`, `伟明`), so any 2+ character fragment is found without a dictionary;
//! - other letters and digits: words of 2+ characters, lower-cased;
//! - phones: all the digits (`13800000003`, a leading `86` also without it) and
//!   the last four (`0003`); a masked phone gives its visible tail only;
//! - exact values (id, name, phone, e-mail, contract and invoice numbers,
//!   titles): [`EXACT_PREFIX`] + [`exact_key`], to rank exact matches first.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use unicode_normalization::UnicodeNormalization;

/// Marks an exact-value token; no text token starts with it.
pub const EXACT_PREFIX: &str = "=";

/// Han ideographs (the unified blocks, extension A, compatibility, and the
/// supplementary planes' extensions).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

fn is_word_char(c: char) -> bool {
    !is_han(c) && c.is_alphanumeric()
}

/// The tokens of free text (names, addresses, notes, document text).
pub fn text_tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.nfkc().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        if is_han(chars[i]) {
            while i < chars.len() && is_han(chars[i]) {
                i += 1;
            }
            out.extend(chars[start..i].windows(2).map(|w| w.iter().collect()));
        } else if is_word_char(chars[i]) {
            while i < chars.len() && is_word_char(chars[i]) {
                i += 1;
            }
            if i - start >= 2 {
                out.push(chars[start..i].iter().collect::<String>().to_lowercase());
            }
        } else {
            i += 1;
        }
    }
    out
}

/// A phone's whole-number tokens and its last four digits. A masked phone
/// (`138****0003`) has no whole number: only the tail it shows.
pub fn phone_tokens(phone: &str) -> (Vec<String>, Option<String>) {
    let phone: String = phone.nfkc().collect();
    let visible = match phone.rfind('*') {
        Some(star) => &phone[star + 1..],
        None => phone.as_str(),
    };
    let digits: String = visible.chars().filter(char::is_ascii_digit).collect();
    let tail = (digits.len() > 4 || (phone.contains('*') && digits.len() == 4))
        .then(|| digits[digits.len() - 4..].to_string());
    if phone.contains('*') || digits.len() < 5 {
        return (Vec::new(), tail);
    }
    let mut whole = vec![digits.clone()];
    if let Some(national) = digits.strip_prefix("86").filter(|n| n.len() == 11) {
        whole.push(national.to_string());
    }
    (whole, tail)
}

/// How an exact value and a query are compared: phone-like values (digits
/// and `+-() ` only, 4+ digits) by their digits, everything else lower-cased
/// with runs of white space as one space.
pub fn exact_key(value: &str) -> String {
    let value: String = value.nfkc().collect();
    let value = value.trim();
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let phone_like = digits >= 4
        && value
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '+' | '(' | ')'));
    if phone_like {
        return value.chars().filter(char::is_ascii_digit).collect();
    }
    value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The readable text of a Markdown body: what a reader sees, without markup
/// and without fenced blocks (quiz blocks hold answers, not prose).
pub fn markdown_text(body: &str) -> String {
    let mut out = String::new();
    let mut in_code_block = false;
    for event in Parser::new_ext(body, crate::render::markdown::options()) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            Event::Text(t) | Event::Code(t) if !in_code_block => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::BlockQuote(_),
            ) => out.push(' '),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}
