//! Rendering: the checked room → HTML fragments, one per route, with tera
//! templates from the theme and pulldown-cmark for documents.
//!
//! Invariant: rendering reads only the [`Room`] and the [`Theme`]; it writes
//! nothing. Every page is a fragment whose links are `#/route`; the seal and
//! publish stages decide how fragments reach the disk.

pub mod audience;
pub mod handover;
pub mod markdown;
pub mod registry;
pub mod rows;
pub mod theme;
mod views;

use std::collections::HashMap;

use rayon::prelude::*;
use tera::{Context, Tera};

use crate::room::diagnostic::{Diagnostic, Loc, Wording};
use crate::room::{DocKind, Language, Room};
pub use theme::Theme;

/// What a build includes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    /// The whole room (sealed).
    All,
    /// Only the training lessons and their index: the public training site.
    TrainingOnly,
}

/// What the handover documents need besides the room: the data-quality
/// findings of the check and the protection this build applies.
#[derive(Clone, Debug, Default)]
pub struct Extras<'a> {
    pub findings: &'a [Diagnostic],
    pub signing: Option<SigningInfo>,
    pub kdf_iterations: u32,
    /// The room's audiences, for the handover confirmation (empty without).
    pub audiences: &'a [registry::AudienceSummary],
}

#[derive(Clone, Debug)]
pub struct SigningInfo {
    pub key_id: String,
    pub fingerprint: String,
}

/// One rendered page: a route such as `clients/HX-00010`, its title and an HTML fragment.
#[derive(Clone, Debug)]
pub struct Page {
    pub route: String,
    pub title: String,
    pub html: String,
    /// The index tables in `html` whose rows are data (`rows.rs`): the sealed
    /// site stores the page without them and the rows as sharded payloads.
    pub tables: Vec<rows::Placed>,
}

impl Page {
    /// A page without row-data tables.
    pub fn plain(route: String, title: String, html: String) -> Page {
        Page {
            route,
            title,
            html,
            tables: Vec::new(),
        }
    }
}

/// A generated file offered for download inside the room (CSV, JSON exports).
#[derive(Clone, Debug)]
pub struct Export {
    /// Path under `exports/`, e.g. `exports/clients.csv`.
    pub path: String,
    pub mime: &'static str,
    pub bytes: Vec<u8>,
}

pub struct Site {
    pub title: String,
    pub lang: Language,
    pub pages: Vec<Page>,
    pub exports: Vec<Export>,
    /// The navigation sidebar, an HTML fragment.
    pub nav: String,
    /// UI strings of the site's language.
    pub strings: HashMap<String, String>,
}

pub(crate) struct Engine {
    tera: Tera,
    pub strings: HashMap<String, String>,
    /// The same strings as a template value, built once.
    strings_value: serde_json::Value,
    /// Per template, just the strings it names (`t.key`), built once: copying
    /// all ~700 strings into every page's context was a tenth of render's time.
    /// A template that uses `t` any other way (`t[key]`, includes) gets them all.
    strings_of_template: HashMap<String, serde_json::Value>,
    /// The strings the browser reads, as JSON, built once: every restored or
    /// plain page carries them, and sorting and escaping ~700 strings per page
    /// was a tenth of `restore`.
    browser_strings_json: String,
    lang: Language,
    /// Template name → (its file for messages, its text), to place render errors.
    template_sources: HashMap<String, (String, String)>,
}

/// The whole chain of a tera error: the top message alone says only "Failed to parse".
fn tera_message(e: &tera::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(&format!(": {s}"));
        source = s.source();
    }
    msg
}

fn theme_error(template: &str, e: &tera::Error) -> Diagnostic {
    Diagnostic::error(
        "theme-error",
        "theme",
        Loc::START,
        Wording::new("diag_template_failed")
            .arg("template", template)
            .cause("error", tera_reason(e).0),
    )
}

