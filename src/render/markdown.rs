//! Markdown → HTML with pulldown-cmark: tables, task lists, footnotes,
//! strikethrough, heading ids. Quiz blocks are left out here (the lesson template
//! renders the parsed questions); task lists become interactive checklists.

use std::collections::HashSet;

use pulldown_cmark::{html, CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};

use crate::room::files::image_reference;

pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Ids the page around a document already uses (templates/shell.html,
/// templates/page.html, static/dataroom-*.js). A heading must never take one:
/// `# Content` → `id="content"` would break the app's own element lookups.
pub const RESERVED_IDS: &[&str] = &[
    "acceptance-button",
    "app",
    "content",
    "dataroom-i18n",
    "lock",
    "lock-error",
    "logout",
    "nav",
    "nav-filter",
    "nav-toggle",
    "password",
    "print-record",
    "remember",
    "room-title",
    "sidebar",
    "unlock-button",
    "unlock-form",
    "search",
    "watermark",
];
/// Prefixes of ids the app numbers itself (`quiz-name-0`, …) or gives its
/// NDA form (`nda-name`, …) and search box (`search-input`, `search-group-…`).
pub const RESERVED_ID_PREFIXES: &[&str] = &["quiz-name-", "nda-", "search-"];

pub struct Rendered {
    pub html: String,
    pub tasks_total: usize,
    pub tasks_done: usize,
}

/// `checklist_id` names the document's task lists so the browser can keep their
/// ticks; each checkbox gets a stable `data-item` number.
pub fn render(markdown: &str, checklist_id: &str) -> Rendered {
    render_titled(markdown, checklist_id, None)
}

/// As [`render`]; a leading `# heading` equal to `title` is dropped, since the
/// page template already shows the title.
pub fn render_titled(markdown: &str, checklist_id: &str, title: Option<&str>) -> Rendered {
    let mut events: Vec<Event> = Parser::new_ext(markdown, options()).collect();
    if let (
        Some(title),
        Some(Event::Start(Tag::Heading {
            level: pulldown_cmark::HeadingLevel::H1,
            ..
        })),
    ) = (title, events.first())
    {
        if heading_text(&events[1..]).trim() == title.trim() {
            let end = events
                .iter()
                .position(|e| matches!(e, Event::End(TagEnd::Heading(_))))
                .unwrap_or(0);
            events.drain(..=end);
        }
    }
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    let mut list_is_checklist: Vec<bool> = Vec::new();
    let mut used_ids: HashSet<String> = RESERVED_IDS.iter().map(|id| id.to_string()).collect();
    let mut in_quiz = false;
    let (mut total, mut done) = (0, 0);
    let mut i = 0;
    while i < events.len() {
        let event = &events[i];
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(lang)))
                if lang.split_whitespace().next() == Some("quiz") =>
            {
                in_quiz = true;
            }
            Event::End(TagEnd::CodeBlock) if in_quiz => in_quiz = false,
            _ if in_quiz => {}
            Event::Start(Tag::List(None)) => {
                let is_tasks = has_own_task_items(&events[i + 1..]);
                list_is_checklist.push(is_tasks);
                if is_tasks {
                    out.push(Event::Html(CowStr::from(format!(
                        "<ul class=\"checklist\" data-checklist=\"{}\">\n",
                        escape_attr(checklist_id)
                    ))));
                } else {
                    out.push(event.clone());
                }
            }
            Event::End(TagEnd::List(false)) => {
                if list_is_checklist.pop() == Some(true) {
                    out.push(Event::Html(CowStr::from("</ul>\n")));
                } else {
                    out.push(event.clone());
                }
            }
            Event::Start(Tag::List(Some(_))) => {
                list_is_checklist.push(false);
                out.push(event.clone());
            }
            Event::TaskListMarker(checked) => {
                out.push(Event::Html(CowStr::from(format!(
                    "<input type=\"checkbox\" data-item=\"{total}\" aria-label=\"{}\"{}> ",
                    escape_attr(&task_text(&events[i + 1..])),
                    if *checked { " checked" } else { "" }
                ))));
                total += 1;
                done += usize::from(*checked);
            }
            Event::Start(Tag::Heading {
                level, id, classes, ..
            }) => {
                // Written ids (`{#id}`) are kept unless the page or an earlier
                // heading already uses them; then they get a number like slugs do.
                let id = match id {
                    Some(id) => unique_id(id.to_string(), &mut used_ids),
                    None => unique_slug(&heading_text(&events[i + 1..]), &mut used_ids),
                };
                out.push(Event::Start(Tag::Heading {
                    level: *level,
                    id: Some(CowStr::from(id)),
                    classes: safe_classes(classes),
                    // `{key=value}` attributes (`onmouseover=`, `style=`) are
                    // dropped: a document may only name and class its headings.
                    attrs: Vec::new(),
                }));
            }
            // An image from the room's attachments: the sealed app decrypts it into
            // a blob: URL, the plain and restored sites point at the file
            // (`relink`). Other images stay as pulldown-cmark writes them.
            Event::Start(Tag::Image {
                dest_url, title, ..
            }) if image_reference(dest_url).is_some() => {
                let path = image_reference(dest_url).unwrap_or_default();
                let end = events[i..]
                    .iter()
                    .position(|e| matches!(e, Event::End(TagEnd::Image)))
                    .map_or(events.len() - 1, |p| i + p);
                let alt = image_alt(&events[i + 1..end]);
                let title = if title.is_empty() {
                    String::new()
                } else {
                    format!(" title=\"{}\"", escape_attr(title))
                };
                out.push(Event::InlineHtml(CowStr::from(format!(
                    "<img data-file=\"{}\" alt=\"{}\"{title}>",
                    escape_attr(&path),
                    escape_attr(&alt)
                ))));
                i = end + 1;
                continue;
            }
            // Raw HTML in a document is shown as text: documents come from many
            // hands and must not inject scripts into the room.
            Event::Html(raw) | Event::InlineHtml(raw) => out.push(Event::Text(raw.clone())),
            _ => out.push(event.clone()),
        }
        i += 1;
    }
    let mut html_out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut html_out, out.into_iter());
    Rendered {
        html: html_out,
        tasks_total: total,
        tasks_done: done,
    }
}

