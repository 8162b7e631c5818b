//! Problems found in a room, each pointing at a file, line and column.
//!
//! Every stage reports through [`Diagnostics`] instead of returning early, so one
//! `dataroom check` run lists every problem of the room at once.

use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;

use super::files::RoomFs;
use crate::terminal;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A position in a source file: 1-based line and column plus the byte range
/// used to underline the snippet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Loc {
    pub line: usize,
    pub column: usize,
    #[serde(skip)]
    pub offset: usize,
    #[serde(skip)]
    pub len: usize,
}

impl Loc {
    pub const START: Loc = Loc {
        line: 1,
        column: 1,
        offset: 0,
        len: 0,
    };

    /// The location of the byte `offset` in `text` (used for UTF-8 and front-matter errors).
    pub fn at_offset(text: &[u8], offset: usize, len: usize) -> Loc {
        let before = &text[..offset.min(text.len())];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |p| p + 1);
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        Loc {
            line,
            column,
            offset,
            len,
        }
    }

    /// Shift a location found inside an embedded YAML block (front matter, quiz) to
    /// its place in the whole file.
    pub fn shifted(self, line_offset: usize, byte_offset: usize) -> Loc {
        Loc {
            line: self.line + line_offset,
            offset: self.offset + byte_offset,
            ..self
        }
    }
}

impl From<&serde_saphyr::Location> for Loc {
    fn from(l: &serde_saphyr::Location) -> Self {
        let span = l.span();
        let (offset, len) = span
            .byte_offset()
            .map(|o| (o as usize, span.byte_len().unwrap_or(1) as usize))
            .unwrap_or((0, 0));
        Loc {
            line: l.line() as usize,
            column: l.column() as usize,
            offset,
            len,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable machine-readable kind, e.g. `unknown-field`, `phone-invalid`.
    pub code: &'static str,
    /// Path relative to the room root (or the path given by the user).
    pub file: PathBuf,
    #[serde(flatten)]
    pub loc: Loc,
    pub message: String,
    pub help: Option<String>,
    /// The client the finding is about, if any (used by the data-quality report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// The record field the finding is about, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For findings: the catalogue entries `message` and `help` were worded
    /// from, so the report can word them again in the room's language.
    #[serde(skip)]
    pub wording: Option<Wording>,
}

pub use crate::i18n::Wording;

impl Diagnostic {
    /// An error worded from the catalogue. `message` and `help` hold the
    /// English text (JSON output, tests of the library); the CLI words it again
    /// in its language with [`Diagnostics::word_in`].
    pub fn error(code: &'static str, file: impl Into<PathBuf>, loc: Loc, wording: Wording) -> Self {
        let mut d = Diagnostic {
            severity: Severity::Error,
            code,
            file: file.into(),
            loc,
            message: String::new(),
            help: None,
            client: None,
            field: None,
            wording: Some(wording),
        };
        d.word_in(crate::i18n::embedded(crate::room::Language::En));
        d
    }

    /// Rewrites `message` and `help` in the language of `strings`.
    pub fn word_in(&mut self, strings: &crate::i18n::Strings) {
        if self.wording.is_some() {
            (self.message, self.help) = self.worded(strings);
        }
    }

    /// An error worded from the catalogue entries `<key>_message` and
    /// `<key>_fix`, their `{name}` placeholders filled from `args`.
    pub fn catalogued(
        code: &'static str,
        file: impl Into<PathBuf>,
        loc: Loc,
        key: &'static str,
        args: &[(&'static str, &str)],
    ) -> Self {
        let wording = args
            .iter()
            .fold(Wording::new(key), |w, (name, value)| w.arg(name, value));
        Diagnostic::error(code, file, loc, wording)
    }

    /// A warning worded from the catalogue (in English until the CLI words it
    /// in its language), about a client's field when `about` is given.
    pub fn finding(
        code: &'static str,
        file: impl Into<PathBuf>,
        loc: Loc,
        about: Option<(&str, &str)>,
        mut wording: Wording,
    ) -> Self {
        wording.key = format!("finding_{}", wording.key).into();
        let mut d = Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, file, loc, wording)
        };
        if let Some((client, field)) = about {
            d = d.about(client, field);
            d.word_in(crate::i18n::embedded(crate::room::Language::En));
        }
        d
    }

    /// Message and help in the language of `strings`: from the catalogue for
    /// findings, as written for everything else.
    pub fn worded(&self, strings: &crate::i18n::Strings) -> (String, Option<String>) {
        let Some(w) = &self.wording else {
            return (self.message.clone(), self.help.clone());
        };
        let field = self
            .field
            .as_deref()
            .map(|f| crate::i18n::field_label(strings, f))
            .unwrap_or_default();
        w.worded_with(
            strings,
            &[
                ("client", self.client.as_deref().unwrap_or_default()),
                ("field", &field),
            ],
        )
    }

    pub fn about(mut self, client: &str, field: &str) -> Self {
        self.client = Some(client.to_string());
        self.field = Some(field.to_string());
        self
    }
}

/// Where the snippets of diagnostics come from. The room's files are not kept
/// from loading (every client's text would be ~160 MB at 100,000 clients, issue
/// 11): the room remembers which files it read and what they held (a
/// fingerprint), and reads one again when a diagnostic in it is printed.
/// Texts that are no file of the room as read (a theme template, a text given
/// by a test) are held in memory, given with [`Sources::insert`].
#[derive(Default)]
pub struct Sources {
    held: HashMap<PathBuf, Arc<String>>,
    room: Option<RoomFs>,
    read: HashMap<PathBuf, Fingerprint>,
    /// The file read last: diagnostics are sorted by file, so a file with
    /// several is read once in a row.
    last_read: Mutex<Option<(PathBuf, Option<Arc<String>>)>>,
}

/// What a file held when the room was loaded: a snippet is shown only from
/// the same text, never from a file changed since (its positions would be wrong).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    len: usize,
    hash: u64,
}

impl Fingerprint {
    pub fn of(text: &str) -> Self {
        let mut hasher = std::hash::DefaultHasher::new();
        text.hash(&mut hasher);
        Fingerprint {
            len: text.len(),
            hash: hasher.finish(),
        }
    }
}

impl Sources {
    /// The room whose files [`Sources::read_from_room`] names, relative to its root.
    pub fn of_room(room: RoomFs) -> Self {
        Sources {
            room: Some(room),
            ..Sources::default()
        }
    }