/// Why tera refused, worded from the catalogue (tera's own text is English),
/// and the name it complains about, to place the error in the template. The
/// innermost error of the chain is the most specific; tera's wrappers
/// ("Failed to render 'x'") add nothing.
fn tera_reason(e: &tera::Error) -> (Wording, Option<String>) {
    use tera::ErrorKind;
    let mut chain: Vec<&tera::Error> = vec![e];
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(t) = s.downcast_ref::<tera::Error>() {
            chain.push(t);
        }
        source = s.source();
    }
    let named = |key: &'static str, name: &str| {
        let name = name.trim_matches(|c| c == '[' || c == ']');
        (Wording::new(key).arg("name", name), Some(name.to_string()))
    };
    // The text between the first pair of `quote`s of `message`.
    let quoted = |message: &str, quote: char| {
        let mut parts = message.split(quote);
        parts.next();
        parts.next().map(str::to_string)
    };
    for err in chain.iter().rev() {
        match &err.kind {
            ErrorKind::TemplateNotFound(name) => return named("diag_tera_template_missing", name),
            ErrorKind::MissingParent { parent, .. } => {
                return named("diag_tera_template_missing", parent)
            }
            ErrorKind::CircularExtend { tpl, .. } => return named("diag_tera_circular", tpl),
            ErrorKind::FilterNotFound(name) => return named("diag_tera_filter_missing", name),
            ErrorKind::TestNotFound(name) => return named("diag_tera_test_missing", name),
            ErrorKind::FunctionNotFound(name) => return named("diag_tera_function_missing", name),
            ErrorKind::CallFunction(name)
            | ErrorKind::CallFilter(name)
            | ErrorKind::CallTest(name) => {
                let detail = std::error::Error::source(*err)
                    .map(|inner| inner.to_string())
                    .unwrap_or_default();
                let (wording, at) = named("diag_tera_call_failed", name);
                return (wording.arg("detail", detail), at);
            }
            ErrorKind::Msg(message) if message.starts_with("Variable `") => {
                let name = quoted(message, '`').unwrap_or_default();
                let key = if message.contains("math operation") {
                    "diag_tera_not_a_number"
                } else {
                    "diag_tera_variable_missing"
                };
                return named(key, &name);
            }
            ErrorKind::Msg(message) if message.starts_with("Failed to parse") => {
                let full = tera_message(err);
                let expected = full
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("= "))
                    .unwrap_or_default()
                    .to_string();
                return (
                    Wording::new("diag_tera_syntax").arg("detail", expected),
                    None,
                );
            }
            _ => {}
        }
    }
    (
        Wording::new("diag_tera_other").arg("detail", tera_message(e)),
        None,
    )
}

/// The position tera's parser reports (` --> line:column`) in `text`.
fn tera_error_loc(message: &str, text: &str) -> Loc {
    let position = message.split_once("--> ").and_then(|(_, rest)| {
        let end = rest
            .find(|c: char| !c.is_ascii_digit() && c != ':')
            .unwrap_or(rest.len());
        let (line, column) = rest[..end].split_once(':')?;
        Some((line.parse::<usize>().ok()?, column.parse::<usize>().ok()?))
    });
    let Some((line, column)) = position else {
        return Loc::START;
    };
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let offset = text[line_start.min(text.len())..]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(text.len(), |(i, _)| line_start + i);
    Loc {
        line,
        column,
        offset,
        len: 1,
    }
}

