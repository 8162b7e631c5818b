//! The `dataroom` command: parse the arguments, call the library, print, exit.
//! Exit codes: 0 success, 1 a problem with the input or the room, 2 usage.

// Every line this program prints echoes something a user or an attacker wrote
// (room paths, record values, zip entry names, signature comments): each goes
// through `terminal::escape`, so no control character reaches the terminal raw.
// These shadow the standard macros for the whole of main.rs.
macro_rules! println {
    () => { std::println!() };
    ($($arg:tt)*) => { std::println!("{}", dataroom::terminal::escape(&format!($($arg)*))) };
}
macro_rules! eprintln {
    ($($arg:tt)*) => { std::eprintln!("{}", dataroom::terminal::escape(&format!($($arg)*))) };
}

mod init;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use dataroom::i18n::{cli_language, embedded, fill, text, Strings, Wording};
use dataroom::publish::{signing, verify};
use dataroom::render::Selection;
use dataroom::room::diagnostic::{render_shown, Diagnostics, Shown};
use dataroom::room::Language;
use dataroom::seal::password;
use dataroom::{BuildError, BuildOptions, Renderer};

/// mimalloc, not glibc's malloc: a build allocates and frees many small
/// strings per record on every thread, which cost ~14 % of its CPU time with
/// glibc (BENCHMARKS.md, issue 11) and fragmented its per-thread arenas.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc 3's option numbers (`mi_option_e` in its mimalloc.h; the Rust
/// crate names only older ones). A test checks them against their defaults.
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Tunes mimalloc for a bounded peak (issue 11): freed memory goes back to
/// the system after 10 ms (mimalloc 3 waits a second) and arena memory is
/// committed as it is used, not ahead. A build of 100,000 clients frees and
/// allocates hundreds of MB as it renders: peak RSS 600–650 → ~490 MiB, and
/// no slower (BENCHMARKS.md; purging at once was as small but 8–24 % slower).
/// Runs before any other thread: before Rust's runtime on Linux
/// ([`TUNE_ALLOCATOR_FIRST`]), first in `main` elsewhere.
fn tune_allocator() {
    // SAFETY: mi_option_set is not thread safe; no other thread exists yet.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10);
        libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0);
    }
}

