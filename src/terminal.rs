//! Showing untrusted text (record fields, file names, zip entries) on a
//! terminal. A value holding `ESC[2J` or `ESC]0;…` would clear the screen or
//! retitle the window, and a bidi override would make a line read differently
//! from what it says; such characters are shown in a visible form (`\u{1b}`).

use std::borrow::Cow;

/// C0 controls (except tab and newline), DEL, C1 controls and the bidi
/// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}'
        | '\u{b}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

/// `text` with every unsafe character written as `\u{…}`. A carriage return
/// before a newline (files saved on Windows) is kept.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(escape_span(text, 0, 0).0)
}

/// [`escape`] for a source file shown with a span underlined: returns the
/// escaped text and the span's byte offset and length in it.
pub fn escape_span(text: &str, offset: usize, len: usize) -> (String, usize, usize) {
    let end = offset.saturating_add(len);
    let mut out = String::with_capacity(text.len());
    let (mut new_offset, mut new_end) = (None, None);
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if at >= offset && new_offset.is_none() {
            new_offset = Some(out.len());
        }
        if at >= end && new_end.is_none() {
            new_end = Some(out.len());
        }
        let crlf = c == '\r' && chars.peek().is_some_and(|(_, next)| *next == '\n');
        if is_unsafe(c) && !crlf {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    let new_offset = new_offset.unwrap_or(out.len());
    let new_end = new_end.unwrap_or(out.len()).max(new_offset);
    (out, new_offset, new_end - new_offset)
}

/// JSON text with the unsafe characters serde_json leaves as they are (DEL, C1,
/// bidi controls) written as `\uXXXX` escapes, so the JSON means the same.
pub fn escape_json(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_unsafe) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Shows a stage of the build on its progress bar (drawn only on a terminal:
/// the bar is hidden otherwise): the stage's name, `message`, in the CLI's
/// language, and for a stage that `counts` its items, `12,345/100,000` with a
/// bar; a spinner for the others.
pub fn show_stage(bar: &indicatif::ProgressBar, message: String, counts: bool) {
    let template = if counts {
        "{spinner} {msg} {human_pos}/{human_len} [{bar:30}] {eta}"
    } else {
        "{spinner} {msg}"
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_message(message);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_overrides_become_visible() {
        assert_eq!(
            escape("138\u{1b}[2J\u{1b}]0;x\u{7}\u{9b}\u{202e}\u{2066}\u{7f}"),
            "138\\u{1b}[2J\\u{1b}]0;x\\u{7}\\u{9b}\\u{202e}\\u{2066}\\u{7f}"
        );
        assert_eq!(escape("行\t一\r\n二\n"), "行\t一\r\n二\n");
        assert_eq!(escape("a\rb"), "a\\u{d}b");
    }

    #[test]
    fn spans_follow_the_escaped_text() {
        let text = "a: \u{1b}[2J\nphone: \"\u{1b}x\"\n";
        let start = text.find("\"").unwrap();
        let (escaped, offset, len) = escape_span(text, start, 4);
        assert_eq!(&escaped[offset..offset + len], "\"\\u{1b}x\"");
        let (_, offset, len) = escape_span(text, text.len(), 0);
        assert_eq!((offset, len), (escaped.len(), 0));
    }

    #[test]
    fn json_stays_json() {
        let json = serde_json::to_string("a\u{1b}\u{7f}\u{9b}\u{202e}").unwrap();
        let shown = escape_json(&json);
        assert!(!shown.chars().any(is_unsafe), "{shown}");
        let back: String = serde_json::from_str(&shown).unwrap();
        assert_eq!(back, "a\u{1b}\u{7f}\u{9b}\u{202e}");
    }
}
