//! dataroom: a folder of client records and policy documents becomes a signed,
//! password-protected, offline data-room website plus a zip archive.
//!
//! The pipeline, one named step each: **load → check → render → seal → publish**.
//! See ARCHITECTURE.md for each stage's invariant.

// Errors are diagnostics with a path, position and help text; they are returned
// once per problem, never in a hot loop, so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod audiences;
pub mod i18n;
pub mod import;
pub mod publish;
pub mod render;
pub mod room;
pub mod seal;
pub mod search;
pub mod serve;
pub mod terminal;

use std::path::Path;
use std::time::{Duration, Instant};

use publish::signing::Signer;
use publish::{Sealed, Staging};
use render::{Engine, Selection, Theme};
use room::diagnostic::Diagnostics;
use room::Loaded;

pub use publish::restore::{restore, RestoreReport};
pub use room::diagnostic::{Diagnostic, Renderer, Severity};

/// Why a build stopped.
pub enum BuildError {
    /// The room has errors (or warnings under --strict); nothing was written.
    Input(Box<Loaded>),
    /// Writing, signing or the theme failed; the previous output is untouched.
    Output(i18n::Wording),
}

impl From<i18n::Wording> for BuildError {
    fn from(w: i18n::Wording) -> Self {
        BuildError::Output(w)
    }
}

/// A failure deep inside sealing or writing that has no wording of its own.
impl From<String> for BuildError {
    fn from(detail: String) -> Self {
        BuildError::Output(i18n::Wording::from(detail))
    }
}

impl From<Diagnostic> for BuildError {
    fn from(d: Diagnostic) -> Self {
        BuildError::Output(i18n::Wording::from(d))
    }
}

pub struct BuildOptions<'a> {
    pub room: &'a Path,
    pub out: &'a Path,
    pub strict: bool,
    pub selection: Selection,
    /// Required for a full (sealed) build; the training-only site is public.
    /// One entry with `audience: None` for a room without `audiences:`, else
    /// one per audience ([`seal::password::obtain_for_audiences`]).
    pub passwords: &'a [seal::password::AudiencePassword],
    pub iterations: u32,
    pub signer: &'a Signer,
    pub progress: indicatif::ProgressBar,
    /// The language the command line speaks ([`i18n::cli_language`]): the
    /// progress bar's stages are worded in it.
    pub language: room::Language,
}