// Every help text comes from the catalogue (`help_*` keys, see `localize`),
// in the language of `--lang` or the locale: no doc comments here.
#[derive(Parser)]
#[command(name = "dataroom", version)]
struct Cli {
    #[arg(long, global = true, value_enum, env = "DATAROOM_LANG")]
    lang: Option<Lang>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Lang {
    #[value(name = "zh-CN", alias = "zh")]
    ZhCn,
    #[value(name = "en")]
    En,
}

impl From<Lang> for Language {
    fn from(lang: Lang) -> Language {
        match lang {
            Lang::ZhCn => Language::ZhCn,
            Lang::En => Language::En,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Only {
    Training,
}

#[derive(Subcommand)]
enum Command {
    Check {
        room: PathBuf,
        #[arg(long)]
        strict: bool,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    Build {
        room: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        strict: bool,
        #[arg(long, value_enum)]
        only: Option<Only>,
        #[arg(long, value_name = "[AUDIENCE=]FILE")]
        password_file: Vec<String>,
        #[arg(long)]
        allow_weak_password: bool,
        #[arg(long)]
        sign_key: Option<PathBuf>,
        #[arg(long, default_value_t = dataroom::seal::MIN_ITERATIONS)]
        kdf_iterations: u32,
        #[arg(long)]
        timings: bool,
        /// Print every warning in full (default: the first 20, then a count per kind;
        /// `dataroom check` always lists them all)
        #[arg(long)]
        verbose: bool,
    },
    Retention {
        room: PathBuf,
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    Import {
        file: PathBuf,
        #[arg(long)]
        into: PathBuf,
        #[arg(long)]
        map: Option<PathBuf>,
        #[arg(long = "sheet", value_name = "SHEET=NAME")]
        sheets: Vec<String>,
        #[arg(long)]
        update: bool,
    },
    Serve {
        room: PathBuf,
        #[arg(long, default_value_t = dataroom::serve::DEFAULT_PORT)]
        port: u16,
    },
    Init {
        dir: PathBuf,
    },
    Keygen {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    #[command(hide = true)]
    SealFixture {
        /// JSON: lang, public_title, title, nav, pages, attachments, passwords;
        /// optional gate, audience, denied, slots (per-password views), manifest
        spec: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    Verify {
        target: PathBuf,
        #[arg(long)]
        pubkey: Option<PathBuf>,
    },
    Restore {
        target: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        compare: Option<PathBuf>,
        #[arg(long)]
        pubkey: Option<PathBuf>,
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
}

/// `restore --password-file AUDIENCE=FILE`, as `build` takes it, when no file
/// has that name but FILE exists: restore reads one password, any audience's,
/// so it says to give the file alone instead of "cannot read AUDIENCE=FILE".
fn audience_given_to_restore(given: &std::path::Path) -> Option<dataroom::i18n::Wording> {
    if given.exists() {
        return None;
    }
    let (audience, file) = given.to_str()?.split_once('=')?;
    std::path::Path::new(file).is_file().then(|| {
        dataroom::i18n::Wording::new("err_restore_password_file_audience")
            .arg("audience", audience)
            .path("file", std::path::Path::new(file))
    })
}

/// The language `--lang` (or `DATAROOM_LANG`) asks for, read before clap parses
/// the arguments, because the help clap prints must already be in it.
fn forced_language() -> Option<Language> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let given = args.iter().enumerate().find_map(|(i, arg)| {
        if arg == "--lang" {
            args.get(i + 1).cloned()
        } else {
            arg.strip_prefix("--lang=").map(str::to_string)
        }
    });
    given
        .or_else(|| std::env::var("DATAROOM_LANG").ok())
        .and_then(|code| Language::from_code(&code))
}

/// `command` (built, so that clap's own `--help`, `--version` and `help` are
/// there to be worded) with every text clap prints from the catalogue:
/// `help_<command>`, `help_<command>_long`, `help_<command>_<argument>`; the
/// value names (`help_value_<command>_<argument>`, else `help_value_<argument>`); the default, possible values and
/// environment variable of an argument (`help_default`, `help_possible_values`,
/// `help_env`) instead of clap's `[default: …]`; the headings and the usage line.
fn localize(mut command: clap::Command, strings: &'static Strings, prefix: &str) -> clap::Command {
    let key = |suffix: &str| {
        if suffix.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}_{suffix}")
        }
    };
    let usage = text(strings, "help_usage").to_string();
    command = command
        .about(text(strings, &key("")).to_string())
        .long_about(text(strings, &key("long")).to_string())
        .subcommand_help_heading(text(strings, "help_heading_commands"))
        .subcommand_value_name(text(strings, "help_value_command"))
        .help_template(format!(
            "{{before-help}}{{about-with-newline}}\n{usage}{{usage}}\n\n{{all-args}}{{after-help}}"
        ));
    let ids: Vec<String> = command
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect();
    for id in ids {
        let help = match id.as_str() {
            "help" | "version" | "lang" => format!("help_{id}"),
            _ => key(&id),
        };
        command = command.mut_arg(id.as_str(), |arg| {
            let heading = if arg.is_positional() {
                "help_heading_arguments"
            } else {
                "help_heading_options"
            };
            let mut words = text(strings, &help).to_string();
            for extra in argument_facts(&arg, strings) {
                words.push(' ');
                words.push_str(&extra);
            }
            // This command's own value name first (`restore --password-file`
            // takes a FILE, `build`'s an AUDIENCE=FILE too), then the shared one.
            let own = format!("help_value_{}_{id}", prefix.trim_start_matches("help_"));
            let value_name = strings
                .get(&own)
                .or_else(|| strings.get(&format!("help_value_{id}")));
            let arg = match value_name {
                Some(name) if arg.get_action().takes_values() => arg.value_name(name.as_str()),
                _ => arg,
            };
            arg.help(words.clone())
                .long_help(words)
                .help_heading(text(strings, heading))
                .hide_default_value(true)
                .hide_possible_values(true)
                .hide_env(true)
        });
    }
    let usage_line = usage_line(&command, strings);
    command = command.override_usage(usage_line);
    let names: Vec<String> = command
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect();
    for name in names {
        let prefix = format!("help_{}", name.replace('-', "_"));
        command = command.mut_subcommand(name.as_str(), |sub| localize(sub, strings, &prefix));
    }
    command
}

/// What clap would print as `[env: …]`, `[default: …]` and `[possible
/// values: …]`, worded from the catalogue.
fn argument_facts(arg: &clap::Arg, strings: &Strings) -> Vec<String> {
    let mut facts = Vec::new();
    if let Some(env) = arg.get_env() {
        let name = env.to_string_lossy();
        facts.push(say(strings, "help_env", &[("name", &name)]));
    }
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if arg.get_action().takes_values() && !defaults.is_empty() {
        let value = defaults.join(" ");
        facts.push(say(strings, "help_default", &[("value", &value)]));
    }
    let possible: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_string())
        .collect();
    if !possible.is_empty() {
        let values = possible.join(text(strings, "list_separator"));
        facts.push(say(strings, "help_possible_values", &[("values", &values)]));
    }
    facts
}

/// `dataroom build [选项] --out <输出> <数据室>`: clap's usage line with the
/// catalogue's words for "options" and the value names.
fn usage_line(command: &clap::Command, strings: &Strings) -> String {
    let name = command
        .get_bin_name()
        .unwrap_or(command.get_name())
        .to_string();
    let value = |arg: &clap::Arg| {
        let names = arg.get_value_names().unwrap_or_default();
        let shown = names.first().map_or(arg.get_id().as_str(), |n| n.as_str());
        let more = if matches!(arg.get_action(), clap::ArgAction::Append) {
            "..."
        } else {
            ""
        };
        if arg.is_required_set() {
            format!("<{shown}>{more}")
        } else {
            format!("[{shown}]{more}")
        }
    };
    let mut parts = vec![name];
    let visible = || command.get_arguments().filter(|a| !a.is_hide_set());
    if visible().any(|a| !a.is_positional() && !a.is_required_set()) {
        parts.push(format!("[{}]", text(strings, "help_value_options")));
    }
    for arg in visible().filter(|a| !a.is_positional() && a.is_required_set()) {
        let long = arg.get_long().unwrap_or_default();
        parts.push(format!("--{long} {}", value(arg)));
    }
    for arg in visible().filter(|a| a.is_positional()) {
        parts.push(value(arg));
    }
    if command.has_subcommands() {
        parts.push(format!("<{}>", text(strings, "help_value_command")));
    }
    parts.join(" ")
}

/// A usage error (unknown argument, missing or invalid value, missing
/// argument …) worded from the catalogue, `cli_usage_<kind>`, with the
/// offending argument and value clap found, the usage line of the command it
/// concerns, and where to read more. Help and version go out as clap prints
/// them (already worded by [`localize`]).
fn usage_error(error: &clap::Error, command: &clap::Command, strings: &Strings) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let context = |kind: ContextKind| match error.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(list)) => list.join(text(strings, "list_separator")),
        Some(ContextValue::StyledStr(styled)) => styled.to_string(),
        Some(ContextValue::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let key = match error.kind() {
        ErrorKind::UnknownArgument => "cli_usage_unknown_argument",
        ErrorKind::InvalidSubcommand => "cli_usage_unknown_command",
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => "cli_usage_invalid_value",
        ErrorKind::MissingRequiredArgument => "cli_usage_missing_argument",
        ErrorKind::MissingSubcommand => "cli_usage_missing_command",
        ErrorKind::NoEquals | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            "cli_usage_missing_value"
        }
        ErrorKind::TooManyValues | ErrorKind::ArgumentConflict => "cli_usage_conflict",
        ErrorKind::InvalidUtf8 => "cli_usage_not_utf8",
        _ => "cli_usage_other",
    };
    // The command the error is about: the subcommand named on the command line, if any.
    let named = std::env::args()
        .skip(1)
        .find_map(|a| command.find_subcommand(&a).cloned());
    let about = named.as_ref().unwrap_or(command);
    let usage = usage_line(about, strings);
    let bin = about.get_bin_name().unwrap_or("dataroom").to_string();
    let mut out = say(
        strings,
        "cli_error",
        &[(
            "message",
            &say(
                strings,
                key,
                &[
                    ("argument", &context(ContextKind::InvalidArg)),
                    ("value", &context(ContextKind::InvalidValue)),
                    ("command", &context(ContextKind::InvalidSubcommand)),
                ],
            ),
        )],
    );
    let valid = context(ContextKind::ValidValue);
    if !valid.is_empty() {
        out.push('\n');
        out.push_str(&say(strings, "help_possible_values", &[("values", &valid)]));
    }
    let suggested = [ContextKind::SuggestedArg, ContextKind::SuggestedSubcommand]
        .into_iter()
        .map(context)
        .find(|s| !s.is_empty());
    if let Some(suggested) = suggested {
        out.push('\n');
        out.push_str(&say(
            strings,
            "cli_usage_did_you_mean",
            &[("suggestion", &suggested)],
        ));
    }
    out.push_str(&format!("\n\n{}{usage}\n\n", text(strings, "help_usage")));
    out.push_str(&say(strings, "cli_usage_more", &[("command", &bin)]));
    out
}

fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

fn print_diagnostics(
    diags: &Diagnostics,
    sources: &dataroom::room::diagnostic::Sources,
    root: &Path,
    strings: &Strings,
) {
    print_shown(diags, Shown::All, sources, root, strings);
}

/// `build`'s diagnostics: every error, and unless `verbose`, only the first
/// warnings in full, then a count per kind (a 100,000-client room has as many).
fn print_build_diagnostics(
    diags: &Diagnostics,
    sources: &dataroom::room::diagnostic::Sources,
    root: &Path,
    strings: &Strings,
    verbose: bool,
) {
    let shown = if verbose {
        Shown::All
    } else {
        Shown::WarningsUpTo(dataroom::room::diagnostic::BUILD_WARNINGS_IN_FULL)
    };
    print_shown(diags, shown, sources, root, strings);
}

/// The diagnostics `shown`, worded in the CLI's language, then the summary line.
fn print_shown(
    diags: &Diagnostics,
    shown: Shown,
    sources: &dataroom::room::diagnostic::Sources,
    root: &Path,
    strings: &Strings,
) {
    let grouped = dataroom::i18n::grouped;
    let rendered = render_shown(
        diags,
        shown,
        sources,
        root,
        &Renderer::new(color()),
        strings,
    );
    eprint!("{rendered}");
    eprintln!(
        "{}",
        fill(
            text(strings, "cli_summary"),
            &[
                ("errors", &grouped(&diags.error_count().to_string())),
                ("warnings", &grouped(&diags.warning_count().to_string())),
            ]
        )
    );
}

/// The catalogue entry `key` with its `{name}` values filled.
fn say(strings: &Strings, key: &str, args: &[(&str, &str)]) -> String {
    fill(text(strings, key), args)
}

/// [`tune_allocator`] before the first allocation, so the options apply to
/// mimalloc's first arena too (at `main` it is made already): run by the
/// loader with the program's other initializers, before Rust's runtime.
/// Not in the unit tests, which read the options' defaults first.
#[cfg(all(target_os = "linux", not(test)))]
#[used]
#[unsafe(link_section = ".init_array")]
static TUNE_ALLOCATOR_FIRST: extern "C" fn() = {
    extern "C" fn tune() {
        tune_allocator();
    }
    tune
};

fn main() -> ExitCode {
    // Elsewhere than Linux, and again (it is idempotent) on Linux.
    tune_allocator();
    let forced = forced_language();
    let mut command = Cli::command();
    command.build();
    let strings = embedded(cli_language(forced, None));
    let command = localize(command, strings, "help");
    let parsed = command
        .clone()
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        // --help, --version, and the help a bare `dataroom` shows: already worded.
        Err(e)
            if !e.use_stderr()
                || e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand =>
        {
            e.exit()
        }
        Err(e) => {
            eprintln!("{}", usage_error(&e, &command, strings));
            return ExitCode::from(2);
        }
    };
    let forced = cli.lang.map(Language::from).or(forced);
    match run(cli, forced) {
        Ok(code) => code,
        Err((lang, failure)) => {
            let strings = embedded(lang);
            let (message, fix) = failure.worded_with(strings, &[]);
            eprintln!("{}", say(strings, "cli_error", &[("message", &message)]));
            if let Some(fix) = fix {
                eprintln!("{}", say(strings, "cli_error_fix", &[("fix", &fix)]));
            }
            ExitCode::from(1)
        }
    }
}

/// A failure to print as `error: …` (and how to fix it), in the language the
/// command speaks.
type Failure = (Language, Wording);

fn run(cli: Cli, forced: Option<Language>) -> Result<ExitCode, Failure> {
    let roomless = cli_language(forced, None);
    let fail = |lang: Language| move |failure: Wording| (lang, failure);
    match cli.command {
        Command::Check {
            room,
            strict,
            format,
        } => {
            let mut loaded = dataroom::check(&room, strict);
            let strings = embedded(cli_language(forced, loaded.language));
            match format {
                Format::Human => {
                    print_diagnostics(&loaded.diagnostics, &loaded.sources, &room, strings);
                    if loaded.diagnostics.error_count() == 0 {
                        let shown = room.display().to_string();
                        eprintln!("{}", say(strings, "cli_check_ready", &[("room", &shown)]));
                    }
                }
                Format::Json => {
                    loaded.diagnostics.word_in(strings);
                    let json = serde_json::json!({
                        "room": room,
                        "errors": loaded.diagnostics.error_count(),
                        "warnings": loaded.diagnostics.warning_count(),
                        "findings": loaded.diagnostics.items,
                    });
                    let json = serde_json::to_string_pretty(&json).unwrap_or_default();
                    println!("{}", dataroom::terminal::escape_json(&json));
                }
            }
            Ok(ExitCode::from(u8::from(
                loaded.diagnostics.error_count() > 0,
            )))
        }
        Command::Build {
            room,
            out,
            strict,
            only,
            password_file,
            allow_weak_password,
            sign_key,
            kdf_iterations,
            timings,
            verbose,
        } => {
            // Check before asking for a password: a typo should not cost a prompt.
            let pre = dataroom::check(&room, strict);
            let lang = cli_language(forced, pre.language);
            let strings = embedded(lang);
            let fail = fail(lang);
            let shown_out = out.display().to_string();
            if kdf_iterations < dataroom::seal::MIN_ITERATIONS {
                let min = dataroom::seal::MIN_ITERATIONS;
                return Err(fail(Wording::new("cli_kdf_too_low").arg("min", min)));
            }
            let selection = match only {
                Some(Only::Training) => Selection::TrainingOnly,
                None => Selection::All,
            };
            let Some(checked) = pre.room.as_ref() else {
                print_build_diagnostics(&pre.diagnostics, &pre.sources, &room, strings, verbose);
                eprintln!(
                    "{}",
                    say(strings, "cli_nothing_built", &[("out", &shown_out)])
                );
                return Ok(ExitCode::from(1));
            };
            // Who each generated password is for, to print after the build.
            let label_of = |id: Option<&str>| {
                checked
                    .audiences()
                    .iter()
                    .find(|a| Some(a.id.as_str()) == id)
                    .map(|a| format!("{} ({})", a.name, a.id))
            };
            let passwords = match selection {
                Selection::TrainingOnly => Vec::new(),
                Selection::All if !checked.audiences().is_empty() => {
                    match password::obtain_for_audiences(
                        checked,
                        &password_file,
                        allow_weak_password,
                    ) {
                        Ok(passwords) => passwords,
                        Err(problems) => {
                            let mut diags = Diagnostics::default();
                            diags.extend(problems);
                            print_diagnostics(&diags, &pre.sources, &room, strings);
                            eprintln!(
                                "{}",
                                say(strings, "cli_nothing_built", &[("out", &shown_out)])
                            );
                            return Ok(ExitCode::from(1));
                        }
                    }
                }
                Selection::All => {
                    let file = match password_file.as_slice() {
                        [] => None,
                        [one] => Some(Path::new(one)),
                        _ => return Err(fail(Wording::new("cli_password_file_repeated"))),
                    };
                    let pw = password::obtain(file, true, true, strings).map_err(fail)?;
                    if !matches!(pw.source, password::Source::Generated) && !allow_weak_password {
                        if let Some(refusal) = dataroom::password_refusal(checked, &pw.secret) {
                            return Err(fail(refusal));
                        }
                    }
                    vec![password::AudiencePassword {
                        audience: None,
                        secret: pw.secret,
                        source: pw.source,
                    }]
                }
            };
            let generated: Vec<(Option<String>, &str)> = passwords
                .iter()
                .filter(|p| matches!(p.source, password::Source::Generated))
                .map(|p| (label_of(p.audience.as_deref()), p.secret.as_str()))
                .collect();
            let signer = signing::load_signer(sign_key.as_deref(), strings).map_err(fail)?;
            if signer.created {
                let secret = signer.secret_path.display().to_string();
                eprintln!("{}", say(strings, "cli_key_created", &[("path", &secret)]));
                let public = signing::public_path_for(&signer.secret_path)
                    .display()
                    .to_string();
                eprintln!(
                    "{}\n{}",
                    say(
                        strings,
                        "cli_key_public",
                        &[
                            ("path", &public),
                            ("key_id", &signing::key_id(&signer.public))
                        ]
                    ),
                    signer.public_box().trim_end()
                );
            }
            // On a terminal only: the build names each stage on it (terminal::show_stage).
            let progress = if std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() {
                indicatif::ProgressBar::new(0)
            } else {
                indicatif::ProgressBar::hidden()
            };
            let opts = BuildOptions {
                room: &room,
                out: &out,
                strict,
                selection,
                passwords: &passwords,
                iterations: kdf_iterations,
                signer: &signer,
                progress,
                language: lang,
            };
            match dataroom::build_checked(&opts, pre) {
                Ok(report) => {
                    if report.warnings.warning_count() > 0 {
                        print_build_diagnostics(
                            &report.warnings,
                            &report.sources,
                            &room,
                            strings,
                            verbose,
                        );
                    }
                    let s = &report.sealed;
                    println!(
                        "{}",
                        say(
                            strings,
                            "cli_built",
                            &[
                                ("pages", &report.pages.to_string()),
                                ("attachments", &report.attachments.to_string()),
                                ("files", &s.file_count.to_string()),
                            ]
                        )
                    );
                    let site = out.join("site").join("index.html").display().to_string();
                    println!("{}", say(strings, "cli_built_site", &[("path", &site)]));
                    let zip = out.join(&s.zip_name).display().to_string();
                    println!("{}", say(strings, "cli_built_archive", &[("path", &zip)]));
                    if report.search.shards > 0 {
                        let kb = report.search.bytes.div_ceil(1024).to_string();
                        let shards = report.search.shards.to_string();
                        println!(
                            "{}",
                            say(
                                strings,
                                "cli_built_search",
                                &[("size", &dataroom::i18n::grouped(&kb)), ("shards", &shards)]
                            )
                        );
                    }
                    print_unencrypted(&report, selection, strings);
                    println!(
                        "{}",
                        say(
                            strings,
                            "cli_built_manifest",
                            &[("sha256", &s.manifest_sha256)]
                        )
                    );
                    println!(
                        "{}",
                        say(
                            strings,
                            "cli_built_signed",
                            &[("key_id", &s.key_id), ("fingerprint", &s.fingerprint)]
                        )
                    );
                    for (label, secret) in &generated {
                        println!();
                        match label {
                            Some(label) => println!(
                                "{}",
                                say(
                                    strings,
                                    "cli_password_generated_for",
                                    &[("audience", label)]
                                )
                            ),
                            None => println!("{}", text(strings, "cli_password_generated")),
                        }
                        println!();
                        println!("    {secret}");
                        println!();
                    }
                    if !generated.is_empty() {
                        println!("{}", text(strings, "cli_password_send"));
                    }
                    if timings {
                        for (stage, d) in &report.timings {
                            let secs = format!("{:.3}", d.as_secs_f64());
                            eprintln!(
                                "{}",
                                say(
                                    strings,
                                    "cli_timing",
                                    &[("stage", stage), ("seconds", &secs)]
                                )
                            );
                        }
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(BuildError::Input(loaded)) => {
                    print_build_diagnostics(
                        &loaded.diagnostics,
                        &loaded.sources,
                        &room,
                        strings,
                        verbose,
                    );
                    eprintln!(
                        "{}",
                        say(strings, "cli_nothing_built", &[("out", &shown_out)])
                    );
                    Ok(ExitCode::from(1))
                }
                Err(BuildError::Output(failure)) => Err(fail(
                    Wording::new("cli_output_failed")
                        .cause("message", failure)
                        .arg("out", shown_out),
                )),
            }
        }
        Command::Retention {
            room,
            as_of,
            format,
        } => {
            let loaded = dataroom::check(&room, false);
            let lang = cli_language(forced, loaded.language);
            let strings = embedded(lang);
            let as_of = match as_of {
                Some(d) => chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map_err(|_| (lang, Wording::new("cli_as_of_invalid").arg("value", &d)))?,
                None => chrono::Local::now().date_naive(),
            };
            let Some(r) = loaded.room else {
                print_diagnostics(&loaded.diagnostics, &loaded.sources, &room, strings);
                return Ok(ExitCode::from(1));
            };
            let due = dataroom::room::retention::due_as_of(&r, as_of);
            match format {
                Format::Json => {
                    let json = serde_json::to_string_pretty(
                        &serde_json::json!({"as_of": as_of.to_string(), "due": due}),
                    )
                    .unwrap_or_default();
                    println!("{}", dataroom::terminal::escape_json(&json));
                }
                Format::Human => {
                    for d in &due {
                        println!(
                            "{}  {:<12} {:<10} {}",
                            d.due, d.client_id, d.category, d.basis
                        );
                    }
                    println!(
                        "{}",
                        say(
                            strings,
                            "cli_retention_due",
                            &[
                                ("count", &due.len().to_string()),
                                ("date", &as_of.to_string())
                            ]
                        )
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            file,
            into,
            map,
            sheets,
            update,
        } => Ok(import(
            &dataroom::import::ImportOptions {
                file: &file,
                room: &into,
                map: map.as_deref(),
                sheets: &sheets,
                update,
            },
            forced,
        )),
        Command::Serve { room, port } => {
            let lang = cli_language(forced, dataroom::serve::declared_language(&room));
            dataroom::serve::serve(&room, port, forced).map_err(fail(lang))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Init { dir } => {
            let strings = embedded(roomless);
            init::scaffold(&dir).map_err(fail(roomless))?;
            let shown = dir.display().to_string();
            println!("{}", say(strings, "cli_init_done", &[("dir", &shown)]));
            println!("{}", say(strings, "cli_init_next", &[("dir", &shown)]));
            Ok(ExitCode::SUCCESS)
        }
        Command::Keygen { out } => {
            let strings = embedded(roomless);
            let fail = fail(roomless);
            let path = match out {
                Some(p) => p,
                None => signing::default_key_path()
                    .ok_or_else(|| fail(Wording::new("cli_keygen_no_config")))?,
            };
            let (pk, pub_path) = signing::generate(&path).map_err(fail)?;
            let shown = path.display().to_string();
            println!("{}", say(strings, "cli_keygen_secret", &[("path", &shown)]));
            let shown = pub_path.display().to_string();
            println!("{}", say(strings, "cli_keygen_public", &[("path", &shown)]));
            println!(
                "{}",
                say(
                    strings,
                    "cli_key_id",
                    &[
                        ("key_id", &signing::key_id(&pk)),
                        ("fingerprint", &signing::fingerprint(&pk))
                    ]
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::SealFixture { spec, out } => {
            let ids = dataroom::seal::fixture::seal_fixture(&spec, &out)
                .map_err(|e| fail(roomless)(Wording::from(e)))?;
            println!("{}", serde_json::to_string(&ids).unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { target, pubkey } => {
            let lang = cli_language(forced, dataroom::publish::restore::sealed_language(&target));
            let fail = fail(lang);
            let files = verify::SiteFiles::open(&target).map_err(fail)?;
            let report = verify::verify(&files, pubkey.as_deref()).map_err(fail)?;
            print_verify(&report, embedded(lang));
            Ok(ExitCode::from(u8::from(!report.ok())))
        }
        Command::Restore {
            target,
            out,
            compare,
            pubkey,
            password_file,
        } => {
            let lang = cli_language(forced, dataroom::publish::restore::sealed_language(&target));
            let strings = embedded(lang);
            let fail = fail(lang);
            if let Some(hint) = password_file.as_deref().and_then(audience_given_to_restore) {
                return Err(fail(hint));
            }
            let pw =
                password::obtain(password_file.as_deref(), false, false, strings).map_err(fail)?;
            let report = dataroom::restore(
                &target,
                pubkey.as_deref(),
                &pw.secret,
                &out,
                compare.as_deref(),
            )
            .map_err(fail)?;
            print_verify(&report.verify, strings);
            println!(
                "{}",
                say(
                    strings,
                    "cli_restored",
                    &[
                        ("pages", &report.pages.to_string()),
                        ("files", &report.files.to_string()),
                        ("out", &out.display().to_string()),
                    ]
                )
            );
            if compare.is_some() {
                for d in &report.differences {
                    println!(
                        "{}",
                        say(
                            strings,
                            "cli_compare_different",
                            &[("what", &d.worded(strings))]
                        )
                    );
                }
                if report.follow_on > 0 {
                    let count = report.follow_on.to_string();
                    println!(
                        "{}",
                        say(strings, "cli_compare_follow_on", &[("count", &count)])
                    );
                }
                if report.differences.is_empty() {
                    println!("{}", text(strings, "cli_compare_identical"));
                } else {
                    let count = report.differences.len().to_string();
                    println!(
                        "{}",
                        say(strings, "cli_compare_differences", &[("count", &count)])
                    );
                    return Ok(ExitCode::from(1));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// What anyone holding the stick or the zip can read without the password,
/// so the seller sees exactly what the room's theme/ folder made public.
fn print_unencrypted(report: &dataroom::BuildReport, selection: Selection, strings: &Strings) {
    let files = &report.sealed.unencrypted;
    let count = files.len().to_string();
    let key = match selection {
        Selection::All => "cli_public_sealed",
        Selection::TrainingOnly => "cli_public_training",
    };
    println!("{}", say(strings, key, &[("count", &count)]));
    for path in files {
        let key = if report.from_room_theme.contains(path) {
            "cli_public_file_theme"
        } else {
            "cli_public_file"
        };
        println!("{}", say(strings, key, &[("path", path)]));
    }
}

fn import(opts: &dataroom::import::ImportOptions, forced: Option<Language>) -> ExitCode {
    use dataroom::import::Change;
    match dataroom::import::import(opts) {
        Err(failure) => {
            let strings = embedded(cli_language(forced, Some(failure.language)));
            for problem in &failure.problems {
                eprint!("{}", problem.render(strings));
            }
            let count = failure.problems.len().to_string();
            eprintln!(
                "{}",
                fill(text(strings, "import_failed"), &[("count", &count)])
            );
            ExitCode::from(1)
        }
        Ok(outcome) => {
            let strings = embedded(cli_language(forced, Some(outcome.language)));
            let clients_dir = opts.room.join("clients").display().to_string();
            if opts.update {
                let (mut added, mut changed, mut unchanged) = (0, 0, 0);
                for change in &outcome.changes {
                    let line = match change {
                        Change::Added(id) => {
                            added += 1;
                            fill(text(strings, "import_added"), &[("id", id)])
                        }
                        Change::Changed(id, fields) => {
                            changed += 1;
                            let fields = fields.join(text(strings, "list_separator"));
                            fill(
                                text(strings, "import_changed"),
                                &[("id", id), ("fields", &fields)],
                            )
                        }
                        Change::Unchanged(id) => {
                            unchanged += 1;
                            fill(text(strings, "import_unchanged"), &[("id", id)])
                        }
                    };
                    println!("{line}");
                }
                println!(
                    "{}",
                    fill(
                        text(strings, "import_totals"),
                        &[
                            ("added", &added.to_string()),
                            ("changed", &changed.to_string()),
                            ("unchanged", &unchanged.to_string()),
                        ]
                    )
                );
            }
            println!(
                "{}",
                fill(
                    text(strings, "import_done"),
                    &[
                        ("count", &outcome.written.len().to_string()),
                        ("dir", &clients_dir)
                    ]
                )
            );
            let room = opts.room.display().to_string();
            println!("{}", fill(text(strings, "import_next"), &[("room", &room)]));
            ExitCode::SUCCESS
        }
    }
}

fn print_verify(r: &verify::Report, strings: &Strings) {
    let line = |key: &str, args: &[(&str, &str)]| println!("{}", say(strings, key, args));
    let worded = |w: &Wording| w.message(strings);
    line(
        "cli_verify_public_key",
        &[("source", &worded(&r.key_source))],
    );
    line(
        "cli_key_id",
        &[("key_id", &r.key_id), ("fingerprint", &r.fingerprint)],
    );
    match (&r.signature_error, &r.trusted_comment) {
        (Some(e), _) => line("cli_verify_signature_failed", &[("error", &worded(e))]),
        (None, Some(tc)) => line("cli_verify_signature_good", &[("comment", tc)]),
        (None, None) => {}
    }
    match &r.zip_signature {
        Some(Ok(tc)) => line("cli_verify_zip_good", &[("comment", tc)]),
        Some(Err(e)) => line("cli_verify_zip_failed", &[("error", &worded(e))]),
        None => {}
    }
    for (key, paths) in [
        ("cli_verify_changed", &r.changed),
        ("cli_verify_missing", &r.missing),
        ("cli_verify_extra", &r.extra),
    ] {
        for p in paths {
            line(key, &[("path", p.as_str())]);
        }
    }
    for problem in &r.malformed {
        line("cli_verify_malformed", &[("path", &worded(problem))]);
    }
    for w in &r.warnings {
        let w = worded(w);
        line("cli_verify_warning", &[("warning", &w)]);
        eprintln!(
            "{}",
            say(strings, "cli_verify_warning_short", &[("warning", &w)])
        );
    }
    let counts = [
        ("checked", r.checked.to_string()),
        ("changed", r.changed.len().to_string()),
        ("missing", r.missing.len().to_string()),
        ("extra", r.extra.len().to_string()),
    ];
    let mut args: Vec<(&str, &str)> = counts.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if r.ok() {
        line("cli_verify_ok", &args);
    } else if let Some(e) = &r.signature_error {
        let e = worded(e);
        args.push(("error", &e));
        line("cli_verify_not_ok_signature", &args);
    } else {
        line("cli_verify_not_ok", &args);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers name the options meant: each reads mimalloc 3's documented
    /// default (purge delay 1,000 ms, arena eager commit 2) until it is set, and
    /// what `tune_allocator` set after.
    #[test]
    fn the_allocator_options_are_the_ones_meant() {
        let get = |option| unsafe { libmimalloc_sys::mi_option_get(option) };
        assert_eq!(get(MI_OPTION_PURGE_DELAY), 1000);
        assert_eq!(get(MI_OPTION_ARENA_EAGER_COMMIT), 2);
        tune_allocator();
        assert_eq!(get(MI_OPTION_PURGE_DELAY), 10);
        assert_eq!(get(MI_OPTION_ARENA_EAGER_COMMIT), 0);
        // The allocator still works with them.
        let big: Vec<u8> = vec![7; 64 << 20];
        assert_eq!(
            big.iter().map(|&b| b as usize).sum::<usize>(),
            7 * (64 << 20)
        );
    }
}