/// `dataroom check`'s look at the theme: every template must parse and every
/// UI-string file must load, as the build will need them. Each problem names
/// its file (the room's `theme/…` override) and position. Returns the texts
/// of the files it reports on, for the snippets.
pub fn check_theme(theme: &Theme) -> (Vec<Diagnostic>, Vec<(std::path::PathBuf, String)>) {
    let mut problems = Vec::new();
    let mut texts = Vec::new();
    // One template at a time, so every broken template is reported; the
    // default theme's templates use `include` only, which resolves at render.
    for (name, bytes) in theme.under("templates/") {
        let text = String::from_utf8_lossy(bytes).into_owned();
        if let Err(e) = Tera::default().add_raw_template(name, &text) {
            let file = std::path::PathBuf::from(theme.source_path(&format!("templates/{name}")));
            let message = tera_message(&e);
            problems.push(Diagnostic::error(
                "theme-error",
                &file,
                tera_error_loc(&message, &text),
                Wording::new("diag_template_parse")
                    .arg("template", name)
                    .cause("error", tera_reason(&e).0),
            ));
            texts.push((file, text));
        }
    }
    for lang in [Language::ZhCn, Language::En] {
        if let Err(d) = load_strings(theme, lang) {
            if let Some(bytes) =
                theme
                    .files
                    .get(&format!("{}{}.yaml", theme::OVERRIDE_I18N, lang.code()))
            {
                texts.push((d.file.clone(), String::from_utf8_lossy(bytes).into_owned()));
            }
            problems.push(d);
        }
    }
    (problems, texts)
}

impl Engine {
    pub fn new(theme: &Theme, lang: Language) -> Result<Engine, Diagnostic> {
        let mut tera = Tera::default();
        let templates: Vec<(String, String)> = theme
            .under("templates/")
            .map(|(name, bytes)| {
                (
                    name.to_string(),
                    String::from_utf8_lossy(bytes).into_owned(),
                )
            })
            .collect();
        let template_sources: HashMap<String, (String, String)> = templates
            .iter()
            .map(|(name, text)| {
                let file = theme.source_path(&format!("templates/{name}"));
                (name.clone(), (file, text.clone()))
            })
            .collect();
        tera.add_raw_templates(templates)
            .map_err(|e| theme_error("templates/", &e))?;
        tera.register_function("url", url_function);
        let strings = load_strings(theme, lang)?;
        let strings_value = serde_json::to_value(&strings).unwrap_or_default();
        let strings_of_template = template_sources
            .iter()
            .filter_map(|(name, (_, text))| {
                let keys = strings_named(text)?;
                let subset: serde_json::Map<String, serde_json::Value> = keys
                    .into_iter()
                    .filter_map(|k| Some((k.clone(), strings.get(&k)?.clone().into())))
                    .collect();
                Some((name.clone(), serde_json::Value::Object(subset)))
            })
            .collect();
        let browser_strings_json = browser_strings_json(&strings);
        Ok(Engine {
            tera,
            strings,
            strings_value,
            strings_of_template,
            browser_strings_json,
            lang,
            template_sources,
        })
    }

    pub fn render(&self, template: &str, mut ctx: Context) -> Result<String, Diagnostic> {
        ctx.insert("t", self.strings_of(template));
        ctx.insert("lang", self.lang.code());
        self.tera
            .render(template, &ctx)
            .map_err(|e| self.render_error(template, &e))
    }

    /// A template that failed to render, named by its file (the room's override
    /// or the default) and placed at the first mention of the name tera
    /// complains about (tera gives no position for render errors).
    fn render_error(&self, template: &str, e: &tera::Error) -> Diagnostic {
        let message = tera_message(e);
        // The innermost template named in the chain: an included one, if any.
        let failed = message
            .split('\'')
            .rfind(|part| self.template_sources.contains_key(*part))
            .unwrap_or(template);
        let (reason, named) = tera_reason(e);
        let (file, loc) = match self.template_sources.get(failed) {
            Some((file, text)) => {
                let loc = named
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .and_then(|n| {
                        text.find(n)
                            .map(|at| Loc::at_offset(text.as_bytes(), at, n.len()))
                    })
                    .unwrap_or(Loc::START);
                (file.clone(), loc)
            }
            None => ("theme".to_string(), Loc::START),
        };
        Diagnostic::error(
            "theme-error",
            file,
            loc,
            Wording::new("diag_template_failed")
                .arg("template", failed)
                .cause("error", reason),
        )
    }

