//! `dataroom serve ROOM [--port N]`: the seller's live preview.
//!
//! The room goes through the same pipeline as `build` with the in-memory
//! output stage ([`crate::preview`]): the plain site, unencrypted, never
//! written, never signed. A small HTTP server on 127.0.0.1 (never another
//! interface) serves it; a watcher renders the room again after every saved
//! change, and the pages' live-reload script (added here, to served pages only;
//! never in a built room) reloads the open page. While the room has problems,
//! every page shows them instead of content.

mod path;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::i18n::{self, fill, text, Wording};
use crate::publish::plain::{Body, MemorySite};
use crate::render::{Engine, Page, Theme};
use crate::room::Language;
use crate::BuildError;

pub use path::site_path;

/// The default port, as Zola's `serve` uses.
pub const DEFAULT_PORT: u16 = 1111;
/// The live-reload script and its long-poll endpoint; served only by the preview.
pub const RELOAD_SCRIPT_PATH: &str = "/__dataroom/reload.js";
pub const RELOAD_POLL_PATH: &str = "/__dataroom/reload";
const RELOAD_JS: &str = include_str!("reload.js");
/// How long a long-poll waits before answering "unchanged" (the script asks again).
const POLL_WAIT: Duration = Duration::from_secs(25);
/// Saves come in bursts (an editor writes, renames, touches): wait for this
/// much quiet before rendering again.
const DEBOUNCE: Duration = Duration::from_millis(120);

/// What the preview shows right now.
enum View {
    Site(MemorySite),
    /// The room's problems, as the fragment every page shows.
    Problems(String),
}

struct State {
    /// Goes up with every render; the reload script compares it.
    version: u64,
    view: View,
    lang: Language,
}

