//! Request paths → paths of the in-memory site. Anything that could name a
//! file outside it is refused: `..` and `.` segments (also percent-encoded),
//! backslashes, empty segments (`//`, an absolute path after the slash), NUL
//! and control characters, and encodings that are not UTF-8.

/// `"/clients/HX-1.html"` → `clients/HX-1.html`; `/` → `index.html`. `None`
/// for a path that must not be served.
pub fn site_path(raw: &str) -> Option<String> {
    let rest = raw.strip_prefix('/')?;
    if rest.is_empty() {
        return Some("index.html".into());
    }
    let decoded = percent_decode(rest)?;
    let bad = decoded.contains('\\')
        || decoded.chars().any(char::is_control)
        || decoded.contains(':')
        || decoded
            .split('/')
            .any(|segment| segment.is_empty() || segment == "." || segment == "..");
    (!bad).then_some(decoded)
}

/// `%XX` → byte; the result must be UTF-8. A stray `%` is refused.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::site_path;

    #[test]
    fn ordinary_paths_are_decoded() {
        assert_eq!(site_path("/").as_deref(), Some("index.html"));
        assert_eq!(
            site_path("/clients/HX-00010.html").as_deref(),
            Some("clients/HX-00010.html")
        );
        assert_eq!(
            site_path("/policies/%E4%BF%9D%E5%AF%86.html").as_deref(),
            Some("policies/保密.html")
        );
    }

    #[test]
    fn traversal_and_odd_paths_are_refused() {
        for raw in [
            "/../etc/passwd",
            "/static/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc%2Fpasswd",
            "/static/%2e%2e/%2e%2e/x",
            "//etc/passwd",
            "/%2Fetc/passwd",
            "/static\\..\\x",
            "/static%5c..%5cx",
            "/./index.html",
            "/C:/Windows/win.ini",
            "/a%00b",
            "/%zz",
            "/%ff.html",
            "relative.html",
        ] {
            assert_eq!(site_path(raw), None, "{raw} must be refused");
        }
    }
}