    /// The strings `template` names, or all of them when it may reach them another way.
    fn strings_of(&self, template: &str) -> &serde_json::Value {
        self.strings_of_template
            .get(template)
            .unwrap_or(&self.strings_value)
    }

    /// Renders `template` with the page's own values (a JSON object) plus what
    /// every page sees (the UI strings, the language). The values move into the
    /// context without being copied again.
    pub fn render_page(
        &self,
        template: &str,
        page: serde_json::Value,
    ) -> Result<String, Diagnostic> {
        let serde_json::Value::Object(mut values) = page else {
            return Err(theme_error(
                template,
                &tera::Error::msg("page values must be an object"),
            ));
        };
        values.insert("t".into(), self.strings_of(template).clone());
        values.insert(
            "lang".into(),
            serde_json::Value::String(self.lang.code().into()),
        );
        let ctx = Context::from_value(serde_json::Value::Object(values))
            .map_err(|e| theme_error(template, &e))?;
        self.tera
            .render(template, &ctx)
            .map_err(|e| self.render_error(template, &e))
    }
}

/// The catalogue keys a template names as `t.key` inside its tags, or `None`
/// when it may reach `t` another way (`t[key]`, `set x = t`, includes,
/// imports, macros): then it gets every string.
fn strings_named(text: &str) -> Option<std::collections::BTreeSet<String>> {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut keys = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(open) = rest.find(['{']) {
        let after = &rest[open + 1..];
        let close = match after.chars().next() {
            Some('{') => "}}",
            Some('%') => "%}",
            _ => {
                rest = after;
                continue;
            }
        };
        let end = after.find(close)?;
        let code = &after[1..end];
        rest = &after[end + close.len()..];
        let first = code.trim_matches('-').split_whitespace().next();
        if matches!(
            first,
            Some("include" | "extends" | "import" | "macro" | "block" | "set_global")
        ) || code.contains("self::")
        {
            return None;
        }
        for (at, _) in code.match_indices('t') {
            let before = code[..at].chars().next_back();
            let after_t = &code[at + 1..];
            if before.is_some_and(|c| is_ident(c) || c == '.') || after_t.starts_with(is_ident) {
                continue; // part of another name
            }
            let key: String = after_t
                .strip_prefix('.')?
                .chars()
                .take_while(|&c| is_ident(c))
                .collect();
            if key.is_empty() {
                return None;
            }
            keys.insert(key);
        }
    }
    Some(keys)
}

/// `url(route="clients/HX-1")` → `#/clients/HX-1`; `url(file="attachments/a.pdf")` → `#/file/attachments/a.pdf`.
fn url_function(args: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    if let Some(route) = args.get("route").and_then(|v| v.as_str()) {
        return Ok(tera::Value::String(format!("#/{}", encode_route(route))));
    }
    if let Some(file) = args.get("file").and_then(|v| v.as_str()) {
        return Ok(tera::Value::String(format!(
            "#/file/{}",
            encode_route(file)
        )));
    }
    Err(tera::Error::msg("url() needs route= or file="))
}