struct Shared {
    room: PathBuf,
    /// The terminal's language when `--lang` (or the locale, for a room
    /// without `language`) chose one; else the room's.
    forced: Option<Language>,
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Starts the preview of `room` on 127.0.0.1:`port` (0: any free port) and
/// serves until the process is stopped. The URL goes to stdout, progress to
/// stderr, in `forced` (`--lang`) or else the room's language; the pages in the room's.
pub fn serve(room: &Path, port: u16, forced: Option<Language>) -> Result<(), Wording> {
    if !room.join("dataroom.yaml").is_file() {
        return Err(Wording::new("import_not_room").path("room", room));
    }
    let strings = i18n::embedded(forced.unwrap_or(room_language(room)));
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let server = tiny_http::Server::http(address).map_err(|e| listen_error(room, port, &*e))?;
    let bound = server
        .server_addr()
        .to_ip()
        .map_or(port, |address| address.port());

    let (view, lang, summary) = render_view(room, forced);
    let shared = Arc::new(Shared {
        room: room.to_path_buf(),
        forced,
        state: Mutex::new(State {
            version: 1,
            view,
            lang,
        }),
        changed: Condvar::new(),
    });
    let _watcher = watch(&shared)?;

    let stopped = text(strings, "serve_stopped").to_string();
    // Nothing is on disk to clean up: say goodbye and leave with success.
    let _ = ctrlc::set_handler(move || {
        say(&stopped);
        std::process::exit(0);
    });
    let url = format!("http://127.0.0.1:{bound}/");
    std::println!(
        "{}",
        crate::terminal::escape(&fill(text(strings, "serve_listening"), &[("url", &url)]))
    );
    say(&summary);

    for request in server.incoming_requests() {
        let shared = Arc::clone(&shared);
        // One thread per request: long-polls wait without holding up pages.
        std::thread::spawn(move || respond(&shared, request));
    }
    Ok(())
}

fn listen_error(room: &Path, port: u16, e: &(dyn std::error::Error + 'static)) -> Wording {
    let io = e.downcast_ref::<std::io::Error>();
    if io.is_some_and(|e| e.kind() == std::io::ErrorKind::AddrInUse) {
        let other = if port == u16::MAX { 1024 } else { port + 1 };
        Wording::new("serve_port_in_use")
            .arg("port", port)
            .path("room", room)
            .arg("other", other)
    } else {
        Wording::new("serve_cannot_listen")
            .arg("address", format!("127.0.0.1:{port}"))
            .cause(
                "error",
                io.map_or_else(|| Wording::from(e.to_string()), Wording::io),
            )
    }
}

/// The room's language, even while the room has errors: read loosely from
/// `dataroom.yaml` (zh-CN, the default, when it cannot be read).
fn room_language(room: &Path) -> Language {
    declared_language(room).unwrap_or(Language::ZhCn)
}

/// The language a room's `dataroom.yaml` says, read loosely (the room may have
/// errors); `None` without a readable `dataroom.yaml`. Also the command line's
/// choice for serve's own messages (after `--lang`).
pub fn declared_language(room: &Path) -> Option<Language> {
    #[derive(serde::Deserialize)]
    struct LanguageOnly {
        #[serde(default)]
        language: Option<String>,
    }
    let text = std::fs::read_to_string(room.join("dataroom.yaml")).ok()?;
    match serde_saphyr::from_str::<LanguageOnly>(&text) {
        Ok(LanguageOnly {
            language: Some(code),
        }) => Language::from_code(&code).or(Some(Language::ZhCn)),
        _ => Some(Language::ZhCn),
    }
}

/// Renders the room: the site, or its problems. Also the line to print.
fn render_view(room: &Path, forced: Option<Language>) -> (View, Language, String) {
    let lang = room_language(room);
    let strings = i18n::embedded(lang);
    let terminal = i18n::embedded(forced.unwrap_or(lang));
    match crate::preview(room) {
        Ok(mut site) => {
            let pages = site.paths().iter().filter(|p| p.ends_with(".html")).count();
            let line = fill(
                text(terminal, "serve_rebuilt"),
                &[("pages", &pages.to_string())],
            );
            (View::Site(site), lang, line)
        }
        Err(error) => {
            let problems = problems_of(&error, strings);
            let line = fill(
                text(terminal, "serve_rebuilt_problems"),
                &[("count", &problems.len().to_string())],
            );
            let fragment = problems_fragment(&problems, lang)
                .unwrap_or_else(|message| format!("<pre>{}</pre>", tera::escape_html(&message)));
            (View::Problems(fragment), lang, line)
        }
    }
}

#[derive(serde::Serialize)]
struct Problem {
    at: String,
    message: String,
    fix: String,
}

/// The errors of a failed render, worded in the room's language.
fn problems_of(error: &BuildError, strings: &i18n::Strings) -> Vec<Problem> {
    match error {
        BuildError::Input(loaded) => loaded
            .diagnostics
            .items
            .iter()
            .filter(|d| d.severity == crate::Severity::Error)
            .map(|d| {
                let (message, help) = d.worded(strings);
                Problem {
                    at: format!(
                        "{}:{}:{}",
                        d.file.to_string_lossy().replace('\\', "/"),
                        d.loc.line,
                        d.loc.column
                    ),
                    message,
                    fix: help.unwrap_or_default(),
                }
            })
            .collect(),
        BuildError::Output(wording) => {
            let (message, fix) = wording.worded_with(strings, &[]);
            vec![Problem {
                at: String::new(),
                message,
                fix: fix.unwrap_or_default(),
            }]
        }
    }
}

/// The problems as a page fragment, from the default theme's
/// `preview_problems.html` (autoescaped: file contents never become markup).
fn problems_fragment(problems: &[Problem], lang: Language) -> Result<String, String> {
    let engine = default_engine(lang)?;
    let mut ctx = tera::Context::new();
    ctx.insert("problems", problems);
    ctx.insert("count", &problems.len().to_string());
    engine
        .render("preview_problems.html", ctx)
        .map_err(|d| d.message)
}

fn default_engine(lang: Language) -> Result<Engine, String> {
    Engine::new(&Theme::load(&[]), lang).map_err(|d| d.message)
}

/// Watches the room; after each burst of saved changes, renders it again and
/// wakes the waiting reload scripts.
fn watch(shared: &Arc<Shared>) -> Result<notify::RecommendedWatcher, Wording> {
    use notify::Watcher;
    let (tx, rx) = mpsc::channel::<()>();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|e| is_change(&e.kind)) {
            let _ = tx.send(());
        }
    })
    .and_then(|mut w| {
        w.watch(&shared.room, notify::RecursiveMode::Recursive)
            .map(|()| w)
    })
    .map_err(|e| {
        Wording::new("serve_cannot_watch")
            .path("room", &shared.room)
            .cause(
                "error",
                match &e.kind {
                    notify::ErrorKind::Io(io) => Wording::io(io),
                    _ => Wording::from(e.to_string()),
                },
            )
    })?;
    let shared = Arc::clone(shared);
    std::thread::spawn(move || {
        while rx.recv().is_ok() {
            while rx.recv_timeout(DEBOUNCE).is_ok() {}
            let (view, lang, line) = render_view(&shared.room, shared.forced);
            {
                let mut state = shared.lock();
                state.view = view;
                state.lang = lang;
                state.version += 1;
            }
            shared.changed.notify_all();
            say(&line);
        }
    });
    Ok(watcher)
}

/// A change worth rendering again: not a mere read (rendering reads the room).
fn is_change(kind: &notify::EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode, MetadataKind, ModifyKind};
    use notify::EventKind;
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => false,
        _ => true,
    }
}

fn respond(shared: &Shared, request: tiny_http::Request) {
    let head = *request.method() == tiny_http::Method::Head;
    let reply = answer(shared, request.method(), request.url());
    let mut response = tiny_http::Response::from_data(if head { Vec::new() } else { reply.body })
        .with_status_code(reply.status);
    for (name, value) in [
        ("Content-Type", reply.content_type),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ]
    .into_iter()
    .chain(reply.allow.then_some(("Allow", "GET, HEAD")))
    {
        if let Ok(header) = tiny_http::Header::from_bytes(name, value) {
            response.add_header(header);
        }
    }
    let _ = request.respond(response);
}

struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    /// 405: say which methods are allowed.
    allow: bool,
}

impl Reply {
    fn ok(content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply {
            status: 200,
            content_type,
            body,
            allow: false,
        }
    }

    fn plain(status: u16, message: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: message.as_bytes().to_vec(),
            allow: false,
        }
    }
}

const HTML: &str = "text/html; charset=utf-8";

/// The theme's files by their kind, attachments and exports as the sealed room labels them.
fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => HTML,
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        _ => crate::seal::site::mime_of(path),
    }
}

/// The answer to one request: everything but the sending, so it can be tested.
fn answer(shared: &Shared, method: &tiny_http::Method, url: &str) -> Reply {
    let lang = shared.lock().lang;
    let strings = i18n::embedded(lang);
    if !matches!(method, tiny_http::Method::Get | tiny_http::Method::Head) {
        return Reply {
            allow: true,
            ..Reply::plain(405, text(strings, "serve_method_not_allowed"))
        };
    }
    let (raw_path, query) = url.split_once('?').unwrap_or((url, ""));
    if raw_path == RELOAD_SCRIPT_PATH {
        return Reply::ok(
            "text/javascript; charset=utf-8",
            RELOAD_JS.as_bytes().to_vec(),
        );
    }
    if raw_path == RELOAD_POLL_PATH {
        let since = query_value(query, "since").and_then(|v| v.parse::<u64>().ok());
        return Reply::ok(
            "text/plain; charset=utf-8",
            wait_for_change(shared, since).to_string().into_bytes(),
        );
    }
    let Some(path) = site_path(raw_path) else {
        return Reply::plain(400, text(strings, "serve_bad_path"));
    };
    let mut state = shared.lock();
    let version = state.version;
    let lang = state.lang;
    match &mut state.view {
        View::Problems(fragment) => {
            // Every page shows the problems; the theme's CSS still loads.
            if let Some(bytes) = path.strip_prefix("static/").and_then(|name| {
                Theme::load(&[])
                    .files
                    .get(&format!("static/{name}"))
                    .cloned()
            }) {
                return Reply::ok(content_type(&path), bytes.into_owned());
            }
            let fragment = fragment.clone();
            drop(state);
            match problems_page(&fragment, &path, lang) {
                Ok(html) => Reply::ok(HTML, with_live_reload(&html, version).into_bytes()),
                Err(message) => Reply::plain(500, &message),
            }
        }
        View::Site(site) => match site.get(&path) {
            Some(Body::Bytes(bytes)) if path.ends_with(".html") => {
                let html = String::from_utf8_lossy(bytes);
                Reply::ok(HTML, with_live_reload(&html, version).into_bytes())
            }
            Some(Body::Bytes(bytes)) => Reply::ok(content_type(&path), bytes.to_vec()),
            Some(Body::File(file)) => {
                let file = file.to_path_buf();
                drop(state);
                match std::fs::read(&file) {
                    Ok(bytes) => Reply::ok(content_type(&path), bytes),
                    Err(_) => Reply::plain(404, text(strings, "serve_not_found")),
                }
            }
            None => Reply::plain(404, text(strings, "serve_not_found")),
        },
    }
}

/// The problems as a whole page at `path`, so its relative links (the
/// stylesheet) work from any depth.
fn problems_page(fragment: &str, path: &str, lang: Language) -> Result<String, String> {
    let engine = default_engine(lang)?;
    let title = text(i18n::embedded(lang), "serve_problems_title").replace("{count}", "");
    let page = Page::plain(
        path.strip_suffix(".html").unwrap_or(path).to_string(),
        title.trim().to_string(),
        fragment.to_string(),
    );
    engine
        .standalone(&page, "", &page.title, "preview")
        .map_err(|d| d.message)
}

/// Waits until the room has been rendered again after version `since` (or a
/// while has passed) and returns the current version.
fn wait_for_change(shared: &Shared, since: Option<u64>) -> u64 {
    let state = shared.lock();
    let Some(since) = since else {
        return state.version;
    };
    let (state, _) = shared
        .changed
        .wait_timeout_while(state, POLL_WAIT, |s| s.version == since)
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    state.version
}

fn query_value<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A served page with the preview's own additions: the live-reload script,
/// and a CSP that lets it reach this server (the theme's forbids connections).
pub fn with_live_reload(html: &str, version: u64) -> String {
    html.replacen("connect-src 'none'", "connect-src 'self'", 1)
        .replacen(
            "</body>",
            &format!("<script src=\"{RELOAD_SCRIPT_PATH}\" data-version=\"{version}\"></script>\n</body>"),
            1,
        )
}

/// A line for the user on the terminal (escaped: it can quote the room's files).
fn say(line: &str) {
    std::eprintln!("{}", crate::terminal::escape(line));
}
