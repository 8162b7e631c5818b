//! Markdown documents: front matter, body, and the ```quiz blocks of lessons.

use std::path::Path;

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::diagnostic::{Diagnostic, Loc, Wording};
use super::model::*;
use super::yaml::{parse_yaml, S};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: S<String>,
    order: Option<i64>,
    summary: Option<String>,
    duration: Option<S<u32>>,
    audience: Option<S<String>>,
    pass_mark: Option<S<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuiz {
    question: String,
    choices: S<Vec<String>>,
    answer: S<RawAnswer>,
    explanation: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawAnswer {
    One(usize),
    Many(Vec<usize>),
}

/// The YAML between the first two `---` lines, where it starts, and the body after it.
struct Split<'a> {
    front: &'a str,
    front_offset: usize,
    body: &'a str,
}

fn split_front_matter<'a>(rel: &Path, text: &'a str) -> Result<Split<'a>, Diagnostic> {
    let first_line_end = text.find('\n').map_or(text.len(), |i| i + 1);
    if text[..first_line_end].trim_end() != "---" {
        return Err(Diagnostic::error(
            "missing-front-matter",
            rel,
            Loc::START,
            Wording::new("diag_missing_front_matter"),
        ));
    }
    let mut pos = first_line_end;
    while pos < text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        if text[pos..end].trim_end() == "---" {
            return Ok(Split {
                front: &text[first_line_end..pos],
                front_offset: first_line_end,
                body: &text[end..],
            });
        }
        pos = end;
    }
    Err(Diagnostic::error(
        "unterminated-front-matter",
        rel,
        Loc {
            len: 3,
            ..Loc::START
        },
        Wording::new("diag_unterminated_front_matter"),
    ))
}