    /// Holds `text` in memory as the text of `file`.
    pub fn insert(&mut self, file: PathBuf, text: Arc<String>) {
        self.held.insert(file, text);
    }

    /// Remembers that the room's `file` (relative to its root) held the text
    /// of `fingerprint` when it was read, so its snippets can be read again.
    pub fn read_from_room(&mut self, file: PathBuf, fingerprint: Fingerprint) {
        self.read.insert(file, fingerprint);
    }

    /// Keeps only what the snippets of `diagnostics` need: no other file is
    /// ever shown.
    pub fn keep_only_for(&mut self, diagnostics: &Diagnostics) {
        let named: std::collections::HashSet<&Path> =
            diagnostics.items.iter().map(|d| d.file.as_path()).collect();
        self.held.retain(|file, _| named.contains(file.as_path()));
        self.read.retain(|file, _| named.contains(file.as_path()));
    }

    /// How many texts are in memory (given ones and the one read last).
    pub fn held(&self) -> usize {
        let last = self.last_read.lock().map_or(0, |last| {
            last.as_ref()
                .map_or(0, |(_, text)| usize::from(text.is_some()))
        });
        self.held.len() + last
    }

    /// The text of `file` for its snippets: the one given, or the room's file
    /// read again through the loader's safe reading, if it still holds what
    /// was loaded. `None` when there is none to show.
    pub fn text(&self, file: &Path) -> Option<Arc<String>> {
        if let Some(text) = self.held.get(file) {
            return Some(Arc::clone(text));
        }
        let loaded = *self.read.get(file)?;
        let mut last = self.last_read.lock().ok()?;
        if let Some((last_file, text)) = last.as_ref() {
            if last_file == file {
                return text.clone();
            }
        }
        let text = self
            .read_again(file)
            .filter(|text| Fingerprint::of(text) == loaded)
            .map(Arc::new);
        *last = Some((file.to_path_buf(), text.clone()));
        text
    }