/// Percent-encodes what would break a URL fragment; keeps `/` and non-ASCII letters.
pub fn encode_route(route: &str) -> String {
    let mut out = String::with_capacity(route.len());
    for c in route.chars() {
        match c {
            ' ' | '"' | '<' | '>' | '`' | '#' | '%' | '?' | '\'' | '&' => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// The theme's UI strings in `lang` (the room's overrides applied).
pub fn ui_strings(theme: &Theme, lang: Language) -> Result<HashMap<String, String>, Diagnostic> {
    load_strings(theme, lang)
}

fn load_strings(theme: &Theme, lang: Language) -> Result<HashMap<String, String>, Diagnostic> {
    let name = format!("{}.yaml", lang.code());
    let parse = |key: &str, shown: &str| -> Result<Option<HashMap<String, String>>, Diagnostic> {
        let Some(bytes) = theme.files.get(key) else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(bytes);
        crate::room::yaml::parse_yaml(std::path::Path::new(shown), &text, 0, 0).map(Some)
    };
    let mut strings = parse(
        &format!("i18n/{name}"),
        &format!("themes/default/i18n/{name}"),
    )?
    .ok_or_else(|| {
        Diagnostic::error(
            "theme-error",
            "theme",
            Loc::START,
            Wording::new("diag_theme_no_catalogue").arg("file", &name),
        )
    })?;
    if let Some(over) = parse(
        &format!("{}{name}", theme::OVERRIDE_I18N),
        &format!("theme/i18n/{name}"),
    )? {
        strings.extend(over);
    }
    Ok(strings)
}

/// Renders every page of the selection. Pages render in parallel.
pub fn render(
    room: &Room,
    theme: &Theme,
    selection: Selection,
    extras: &Extras,
) -> Result<Site, Diagnostic> {
    render_for(room, theme, selection, extras, &registry::Sees::all())
}

#[cfg(test)]
thread_local! {
    /// How many rooms [`render_for`] rendered on this thread, so a test can
    /// prove a build renders nothing it does not use.
    pub(crate) static RENDERS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Renders the pages a reader who sees `sees` gets (one audience's site; the
/// room should be [`audience::room_for`] that audience).
pub fn render_for(
    room: &Room,
    theme: &Theme,
    selection: Selection,
    extras: &Extras,
    sees: &registry::Sees,
) -> Result<Site, Diagnostic> {
    #[cfg(test)]
    RENDERS.with(|n| n.set(n.get() + 1));
    let engine = Engine::new(theme, room.settings.language)?;
    let source = PageSource::new(room, &engine, selection, extras, sees);
    let pages: Vec<Page> = (0..source.len())
        .into_par_iter()
        .map(|n| source.page(n))
        .collect::<Result<_, _>>()?;
    let mut site = source.site_without_pages()?;
    site.pages = pages;
    site.exports = (0..).map_while(|n| source.export(n)).collect();
    Ok(site)
}

/// Renders every page of the room once and keeps none: whether the theme's
/// templates work on the room's values (`check`), without holding the site.
pub fn try_render_all(room: &Room, theme: &Theme, extras: &Extras) -> Result<(), Diagnostic> {
    let engine = Engine::new(theme, room.settings.language)?;
    let everything = registry::Sees::all();
    let source = PageSource::new(room, &engine, Selection::All, extras, &everything);
    (0..source.len())
        .into_par_iter()
        .try_for_each(|n| source.page(n).map(drop))?;
    source.site_without_pages().map(drop)
}

/// One reader's pages, rendered one at a time on demand: the sealed build
/// streams them (render → seal → write, pack by pack) instead of holding them all.
pub(crate) struct PageSource<'a> {
    view: views::RoomView<'a>,
    engine: &'a Engine,
    room: &'a Room,
    selection: Selection,
    sees: &'a registry::Sees,
    specs: Vec<registry::PageSpec>,
}

impl<'a> PageSource<'a> {
    pub fn new(
        room: &'a Room,
        engine: &'a Engine,
        selection: Selection,
        extras: &'a Extras<'a>,
        sees: &'a registry::Sees,
    ) -> PageSource<'a> {
        let view = views::RoomView::new(room, &engine.strings, selection, extras, sees);
        let specs = view.specs();
        PageSource {
            view,
            engine,
            room,
            selection,
            sees,
            specs,
        }
    }

    /// For the sealed site: index tables' rows as data only (sealed as
    /// shards), never written into the page's HTML.
    pub fn rows_as_data(mut self) -> Self {
        self.view.rows_as_data = true;
        self
    }

    /// How many pages this reader gets.
    pub fn len(&self) -> usize {
        self.specs.len()
    }

    /// The route of page `n` (the registry's order).
    pub fn route(&self, n: usize) -> &str {
        &self.specs[n].route
    }

    /// Whether page `n` is about the whole room (an index, a handover page),
    /// not one client's record or one document.
    pub fn whole_room(&self, n: usize) -> bool {
        !matches!(
            self.specs[n].job,
            registry::Job::Client(_) | registry::Job::Doc(_)
        )
    }

    /// Renders page `n`.
    pub fn page(&self, n: usize) -> Result<Page, Diagnostic> {
        self.view
            .render_job(self.engine, &self.specs, &self.specs[n])
    }

    /// Export `n` of this reader (`None` past the last), made when asked:
    /// `clients.csv`, `clients.json`, `notices.csv`.
    pub fn export(&self, n: usize) -> Option<Export> {
        let (path, mime) = self.export_kind(n)?;
        let mut bytes = Vec::new();
        self.write_export(n, &mut bytes).ok()?;
        Some(Export {
            path: path.into(),
            mime,
            bytes,
        })
    }

    /// Export `n`'s path and content type (`None` past the last).
    pub fn export_kind(&self, n: usize) -> Option<(&'static str, &'static str)> {
        if self.selection != Selection::All || !self.sees.contains(registry::Section::Exports) {
            return None;
        }
        match n {
            0 => Some(("exports/clients.csv", "text/csv")),
            1 => Some(("exports/clients.json", "application/json")),
            2 => Some(("exports/notices.csv", "text/csv")),
            _ => None,
        }
    }

    /// Writes export `n` into `out` as it is made, never whole in memory
    /// (the sealed build gzips it on the way: `seal::stream::Pages::export`).
    pub fn write_export(&self, n: usize, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let strings = &self.engine.strings;
        match n {
            0 => views::clients_csv(self.room, strings, out),
            1 => views::clients_json(self.room, out),
            2 => handover::notices_csv(self.room, strings, out),
            _ => Ok(()),
        }
    }

    /// Everything of the site but its pages and exports: title, navigation, strings.
    pub fn site_without_pages(&self) -> Result<Site, Diagnostic> {
        let nav = self.view.nav(self.engine, &self.specs)?;
        Ok(Site {
            title: self.view.site_title(),
            lang: self.room.settings.language,
            pages: Vec::new(),
            exports: Vec::new(),
            nav,
            strings: self.engine.strings.clone(),
        })
    }
}

pub(crate) fn doc_kind_label(kind: DocKind, strings: &HashMap<String, String>) -> String {
    let key = match kind {
        DocKind::Policy => "policies",
        DocKind::Checklist => "checklists",
        DocKind::Training => "training",
    };
    strings.get(key).cloned().unwrap_or_else(|| key.to_string())
}

impl Engine {
    /// The sealed site's entry page: the lock screen and the empty app shell.
    /// It carries nothing from the room except the optional public title.
    pub fn shell(&self, public_title: &str) -> Result<String, Diagnostic> {
        let mut ctx = Context::new();
        ctx.insert("public_title", public_title);
        ctx.insert("i18n_json", &self.browser_strings_json);
        self.render("shell.html", ctx)
    }

    /// A complete HTML document for one page, for the unencrypted training site
    /// and for restored rooms: `#/route` links become relative file links.
    pub fn standalone(
        &self,
        page: &Page,
        nav: &str,
        site_title: &str,
        site_id: &str,
    ) -> Result<String, Diagnostic> {
        let depth = route_depth(&page.route);
        let mut ctx = Context::new();
        ctx.insert("title", &page.title);
        ctx.insert("site_title", site_title);
        ctx.insert("site_id", site_id);
        ctx.insert("root", &"../".repeat(depth));
        ctx.insert("i18n_json", &self.browser_strings_json);
        ctx.insert("nav", &relink(nav, depth));
        ctx.insert("content", &relink(&page.html, depth));
        self.render("page.html", ctx)
    }
}

/// The UI strings for the browser, safe inside a `<script type="application/json">`.
/// Sorted by key: the shell must be the same bytes on every build (the zip's
/// size and the reproducible-build checks depend on it).
fn browser_strings_json(strings: &HashMap<String, String>) -> String {
    // The command line's own texts (diagnostics, output, --help) have no
    // reader in the browser: they stay out of every page.
    let sorted: std::collections::BTreeMap<&String, &String> = strings
        .iter()
        .filter(|(key, _)| !crate::i18n::is_terminal_only(key))
        .collect();
    serde_json::to_string(&sorted)
        .unwrap_or_else(|_| "{}".into())
        .replace('<', "\\u003c")
}

/// How many folders deep a route's standalone page lies (`clients/HX-1`: 1),
/// for [`relink`].
pub fn route_depth(route: &str) -> usize {
    route.matches('/').count()
}

/// Where a route's standalone page lives: `clients/HX-1` → `clients/HX-1.html`.
pub fn route_file(route: &str) -> String {
    format!("{route}.html")
}

/// Rewrites `href="#/route"` to a relative `route.html` and `href="#/file/p"` to
/// `p`, for pages that are separate files instead of hash routes.
pub fn relink(html: &str, depth: usize) -> String {
    const NEEDLE: &str = "href=\"#/";
    let root = "../".repeat(depth);
    let mut out = String::with_capacity(html.len() + html.len() / 16);
    let mut rest = html;
    while let Some(pos) = rest.find(NEEDLE) {
        out.push_str(&rest[..pos]);
        out.push_str("href=\"");
        let after = &rest[pos + NEEDLE.len()..];
        let end = after.find('"').unwrap_or(after.len());
        let target = &after[..end];
        match target.strip_prefix("file/") {
            Some(file) => {
                out.push_str(&root);
                out.push_str(file);
            }
            None => {
                let (route, anchor) = target.split_once('#').map_or((target, ""), |(r, a)| (r, a));
                out.push_str(&root);
                out.push_str(&route_file(route));
                if !anchor.is_empty() {
                    out.push('#');
                    out.push_str(anchor);
                }
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    link_inline_files(&out, &root)
}

const INLINE_FILE: &str = "<img data-file=\"";

/// `<img data-file="attachments/x.png">` (an image of a document, decrypted by
/// the sealed app) gets a `src` to the file itself, for pages that are files.
fn link_inline_files(html: &str, root: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(pos) = rest.find(INLINE_FILE) {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + INLINE_FILE.len()..];
        let end = after.find('"').unwrap_or(after.len());
        let file = &after[..end];
        out.push_str(&format!("<img src=\"{root}{file}\" data-file=\"{file}"));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The attachments a page shows as images (`<img data-file="…">`), for the
/// plain site, which publishes only those.
pub fn inline_files(html: &str) -> Vec<String> {
    html.match_indices(INLINE_FILE)
        .filter_map(|(pos, _)| {
            let after = &html[pos + INLINE_FILE.len()..];
            let file = &after[..after.find('"')?];
            Some(
                file.replace("&quot;", "\"")
                    .replace("&#39;", "'")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&"),
            )
        })
        .collect()
}

/// A JSON object of `fields`, each value moved in. `json!` copies every value
/// it is given (it serializes a reference to it): for the rows of a page about
/// every client that is a second copy of them all at the build's peak, and the
/// room index's 100,000 client items were copied twice (issue 11).
pub(crate) fn moved_into_object<const N: usize>(
    fields: [(&str, serde_json::Value); N],
) -> serde_json::Value {
    serde_json::Value::Object(
        fields
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relink_makes_relative_file_links() {
        let html = r##"<a href="#/clients/A">a</a> <a href="#/file/attachments/x.pdf">x</a> <a href="#top">t</a>"##;
        assert_eq!(
            relink(html, 1),
            r##"<a href="../clients/A.html">a</a> <a href="../attachments/x.pdf">x</a> <a href="#top">t</a>"##
        );
    }

    #[test]
    fn relink_points_document_images_at_their_files() {
        let html = r#"<p><img data-file="attachments/a&amp;b.png" alt="x"></p>"#;
        assert_eq!(
            relink(html, 1),
            r#"<p><img src="../attachments/a&amp;b.png" data-file="attachments/a&amp;b.png" alt="x"></p>"#
        );
        assert_eq!(inline_files(html), ["attachments/a&b.png"]);
    }

    #[test]
    fn a_template_gets_the_strings_it_names_or_all_when_it_may_reach_others() {
        let named = strings_named(
            "<h1>{{ t.client_title }}</h1>{%- if x %}{{ t.none_yet | safe }}{% endif -%}<p>don't {{ title }}</p>",
        );
        assert_eq!(
            named.map(|k| k.into_iter().collect::<Vec<_>>()),
            Some(vec!["client_title".to_string(), "none_yet".to_string()])
        );
        for dynamic in [
            "{{ t[key] }}",
            "{% set s = t %}{{ s.x }}",
            "{% include \"nav.html\" %}",
            "{%- include \"nav.html\" -%}",
            "{% for k, v in t %}{% endfor %}",
            "{{ t | json_encode }}",
            "{{ t.",
        ] {
            assert_eq!(strings_named(dynamic), None, "{dynamic}");
        }
        // Every default template renders with what it is given (the render
        // tests of whole rooms check the output).
        let theme = Theme::load(&[]);
        let engine = Engine::new(&theme, Language::ZhCn).expect("engine");
        let client = engine
            .strings_of_template
            .get("client.html")
            .and_then(|v| v.as_object())
            .expect("client.html names its strings");
        assert!(client.len() < engine.strings.len() / 4, "{}", client.len());
    }

    #[test]
    fn a_standalone_page_gets_the_strings_its_layout_names_and_the_browser_strings() {
        // A seller's page.html that names a string: laid out through
        // `Engine::render`, which hands a template only the strings it names.
        let layout = "<title>{{ title }}</title><b>{{ t.logout }}</b>\
                      <script type=\"application/json\">{{ i18n_json | safe }}</script>{{ content | safe }}";
        let theme = Theme::load(&[crate::room::ThemeFile {
            path: "templates/page.html".into(),
            bytes: layout.as_bytes().to_vec(),
        }]);
        let engine = Engine::new(&theme, Language::En).expect("engine");
        let page = Page::plain(
            "clients/A".into(),
            "A".into(),
            r##"<a href="#/clients/B">B</a>"##.into(),
        );
        let html = engine
            .standalone(&page, "", "Room", "id")
            .expect("laid out");
        assert!(
            html.contains(&format!("<b>{}</b>", engine.strings["logout"])),
            "{html}"
        );
        assert!(
            html.contains(r#"<a href="../clients/B.html">B</a>"#),
            "{html}"
        );
        // The browser's strings: every one but the command line's, sorted, `<` escaped.
        let json = html
            .split("<script type=\"application/json\">")
            .nth(1)
            .and_then(|rest| rest.split("</script>").next())
            .expect("the strings' script");
        let browser: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(json).expect("JSON");
        let expected = engine
            .strings
            .keys()
            .filter(|key| !crate::i18n::is_terminal_only(key))
            .count();
        assert_eq!(browser.len(), expected);
        assert!(browser.keys().is_sorted());
        assert!(!json.contains('<'));
        // The same bytes for every page (built once).
        let again = engine
            .standalone(&page, "", "Room", "id")
            .expect("laid out");
        assert_eq!(html, again);
    }

    #[test]
    fn routes_are_encoded_for_fragments() {
        assert_eq!(
            encode_route("policies/保密 协议#1"),
            "policies/保密%20协议%231"
        );
    }
}