pub struct BuildReport {
    pub sealed: Sealed,
    pub pages: usize,
    pub attachments: usize,
    /// The search indexes' size (every audience's together; none for the training site).
    pub search: search::SearchSize,
    pub warnings: Diagnostics,
    /// Files of `site/` the room's own `theme/` folder supplied (published unencrypted).
    pub from_room_theme: Vec<String>,
    pub sources: room::diagnostic::Sources,
    /// Wall time of each named stage, for `--timings` and the benchmark.
    pub timings: Vec<(&'static str, Duration)>,
}

/// Steps 1–2, **load** and **check**: read the room and find every problem.
pub fn check(room: &Path, strict: bool) -> Loaded {
    let mut loaded = room::load(room);
    check_theme(&mut loaded);
    if strict {
        loaded.diagnostics.make_strict();
        if loaded.diagnostics.error_count() > 0 {
            loaded.room = None;
        }
    }
    loaded
}

/// Why `password` must not seal `room`, suggesting the generated passphrase;
/// `None` when it is strong enough. Never repeats any part of the password.
pub fn password_refusal(room: &room::Room, password: &str) -> Option<i18n::Wording> {
    let reason = password_weakness(room, password)?;
    Some(i18n::Wording::new("password_weak").cause("reason", reason))
}

/// Just the reason `password` is too weak for `room` (the `{reason}` of
/// [`password_refusal`]).
pub fn password_weakness(room: &room::Room, password: &str) -> Option<i18n::Wording> {
    password_weakness_among(&seal::password::RoomWords::of_room(room), password)
}

/// [`password_weakness`] against a room's words already gathered (several
/// audiences' passwords are judged against the same 1.5 million words of
/// 100,000 clients: gathered once).
pub(crate) fn password_weakness_among(
    words: &seal::password::RoomWords,
    password: &str,
) -> Option<i18n::Wording> {
    let why = seal::password::weakness(password, words)?;
    let reason = i18n::Wording::new(why.message_key());
    Some(match why {
        seal::password::Weakness::TooShort(n) => {
            reason.arg("count", n).arg("min", seal::password::MIN_CHARS)
        }
        _ => reason,
    })
}

/// The room's theme overrides must work before a build relies on them: every
/// template parses, every UI-string file loads.
fn check_theme(loaded: &mut Loaded) {
    let Some(room) = loaded.room.as_ref().filter(|r| !r.theme.is_empty()) else {
        return;
    };
    let theme = Theme::load(&room.theme);
    let (mut problems, mut texts) = render::check_theme(&theme);
    // Templates that parse can still fail on the room's values (an unknown
    // variable): render once, as the build will.
    if problems.is_empty() {
        if let Err(d) = render::try_render_all(room, &theme, &render::Extras::default()) {
            let overridden = d.file.to_str().and_then(|f| f.strip_prefix("theme/"));
            if let Some(bytes) = overridden.and_then(|key| theme.files.get(key)) {
                texts.push((d.file.clone(), String::from_utf8_lossy(bytes).into_owned()));
            }
            problems.push(d);
        }
    }
    if problems.is_empty() {
        return;
    }
    for (file, text) in texts {
        loaded.sources.insert(file, std::sync::Arc::new(text));
    }
    loaded.diagnostics.extend(problems);
    loaded.diagnostics.sort();
    loaded.room = None;
}

/// Step 3, **render**, the same for every output stage: the room's pages,
/// exports and navigation, and the engine that wraps them into documents.
struct Rendered {
    theme: Theme,
    site: render::Site,
    engine: Engine,
}

fn render_stage(
    room: &room::Room,
    selection: Selection,
    extras: &render::Extras,
) -> Result<Rendered, Diagnostic> {
    let theme = Theme::load(&room.theme);
    let site = render::render(room, &theme, selection, extras)?;
    let engine = Engine::new(&theme, room.settings.language)?;
    Ok(Rendered {
        theme,
        site,
        engine,
    })
}

/// The pipeline with the in-memory output stage, for `dataroom serve`:
/// load → check → render → the plain site in memory. The same render as
/// [`build`]; nothing is written, nothing signed, no key is made or read.
pub fn preview(room_dir: &Path) -> Result<publish::plain::MemorySite, BuildError> {
    let mut loaded = check(room_dir, false);
    let Some(room) = loaded.room.take() else {
        return Err(BuildError::Input(Box::new(loaded)));
    };
    let findings: Vec<Diagnostic> = loaded.diagnostics.warnings().cloned().collect();
    let extras = render::Extras {
        findings: &findings,
        ..render::Extras::default()
    };
    let Rendered {
        theme,
        site,
        engine,
    } = render_stage(&room, Selection::All, &extras)?;
    Ok(publish::plain::memory_site(
        &site,
        &room.attachments,
        &theme,
        &engine,
    )?)
}

/// The whole pipeline. The output folder is replaced only when every step succeeded.
pub fn build(opts: &BuildOptions) -> Result<BuildReport, BuildError> {
    build_checked(opts, check(opts.room, opts.strict))
}

/// [`build`] from the result of [`check`], so a caller that checked first (to
/// report problems before asking for a password) does not load the room twice.
pub fn build_checked(opts: &BuildOptions, mut loaded: Loaded) -> Result<BuildReport, BuildError> {
    let mut timings = loaded.timings.clone();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str, timings: &mut Vec<(&'static str, Duration)>| {
        timings.push((name, clock.elapsed()));
        clock = Instant::now();
    };
    let Some(room) = loaded.room.take() else {
        return Err(BuildError::Input(Box::new(loaded)));
    };

    let findings: Vec<Diagnostic> = loaded.diagnostics.warnings().cloned().collect();
    let listed: Vec<audiences::Audience> = room
        .audiences()
        .iter()
        .map(audiences::Audience::of)
        .collect();
    let extras = render::Extras {
        findings: &findings,
        signing: Some(render::SigningInfo {
            key_id: publish::signing::key_id(&opts.signer.public),
            fingerprint: publish::signing::fingerprint(&opts.signer.public),
        }),
        kdf_iterations: opts.iterations,
        audiences: &audiences::summaries(&listed),
    };
    let cli_strings = i18n::embedded(opts.language);
    terminal::show_stage(
        &opts.progress,
        i18n::fill(
            i18n::text(cli_strings, "build_stage_render"),
            &[
                ("clients", &i18n::grouped(&room.clients.len().to_string())),
                (
                    "documents",
                    &i18n::grouped(&room.documents.len().to_string()),
                ),
            ],
        ),
        false,
    );
    // The key slots first (a weak password stops the build before any work).
    let readers = match opts.selection {
        Selection::All => Some(audiences::readers(&room, opts.passwords)?),
        Selection::TrainingOnly => None,
    };
    // The sealed build renders its pages while it seals them (render, seal
    // and write are one streamed stage); the public training site renders first.
    let theme = Theme::load(&room.theme);
    let engine = Engine::new(&theme, room.settings.language)?;
    let training = match opts.selection {
        Selection::All => None,
        Selection::TrainingOnly => {
            let site = render::render(&room, &theme, opts.selection, &extras)?;
            lap("render", &mut timings);
            Some(site)
        }
    };

    let staging = Staging::begin(opts.out).map_err(|e| {
        i18n::Wording::new("err_prepare_output")
            .path("out", opts.out)
            .cause("error", i18n::Wording::io(&e))
    })?;
    let name = publish::public_name(opts.selection);
    let site_id = stable_site_id(opts.signer, opts.room, name);
    terminal::show_stage(
        &opts.progress,
        i18n::text(cli_strings, "build_stage_seal").to_string(),
        opts.selection == Selection::All, // the training site is not counted
    );
    let (written, pages, search) = match &training {
        None => {
            let readers = readers.as_deref().unwrap_or_default();
            let public_title = room.settings.public_title.clone().unwrap_or_else(|| {
                engine
                    .strings
                    .get("lock_title")
                    .cloned()
                    .unwrap_or_else(|| "Data room".into())
            });
            let state_secret = state_secret(&opts.signer.secret, &site_id);
            let sealed = audiences::seal_readers(
                &room,
                &theme,
                &engine,
                &extras,
                readers,
                &audiences::gate_settings(&room),
                &audiences::SealParams {
                    iterations: opts.iterations,
                    public_title: &public_title,
                    site_id: &site_id,
                    state_secret: &state_secret,
                    progress: &opts.progress,
                },
                &staging,
            )?;
            lap("render+seal+write", &mut timings);
            (sealed.written, sealed.pages, sealed.search)
        }
        Some(site) => {
            let written = publish::plain::plain_site(
                site,
                &room.attachments,
                &theme,
                &engine,
                &site_id,
                &publish::plain::Target::Disk {
                    staging: &staging,
                    prefix: "site/",
                },
            )?;
            lap("seal+write", &mut timings);
            (written, site.pages.len(), search::SearchSize::default())
        }
    };

    terminal::show_stage(
        &opts.progress,
        i18n::text(cli_strings, "build_stage_publish").to_string(),
        false,
    );
    let epoch = source_date_epoch();
    let zip_time = epoch.unwrap_or_else(|| {
        room.settings
            .handover_date
            .and_hms_opt(0, 0, 0)
            .map_or(0, |d| d.and_utc().timestamp())
    });
    let build_time = chrono::DateTime::from_timestamp(
        epoch.unwrap_or_else(|| chrono::Utc::now().timestamp()),
        0,
    )
    .unwrap_or_default()
    .format("%Y-%m-%dT%H:%M:%SZ")
    .to_string();
    let sealed = publish::finish(
        &staging,
        written,
        &publish::Finish {
            name,
            date: room.settings.handover_date,
            zip_time,
            build_time: &build_time,
            signer: opts.signer,
            manifest_js: opts.selection == Selection::All,
        },
    )?;
    staging.commit().map_err(|e| {
        i18n::Wording::new("err_swap_output")
            .path("out", opts.out)
            .cause("error", i18n::Wording::io(&e))
    })?;
    lap("sign+zip+publish", &mut timings);
    opts.progress.finish_and_clear();

    Ok(BuildReport {
        sealed,
        pages,
        search,
        attachments: match opts.selection {
            Selection::All => room.attachments.len(),
            Selection::TrainingOnly => 0,
        },
        warnings: loaded.diagnostics,
        from_room_theme: theme
            .from_room
            .iter()
            .filter(|p| p.starts_with("static/"))
            .cloned()
            .collect(),
        sources: loaded.sources,
        timings,
    })
}

/// An id for the browser's local storage that stays the same when the same
/// seller rebuilds the same room (same folder, same kind of build), and reveals
/// nothing about it: keyed with the seller's secret key, so nobody can test
/// guesses of the folder's name against it (a plain hash could be checked
/// against the public key in `dataroom.pub`).
fn stable_site_id(signer: &Signer, room: &Path, name: &str) -> String {
    let folder = room
        .canonicalize()
        .unwrap_or_else(|_| room.to_path_buf())
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    seal::hex(&keyed_digest(&signer.secret, &format!("dataroom-site:{name}:{folder}"))[..8])
}

/// The key the browser derives its encrypted progress store from (checklist
/// ticks, quiz results; dataroom-store.js openStateStore). It travels only inside
/// the encrypted index, and stays the same when the same seller rebuilds the
/// same room, so ticks survive an edited checklist.
fn state_secret(signer: &minisign::SecretKey, site_id: &str) -> [u8; 32] {
    keyed_digest(signer, &format!("dataroom-state/1:{site_id}"))
}

/// HMAC-SHA256 of `message` keyed by the signing key's secret part (its key
/// number, secret key and checksum, which do not change when the key file's own
/// password does): stable for one seller, unguessable for anyone else.
fn keyed_digest(signer: &minisign::SecretKey, message: &str) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let bytes = signer.to_bytes();
    // minisign's layout: algorithms (6), scrypt salt (32) and limits (16), then keynum, sk, checksum.
    let secret = bytes.get(54..).unwrap_or(&bytes);
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().into()
}

fn source_date_epoch() -> Option<i64> {
    std::env::var("SOURCE_DATE_EPOCH").ok()?.trim().parse().ok()
}