    /// The room's `file` read as the loader reads it: through [`RoomFs`], and
    /// only if it (not just its name) still lies inside the room.
    fn read_again(&self, file: &Path) -> Option<String> {
        let room = self.room.as_ref()?;
        let path = room.root.join(file);
        if !room.is_inside(&path) {
            return None;
        }
        room.read_text(&path).ok()
    }
}

/// All problems of a run, errors and warnings.
#[derive(Default)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(ds);
    }

    pub fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    pub fn warning_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }

    /// Stable order: by file, then position, errors before warnings at the same place.
    pub fn sort(&mut self) {
        self.items.sort_by(|a, b| {
            (&a.file, a.loc.line, a.loc.column, a.severity).cmp(&(
                &b.file,
                b.loc.line,
                b.loc.column,
                b.severity,
            ))
        });
    }

    /// Words every diagnostic in the language of `strings` (the CLI's).
    pub fn word_in(&mut self, strings: &crate::i18n::Strings) {
        for d in &mut self.items {
            d.word_in(strings);
        }
    }

    /// Turn every warning into an error (`--strict`).
    pub fn make_strict(&mut self) {
        for d in &mut self.items {
            d.severity = Severity::Error;
        }
    }
}

/// How many warnings `build` prints in full; the rest are counted by kind.
pub const BUILD_WARNINGS_IN_FULL: usize = 20;

/// How `build` prints a run's problems. `check` prints every one; a build of
/// 100,000 clients can have as many warnings, which nobody reads on a terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// Every problem in full (`check`, `build --verbose`).
    All,
    /// Every error, the first `n` warnings in full, then a count per kind.
    WarningsUpTo(usize),
}

impl Diagnostics {
    /// Warnings counted by kind (their code): most frequent first, then by code.
    pub fn warnings_by_kind(&self) -> Vec<(&'static str, usize)> {
        let mut counts: HashMap<&'static str, usize> = HashMap::new();
        for d in self.warnings() {
            *counts.entry(d.code).or_default() += 1;
        }
        let mut kinds: Vec<_> = counts.into_iter().collect();
        kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        kinds
    }
}