/// Heading classes (`{.note}`) limited to `[A-Za-z0-9_-]`, so a class can only
/// pick a style of the theme.
fn safe_classes<'a>(classes: &[CowStr<'a>]) -> Vec<CowStr<'a>> {
    classes
        .iter()
        .filter(|c| {
            !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
        .cloned()
        .collect()
}

/// Whether the list that starts just before `rest` has task items of its own
/// (not only in lists nested inside it).
fn has_own_task_items(rest: &[Event]) -> bool {
    let mut depth = 0usize;
    for e in rest {
        match e {
            Event::Start(Tag::List(_)) => depth += 1,
            Event::End(TagEnd::List(_)) if depth == 0 => return false,
            Event::End(TagEnd::List(_)) => depth -= 1,
            Event::TaskListMarker(_) if depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// An image's alt text: the plain text inside `![…]`.
fn image_alt(inside: &[Event]) -> String {
    inside
        .iter()
        .filter_map(|e| match e {
            Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
            _ => None,
        })
        .collect()
}

fn heading_text(rest: &[Event]) -> String {
    inline_text(rest, |e| matches!(e, Event::End(TagEnd::Heading(_))))
}

/// The words of a task item, up to its end or its nested list: the checkbox's
/// accessible name, so a screen reader says what is being ticked.
fn task_text(rest: &[Event]) -> String {
    inline_text(rest, |e| {
        matches!(e, Event::End(TagEnd::Item) | Event::Start(Tag::List(_)))
    })
}

fn inline_text(rest: &[Event], is_end: impl Fn(&Event) -> bool) -> String {
    let mut text = String::new();
    for e in rest {
        match e {
            _ if is_end(e) => break,
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            _ => {}
        }
    }
    text.trim().to_string()
}

/// Heading ids keep letters (CJK included) and digits; everything else becomes `-`.
fn unique_slug(text: &str, used: &mut HashSet<String>) -> String {
    let mut slug = String::new();
    for c in text.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let base = slug.trim_end_matches('-').to_string();
    let base = if base.is_empty() {
        "section".to_string()
    } else {
        base
    };
    unique_id(base, used)
}

/// `base`, or `base-1`, `base-2`… when taken (by the page around the document or
/// an earlier heading).
fn unique_id(base: String, used: &mut HashSet<String>) -> String {
    let reserved = |id: &str| RESERVED_ID_PREFIXES.iter().any(|p| id.starts_with(p));
    let prefix = if reserved(&base) {
        format!("section-{base}")
    } else {
        base
    };
    let mut candidate = prefix.clone();
    let mut n = 1;
    while !used.insert(candidate.clone()) {
        candidate = format!("{prefix}-{n}");
        n += 1;
    }
    candidate
}

pub fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_and_ids() {
        let r = render(
            "# 移交 流程\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~x~~ and[^1]\n\n[^1]: note\n\n# 移交 流程\n",
            "c",
        );
        assert!(r.html.contains("<h1 id=\"移交-流程\">"), "{}", r.html);
        assert!(r.html.contains("<h1 id=\"移交-流程-1\">"), "{}", r.html);
        assert!(r.html.contains("<table>"));
        assert!(r.html.contains("<del>x</del>"));
        assert!(r.html.contains("footnote-definition"));
    }

    #[test]
    fn heading_ids_never_take_the_pages_own_ids() {
        let r = render(
            "# Content\n\n## Nav\n\n## Lock {#lock}\n\n## Quiz name 0\n\n## Content\n",
            "c",
        );
        for taken in [
            "id=\"content\"",
            "id=\"nav\"",
            "id=\"lock\"",
            "id=\"quiz-name-0\"",
        ] {
            assert!(!r.html.contains(taken), "{taken} in {}", r.html);
        }
        for id in [
            "content-1",
            "nav-1",
            "lock-1",
            "section-quiz-name-0",
            "content-2",
        ] {
            assert!(
                r.html.contains(&format!("id=\"{id}\"")),
                "{id} not in {}",
                r.html
            );
        }
    }

    /// Every id the theme gives an element is listed as reserved, so the list
    /// cannot fall behind the templates and the app.
    #[test]
    fn reserved_ids_cover_the_themes_ids() {
        let mut found = Vec::new();
        for (path, bytes) in crate::render::theme::DEFAULT_THEME {
            let text = String::from_utf8_lossy(bytes);
            let patterns: &[&str] = if path.ends_with(".html") {
                &["id=\""]
            } else if path.ends_with(".js") {
                &["getElementById('", "id: '"]
            } else {
                &[]
            };
            for pattern in patterns {
                for (pos, _) in text.match_indices(pattern) {
                    let rest = &text[pos + pattern.len()..];
                    let id: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                        .collect();
                    let whole = rest[id.len()..].starts_with(['"', '\'']);
                    if !id.is_empty() && (whole || id.ends_with('-')) {
                        found.push((path.to_string(), id));
                    }
                }
            }
        }
        assert!(found.iter().any(|(_, id)| id == "content"), "{found:?}");
        for (path, id) in found {
            assert!(
                RESERVED_IDS.contains(&id.as_str())
                    || RESERVED_ID_PREFIXES.iter().any(|p| id.starts_with(p)),
                "{path} uses id `{id}`: add it to RESERVED_IDS"
            );
        }
    }

    #[test]
    fn task_lists_become_checklists() {
        let r = render(
            "- [x] one\n- [ ] two\n\ntext\n\n- plain\n\n- [ ] loose\n\n- [x] list\n\n  - nested\n",
            "checklists/a",
        );
        assert_eq!((r.tasks_total, r.tasks_done), (4, 2));
        assert_eq!(
            r.html.matches("<ul class=\"checklist\"").count(),
            2,
            "{}",
            r.html
        );
        assert!(r.html.contains("<ul>\n<li>nested</li>"), "{}", r.html);
        assert!(
            r.html
                .contains("<ul class=\"checklist\" data-checklist=\"checklists/a\">"),
            "{}",
            r.html
        );
        // Each checkbox is named by its item's words (not its nested list's).
        assert!(
            r.html
                .contains("data-item=\"0\" aria-label=\"one\" checked"),
            "{}",
            r.html
        );
        assert!(
            r.html
                .contains("data-item=\"3\" aria-label=\"list\" checked"),
            "{}",
            r.html
        );
    }

    #[test]
    fn a_heading_repeating_the_title_is_dropped() {
        assert!(
            !render_titled("# 保密协议\n\ntext\n", "x", Some("保密协议"))
                .html
                .contains("<h1")
        );
        assert!(render_titled("# 其他\n\ntext\n", "x", Some("保密协议"))
            .html
            .contains("<h1"));
    }

    #[test]
    fn heading_attributes_keep_only_id_and_safe_classes() {
        let r = render(
            "# T {#top .note .x\"y onmouseover=alert(1) style=color:red class=evil id=other}\n",
            "x",
        );
        assert!(
            r.html.contains("<h1 id=\"top\" class=\"note\">"),
            "{}",
            r.html
        );
        for gone in ["onmouseover", "style", "alert", "evil", "other", "x&quot;y"] {
            assert!(!r.html.contains(gone), "{gone} in {}", r.html);
        }
    }

    #[test]
    fn attachment_images_name_their_file() {
        let r = render(
            "![扫描件 *一*](attachments/scans/a.png \"合同\")\n\n![](../attachments/b.png)\n\n![x](https://example.com/x.png)\n",
            "x",
        );
        assert!(
            r.html.contains(
                "<img data-file=\"attachments/scans/a.png\" alt=\"扫描件 一\" title=\"合同\">"
            ),
            "{}",
            r.html
        );
        assert!(
            r.html
                .contains("<img data-file=\"attachments/b.png\" alt=\"\">"),
            "{}",
            r.html
        );
        assert!(
            r.html.contains("src=\"https://example.com/x.png\""),
            "{}",
            r.html
        );
        assert!(!r.html.contains("src=\"attachments"), "{}", r.html);
    }

    #[test]
    fn raw_html_and_quizzes_are_not_output() {
        let r = render(
            "<script>alert(1)</script>\n\n```quiz\nquestion: q\n```\n",
            "x",
        );
        assert!(!r.html.contains("<script>"));
        assert!(!r.html.contains("question"));
    }
}