pub fn parse_document(
    kind: DocKind,
    slug: String,
    rel: &Path,
    text: &str,
) -> Result<Document, Vec<Diagnostic>> {
    let split = split_front_matter(rel, text).map_err(|d| vec![d])?;
    let fm: FrontMatter =
        parse_yaml(rel, split.front, 1, split.front_offset).map_err(|d| vec![d])?;
    let mut problems = Vec::new();
    let at = |s: &serde_saphyr::Location| Loc::from(s).shifted(1, split.front_offset);
    if fm.title.value.trim().is_empty() {
        problems.push(Diagnostic::error(
            "missing-title",
            rel,
            at(&fm.title.referenced),
            Wording::new("diag_document_title_empty"),
        ));
    }
    if kind != DocKind::Training {
        for (name, loc) in [
            ("duration", fm.duration.as_ref().map(|v| &v.referenced)),
            ("audience", fm.audience.as_ref().map(|v| &v.referenced)),
            ("pass_mark", fm.pass_mark.as_ref().map(|v| &v.referenced)),
        ] {
            if let Some(loc) = loc {
                problems.push(Diagnostic::error(
                    "unknown-field",
                    rel,
                    at(loc),
                    Wording::new("diag_training_only_field").arg("name", name),
                ));
            }
        }
    }
    if let Some(p) = &fm.pass_mark {
        if p.value > 100 {
            problems.push(Diagnostic::error(
                "invalid-pass-mark",
                rel,
                at(&p.referenced),
                Wording::new("diag_pass_mark").arg("mark", p.value),
            ));
        }
    }
    let body_offset = text.len() - split.body.len();
    let quiz = parse_quizzes(rel, split.body, text, body_offset, &mut problems);
    if kind != DocKind::Training && !quiz.is_empty() {
        problems.push(Diagnostic::error(
            "quiz-outside-training",
            rel,
            Loc::at_offset(text.as_bytes(), body_offset, 0),
            Wording::new("diag_quiz_outside_training"),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let lesson = (kind == DocKind::Training).then(|| Lesson {
        duration: fm.duration.map(|v| v.value),
        audience: fm.audience.map(|v| v.value),
        pass_mark: fm.pass_mark.map_or(80, |v| v.value),
        quiz,
    });
    Ok(Document {
        kind,
        slug,
        title: fm.title.value,
        order: fm.order,
        summary: fm.summary,
        body: split.body.to_string(),
        sha256: hex(&Sha256::digest(text.as_bytes())),
        lesson,
        file: rel.to_path_buf(),
        images: image_references(split.body, text, body_offset),
    })
}

/// `![…](attachments/…)` images of a body, with their place in the whole file.
fn image_references(body: &str, whole: &str, body_offset: usize) -> Vec<(String, Loc)> {
    Parser::new_ext(body, crate::render::markdown::options())
        .into_offset_iter()
        .filter_map(|(event, range)| match event {
            Event::Start(Tag::Image { dest_url, .. }) => Some((
                super::files::image_reference(&dest_url)?,
                Loc::at_offset(whole.as_bytes(), body_offset + range.start, range.len()),
            )),
            _ => None,
        })
        .collect()
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The ```quiz blocks of a body, in order. The renderer meets the same blocks in
/// the same order and replaces the n-th with the n-th parsed question.
pub fn quiz_blocks(body: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (event, range) in Parser::new(body).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(lang)))
                if lang.split_whitespace().next() == Some("quiz") =>
            {
                current = Some((range.start, String::new()));
            }
            Event::Text(t) => {
                if let Some((start, buf)) = current.as_mut() {
                    if buf.is_empty() {
                        *start = range.start;
                    }
                    buf.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((start, buf)) = current.take() {
                    blocks.push((start..start + buf.len(), buf));
                }
            }
            _ => {}
        }
    }
    blocks
}

fn parse_quizzes(
    rel: &Path,
    body: &str,
    whole: &str,
    body_offset: usize,
    problems: &mut Vec<Diagnostic>,
) -> Vec<QuizQuestion> {
    let mut questions = Vec::new();
    for (range, yaml) in quiz_blocks(body) {
        let block_start = Loc::at_offset(whole.as_bytes(), body_offset + range.start, 0);
        let line_offset = block_start.line - 1;
        let byte_offset = body_offset + range.start;
        let at = |l: &serde_saphyr::Location| Loc::from(l).shifted(line_offset, byte_offset);
        if yaml.trim().is_empty() {
            problems.push(Diagnostic::error(
                "invalid-quiz",
                rel,
                block_start,
                Wording::new("diag_quiz_empty"),
            ));
            continue;
        }
        let raw: RawQuiz = match parse_yaml(rel, &yaml, line_offset, byte_offset) {
            Ok(q) => q,
            Err(d) => {
                let detail = d
                    .wording
                    .as_ref()
                    .and_then(|w| w.args.first())
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                problems.push(Diagnostic::error(
                    "invalid-quiz",
                    rel,
                    d.loc,
                    Wording::new("diag_quiz_yaml").arg("detail", detail),
                ));
                continue;
            }
        };
        let n = raw.choices.value.len();
        if n < 2 {
            problems.push(Diagnostic::error(
                "invalid-quiz",
                rel,
                at(&raw.choices.referenced),
                Wording::new("diag_quiz_choices"),
            ));
            continue;
        }
        let (mut answer, multiple) = match raw.answer.value {
            RawAnswer::One(i) => (vec![i], false),
            RawAnswer::Many(v) => (v, true),
        };
        answer.sort_unstable();
        answer.dedup();
        if answer.is_empty() || answer.iter().any(|&i| i >= n) {
            problems.push(Diagnostic::error(
                "invalid-quiz",
                rel,
                at(&raw.answer.referenced),
                Wording::new("diag_quiz_answer")
                    .arg("last", n - 1)
                    .arg("count", n),
            ));
            continue;
        }
        questions.push(QuizQuestion {
            question: raw.question,
            choices: raw.choices.value,
            answer,
            multiple,
            explanation: raw.explanation,
        });
    }
    questions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Document, Vec<Diagnostic>> {
        parse_document(
            DocKind::Training,
            "l".into(),
            Path::new("training/l.md"),
            text,
        )
    }

    #[test]
    fn quiz_is_parsed() {
        let doc = parse("---\ntitle: T\npass_mark: 60\n---\n# Hi\n\n```quiz\nquestion: Q?\nchoices: [a, b, c]\nanswer: [0, 2]\n```\n")
            .ok()
            .and_then(|d| d.lesson);
        let lesson = doc.as_ref();
        assert_eq!(lesson.map(|l| l.pass_mark), Some(60));
        assert_eq!(lesson.map(|l| l.quiz[0].answer.clone()), Some(vec![0, 2]));
        assert_eq!(lesson.map(|l| l.quiz[0].multiple), Some(true));
    }

    #[test]
    fn quiz_errors_point_into_the_block() {
        let errs = parse("---\ntitle: T\n---\n\ntext\n\n```quiz\nquestion: Q?\nchoices: [a, b]\nanswer: 5\n```\n\n```quiz\nquestion: Q?\nchoices: [a]\nanswer: 0\nhint: x\n```\n")
            .err()
            .unwrap_or_default();
        let lines: Vec<_> = errs.iter().map(|d| (d.code, d.loc.line)).collect();
        assert_eq!(lines, vec![("invalid-quiz", 10), ("invalid-quiz", 17)]);
    }

    #[test]
    fn unterminated_front_matter() {
        let errs = parse("---\ntitle: T\n\nbody\n").err().unwrap_or_default();
        assert_eq!(errs[0].code, "unterminated-front-matter");
        assert_eq!(errs[0].loc.line, 1);
    }

    #[test]
    fn front_matter_errors_have_file_lines() {
        let errs = parse("---\ntitle: T\ncolour: red\n---\n")
            .err()
            .unwrap_or_default();
        assert_eq!((errs[0].code, errs[0].loc.line), ("unknown-field", 3));
    }
}