/// The problems of a run as `build` prints them (see [`Shown`]). When
/// warnings are left out, it ends with how many were shown, one line per kind
/// (`  1,234 × no-recent-service  No service in the last 12 months`) and
/// where the full list is; the diagnostics and these lines are worded from
/// `strings` (the CLI's catalogue);
/// `room` is the room folder as the user typed it, for the commands shown.
pub fn render_shown(
    diags: &Diagnostics,
    shown: Shown,
    sources: &Sources,
    room: &Path,
    renderer: &Renderer,
    strings: &crate::i18n::Strings,
) -> String {
    use crate::i18n::{fill, grouped, text};
    let limit = match shown {
        Shown::All => usize::MAX,
        Shown::WarningsUpTo(n) => n,
    };
    let mut out = String::new();
    let mut warnings_shown = 0;
    for d in &diags.items {
        if d.severity == Severity::Warning {
            if warnings_shown == limit {
                continue;
            }
            warnings_shown += 1;
        }
        let mut d = d.clone();
        d.word_in(strings);
        out.push_str(&renderer.render(&d, sources, room, strings));
    }
    let total = diags.warning_count();
    if warnings_shown == total {
        return out;
    }
    out.push_str(&fill(
        text(strings, "build_warnings_shown"),
        &[
            ("shown", &grouped(&warnings_shown.to_string())),
            ("total", &grouped(&total.to_string())),
        ],
    ));
    out.push('\n');
    let kinds: Vec<(String, &str, &str)> = diags
        .warnings_by_kind()
        .into_iter()
        .map(|(code, count)| {
            let title_key = format!("finding_{}", code.replace('-', "_"));
            let title = strings.get(&title_key).map_or("", String::as_str);
            (grouped(&count.to_string()), code, title)
        })
        .collect();
    let count_width = kinds.iter().map(|k| k.0.len()).max().unwrap_or(0);
    let code_width = kinds.iter().map(|k| k.1.len()).max().unwrap_or(0);
    for (count, code, title) in &kinds {
        let line = format!("  {count:>count_width$} × {code:<code_width$}  {title}");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let full_list = fill(
        text(strings, "build_warnings_full_list"),
        &[("room", &shell_word(&room.display().to_string()))],
    );
    out.push_str(&terminal::escape(&full_list));
    out.push('\n');
    out
}

/// `word` as a shell reads it back: quoted when it holds anything but plain
/// path characters, so the printed command can be pasted.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_alphanumeric() || "/._-+,:@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Renders diagnostics like rustc: path:line:column, the message, a snippet with
/// the offending spot underlined, and the fix.
pub struct Renderer {
    handler: GraphicalReportHandler,
}

impl Renderer {
    pub fn new(color: bool) -> Self {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        Renderer {
            handler: GraphicalReportHandler::new_themed(theme)
                .with_context_lines(1)
                .with_width(160),
        }
    }

    /// Every piece of the room shown (path, message, help, source snippet) goes
    /// through [`terminal::escape`]: records and file names are untrusted text.
    /// The help line's label comes from `strings` (miette's own is English).
    pub fn render(
        &self,
        d: &Diagnostic,
        sources: &Sources,
        room_root: &Path,
        strings: &crate::i18n::Strings,
    ) -> String {
        let shown_path =
            terminal::escape(&room_root.join(&d.file).display().to_string()).into_owned();
        let (source, span) = match sources.text(&d.file) {
            Some(text) => {
                let offset = d.loc.offset.min(text.len());
                let len = d.loc.len.min(text.len() - offset);
                let (escaped, offset, len) = terminal::escape_span(&text, offset, len);
                (
                    Some(NamedSource::new(shown_path.clone(), escaped)),
                    Some(SourceSpan::new(offset.into(), len)),
                )
            }
            None => (None, None),
        };
        // A problem with the room folder itself (it does not exist, it is a
        // file) has no file or position to show; the message names the folder.
        let title = if d.file.as_os_str().is_empty() {
            format!("[{}]: {}", d.code, terminal::escape(&d.message))
        } else {
            format!(
                "{}:{}:{} [{}]: {}",
                shown_path,
                d.loc.line,
                d.loc.column,
                d.code,
                terminal::escape(&d.message)
            )
        };
        let report = Report {
            d,
            title,
            source,
            span,
        };
        let mut out = String::new();
        if self.handler.render_report(&mut out, &report).is_err() {
            out = format!("{}\n", report.title);
        }
        if let Some(help) = &d.help {
            let label = crate::i18n::text(strings, "diag_help_label");
            out.push_str(&format!("  {label}{}\n", terminal::escape(help)));
        }
        out
    }
}

struct Report<'a> {
    d: &'a Diagnostic,
    title: String,
    source: Option<NamedSource<String>>,
    span: Option<SourceSpan>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.title)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.title)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span?;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            None, span,
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::embedded;
    use crate::room::Language;

    /// `count` warnings of kind `code`, each about its own client file.
    fn warnings(diags: &mut Diagnostics, code: &'static str, count: usize) {
        for i in 0..count {
            let file = format!("clients/{code}-{i}.yaml");
            let wording = Wording::new("consent_missing");
            let about = Some(("HX-1", "consent"));
            diags.push(Diagnostic::finding(code, file, Loc::START, about, wording));
        }
    }

    fn titles(out: &str) -> usize {
        out.lines()
            .filter(|l| {
                l.contains("]: client HX-1 has no record of consent")
                    || l.contains("]: the file is empty")
            })
            .count()
    }

    #[test]
    fn only_the_texts_of_files_with_diagnostics_are_kept() {
        let mut sources = Sources::default();
        for file in ["clients/HX-1.yaml", "clients/HX-2.yaml", "dataroom.yaml"] {
            sources.insert(file.into(), Arc::new(format!("text of {file}")));
        }
        let mut diags = Diagnostics::default();
        diags.push(Diagnostic::error(
            "yaml-syntax",
            "clients/HX-2.yaml",
            Loc::START,
            Wording::new("diag_theme_link"),
        ));
        sources.keep_only_for(&diags);
        assert_eq!(sources.held(), 1);
        assert!(sources.held.contains_key(Path::new("clients/HX-2.yaml")));
    }

    #[test]
    fn build_shows_the_first_warnings_in_full_then_a_grouped_count_per_kind() {
        let mut diags = Diagnostics::default();
        warnings(&mut diags, "no-recent-service", 1234);
        warnings(&mut diags, "phone-invalid", 3);
        warnings(&mut diags, "unknown-kind", 1);
        let out = render_shown(
            &diags,
            Shown::WarningsUpTo(20),
            &Sources::default(),
            Path::new("my room"),
            &Renderer::new(false),
            embedded(Language::En),
        );
        assert_eq!(titles(&out), 20, "{out}");
        let tail: Vec<&str> = out
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        assert_eq!(
            tail,
            [
                "20 of 1,238 warnings are shown above in full. All 1,238, by kind:",
                "  1,234 × no-recent-service  No service in the last 12 months",
                "      3 × phone-invalid      Invalid phone numbers",
                "      1 × unknown-kind",
                "Every warning: dataroom check 'my room' (add --format json for other tools), or build again with --verbose",
            ],
            "{out}"
        );
    }

    #[test]
    fn the_summary_speaks_the_catalogues_language() {
        let mut diags = Diagnostics::default();
        warnings(&mut diags, "consent-missing", 2);
        let out = render_shown(
            &diags,
            Shown::WarningsUpTo(1),
            &Sources::default(),
            Path::new("room"),
            &Renderer::new(false),
            embedded(Language::ZhCn),
        );
        assert!(
            out.contains("]: 客户 HX-1 没有同意处理个人信息的记录"),
            "the diagnostic itself in Chinese: {out}"
        );
        assert!(!out.contains("has no record of consent"), "{out}");
        assert!(out.contains("上面完整列出了 2 条警告中的 1 条。全部 2 条按类别：\n  2 × consent-missing  缺少授权同意\n查看全部警告：dataroom check room（"), "{out}");
    }

    #[test]
    fn errors_are_always_shown_in_full_and_all_shows_every_warning() {
        let mut diags = Diagnostics::default();
        warnings(&mut diags, "phone-invalid", 30);
        for i in 0..25 {
            diags.push(Diagnostic::error(
                "unknown-field",
                format!("clients/e{i}.yaml"),
                Loc::START,
                Wording::new("diag_empty_file"),
            ));
        }
        let render = |shown| {
            render_shown(
                &diags,
                shown,
                &Sources::default(),
                Path::new("r"),
                &Renderer::new(false),
                embedded(Language::En),
            )
        };
        let limited = render(Shown::WarningsUpTo(20));
        assert_eq!(limited.matches("[unknown-field]").count(), 25, "{limited}");
        assert_eq!(limited.matches("[phone-invalid]").count(), 20, "{limited}");
        let all = render(Shown::All);
        assert_eq!(titles(&all), 55, "{all}");
        assert!(!all.contains("by kind"), "{all}");
        // nothing left out: no summary either
        assert!(!render(Shown::WarningsUpTo(30)).contains("by kind"));
    }
}
