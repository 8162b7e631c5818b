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

use clap::{Parser, Subcommand, ValueEnum};

use dataroom::publish::{signing, verify};
use dataroom::render::Selection;
use dataroom::room::diagnostic::{render_shown, Diagnostics, Shown};
use dataroom::seal::password;
use dataroom::{BuildError, BuildOptions, Renderer};

#[derive(Parser)]
#[command(
    name = "dataroom",
    version,
    about = "Build a signed, password-protected, offline data room from client records (客户资料移交数据室)",
    long_about = "dataroom turns a folder of client records (YAML) and documents (Markdown) into an encrypted \
website that opens offline from a USB stick, plus a signed zip for the handover.\n\n\
Start with `dataroom init my-room`, edit the files, run `dataroom check my-room`, then \
`dataroom build my-room --out handover`.\n\nOutput respects NO_COLOR."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Only {
    /// Just the training lessons, unencrypted, for an intranet
    Training,
}

#[derive(Subcommand)]
enum Command {
    /// Check a room for mistakes without building it.
    ///
    /// Lists every problem with its file, line and column, and how to fix it.
    /// Errors stop a build; warnings (data quality: phone numbers, ID check
    /// digits, missing consent, duplicates) do not, unless --strict.
    Check {
        /// The room folder (the one with dataroom.yaml)
        room: PathBuf,
        /// Treat warnings as errors
        #[arg(long)]
        strict: bool,
        /// `json` prints the findings for other tools
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Build the encrypted, signed data room into a folder.
    ///
    /// Writes OUT/site/ (open site/index.html in a browser), OUT/dataroom-<date>.zip
    /// (dataroom-training-<date>.zip for --only training) and its signature. Nothing
    /// public carries the room folder's name. The previous OUT stays untouched if anything fails.
    ///
    /// The password comes from --password-file, the DATAROOM_PASSWORD variable, or
    /// a prompt; without any of them a strong one is generated and printed once.
    /// Send it to the buyer by a different channel than the USB stick.
    Build {
        /// The room folder (the one with dataroom.yaml)
        room: PathBuf,
        /// Where to put the result
        #[arg(long)]
        out: PathBuf,
        /// Treat data-quality warnings as errors
        #[arg(long)]
        strict: bool,
        /// Build only part of the room: `training` makes the public training site
        #[arg(long, value_enum)]
        only: Option<Only>,
        /// Read the room password from this file (first line). With `audiences:`
        /// in dataroom.yaml: AUDIENCE=FILE, once per audience (or the variable
        /// DATAROOM_PASSWORD_<AUDIENCE>); audiences without one get a generated password
        #[arg(long, value_name = "[AUDIENCE=]FILE")]
        password_file: Vec<String>,
        /// Accept a short or easily guessed password
        #[arg(long)]
        allow_weak_password: bool,
        /// The minisign secret key to sign with (default: DATAROOM_SIGN_KEY, else your own key, made on first use)
        #[arg(long)]
        sign_key: Option<PathBuf>,
        /// PBKDF2 iterations (at least 600000)
        #[arg(long, default_value_t = dataroom::seal::MIN_ITERATIONS)]
        kdf_iterations: u32,
        /// Print how long each stage took
        #[arg(long)]
        timings: bool,
        /// Print every warning in full (default: the first 20, then a count per kind;
        /// `dataroom check` always lists them all)
        #[arg(long)]
        verbose: bool,
    },
    /// List the records due for destruction (归档与销毁) on a date.
    ///
    /// Uses the `retention` rules of dataroom.yaml and each record's
    /// `retain_until`. Prints record ids and categories only.
    Retention {
        room: PathBuf,
        /// The date to check, YYYY-MM-DD (default: today)
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Import clients from an Excel workbook (.xlsx, .xls, .ods) or a CSV file.
    ///
    /// Writes one clients/<id>.yaml per client into an existing room (made with
    /// `dataroom init`). The workbook has the sheets 客户 (客户编号 客户名称
    /// 客户类型 联系电话 电子邮箱 地址 身份证号 统一社会信用代码 是否同意 同意日期 标签
    /// 备注), and optionally 服务记录 (客户编号 服务日期 服务项目 服务人员 备注), 合同
    /// (客户编号 合同编号 签订日期 开始日期 结束日期 金额) and 付款记录 (客户编号 付款日期
    /// 金额 付款方式 发票号). A CSV (UTF-8 or GBK) is the 客户 sheet.
    ///
    /// Every problem is listed with its cell (clients.xlsx:客户!G124); if there
    /// is any, nothing is written. Clients already in the room are only changed
    /// with --update.
    Import {
        /// The spreadsheet: .xlsx, .xls, .ods or .csv
        file: PathBuf,
        /// The room folder to add the clients to (the one with dataroom.yaml)
        #[arg(long)]
        into: PathBuf,
        /// A YAML file mapping your column headings to the pinned ones, one per
        /// line: `手机: 联系电话`
        #[arg(long)]
        map: Option<PathBuf>,
        /// Which of your sheets is which, e.g. --sheet 客户=Sheet1 --sheet 合同=Sheet2
        /// (repeatable; SHEET is 客户, 服务记录, 合同 or 付款记录)
        #[arg(long = "sheet", value_name = "SHEET=NAME")]
        sheets: Vec<String>,
        /// Update clients already in the room and print what changed
        #[arg(long)]
        update: bool,
    },
    /// Preview the room in your browser while you edit it (unencrypted, this computer only).
    ///
    /// Prints an address such as http://127.0.0.1:1111/ to open. The room is
    /// rendered in memory: nothing is written, nothing signed, no key made.
    /// Every saved change reloads the open page; while the room has problems,
    /// the page lists them (file:line:column, what is wrong, how to fix it).
    /// Press Ctrl-C to stop.
    Serve {
        /// The room folder (the one with dataroom.yaml)
        room: PathBuf,
        /// The port on 127.0.0.1 (0: any free port)
        #[arg(long, default_value_t = dataroom::serve::DEFAULT_PORT)]
        port: u16,
    },
    /// Create a small example room to start from.
    Init {
        /// The new room folder (must not exist or be empty)
        dir: PathBuf,
    },
    /// Make a minisign key pair for signing rooms.
    Keygen {
        /// Where to write the secret key (the public key goes beside it as .pub)
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check that a room is complete and unchanged: the signature and every file.
    ///
    /// Give the build folder, its site/ folder, or the zip (read without unpacking).
    /// Compare the key id printed here with the one on the handover confirmation.
    /// Seal hand-written pages for the browser tests (not for rooms).
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
        /// The seller's public key (dataroom.pub); default: the one inside the room
        #[arg(long)]
        pubkey: Option<PathBuf>,
    },
    /// Decrypt a room back into ordinary files (the restore drill, 恢复演练).
    ///
    /// Verifies first and refuses a tampered room. Pages become HTML files under
    /// their routes, attachments get their original names.
    Restore {
        target: PathBuf,
        /// Where to write the readable copy
        #[arg(long)]
        out: PathBuf,
        /// Compare with the source room and report anything missing or different
        #[arg(long)]
        compare: Option<PathBuf>,
        #[arg(long)]
        pubkey: Option<PathBuf>,
        /// Read the room password from this file (first line)
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
}

fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

fn print_diagnostics(
    diags: &Diagnostics,
    sources: &dataroom::room::diagnostic::Sources,
    root: &Path,
) {
    print_shown(diags, Shown::All, sources, root);
}

/// `build`'s diagnostics: every error, and unless `verbose`, only the first
/// warnings in full, then a count per kind (a 100,000-client room has as many).
fn print_build_diagnostics(
    diags: &Diagnostics,
    sources: &dataroom::room::diagnostic::Sources,
    root: &Path,
    verbose: bool,
) {
    let shown = if verbose {
        Shown::All
    } else {
        Shown::WarningsUpTo(dataroom::room::diagnostic::BUILD_WARNINGS_IN_FULL)
    };
    print_shown(diags, shown, sources, root);
}

fn print_shown(
    diags: &Diagnostics,
    shown: Shown,
    sources: &dataroom::room::diagnostic::Sources,
    root: &Path,
) {
    let strings = dataroom::i18n::embedded(dataroom::i18n::CLI_LANGUAGE);
    let grouped = dataroom::i18n::grouped;
    let text = render_shown(
        diags,
        shown,
        sources,
        root,
        &Renderer::new(color()),
        strings,
    );
    eprint!("{text}");
    eprintln!(
        "{} error(s), {} warning(s)",
        grouped(&diags.error_count().to_string()),
        grouped(&diags.warning_count().to_string())
    );
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Check {
            room,
            strict,
            format,
        } => {
            let loaded = dataroom::check(&room, strict);
            match format {
                Format::Human => {
                    print_diagnostics(&loaded.diagnostics, &loaded.sources, &room);
                    if loaded.diagnostics.error_count() == 0 {
                        eprintln!("{} is ready to build", room.display());
                    }
                }
                Format::Json => {
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
            if kdf_iterations < dataroom::seal::MIN_ITERATIONS {
                return Err(format!(
                    "--kdf-iterations must be at least {}",
                    dataroom::seal::MIN_ITERATIONS
                ));
            }
            let selection = match only {
                Some(Only::Training) => Selection::TrainingOnly,
                None => Selection::All,
            };
            // Check before asking for a password: a typo should not cost a prompt.
            let pre = dataroom::check(&room, strict);
            if pre.room.is_none() {
                print_build_diagnostics(&pre.diagnostics, &pre.sources, &room, verbose);
                eprintln!("nothing was built; {} is unchanged", out.display());
                return Ok(ExitCode::from(1));
            }
            let Some(checked) = pre.room.as_ref() else {
                return Err("the room was not loaded".into());
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
                            print_diagnostics(&diags, &pre.sources, &room);
                            eprintln!("nothing was built; {} is unchanged", out.display());
                            return Ok(ExitCode::from(1));
                        }
                    }
                }
                Selection::All => {
                    let file = match password_file.as_slice() {
                        [] => None,
                        [one] => Some(Path::new(one)),
                        _ => return Err("--password-file is given more than once, but this room has no `audiences:`; give it once".into()),
                    };
                    let pw = password::obtain(file, true, true)?;
                    if !matches!(pw.source, password::Source::Generated) && !allow_weak_password {
                        if let Some(refusal) = dataroom::password_refusal(checked, &pw.secret) {
                            return Err(refusal);
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
            let signer = signing::load_signer(sign_key.as_deref())?;
            if signer.created {
                eprintln!(
                    "created your signing key {} (mode 0600; keep it private, back it up)",
                    signer.secret_path.display()
                );
                eprintln!(
                    "public key {} (key id {}):\n{}",
                    signing::public_path_for(&signer.secret_path).display(),
                    signing::key_id(&signer.public),
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
            };
            match dataroom::build_checked(&opts, pre) {
                Ok(report) => {
                    if report.warnings.warning_count() > 0 {
                        print_build_diagnostics(&report.warnings, &report.sources, &room, verbose);
                    }
                    let s = &report.sealed;
                    println!(
                        "built {} pages, {} attachments, {} files",
                        report.pages, report.attachments, s.file_count
                    );
                    println!(
                        "  site:      {}",
                        out.join("site").join("index.html").display()
                    );
                    println!(
                        "  archive:   {} (+ .minisig)",
                        out.join(&s.zip_name).display()
                    );
                    print_unencrypted(&report, selection);
                    println!("  manifest:  SHA256SUMS sha256 {}", s.manifest_sha256);
                    println!("  signed by: key id {}", s.key_id);
                    println!("             fingerprint {}", s.fingerprint);
                    for (label, secret) in &generated {
                        println!();
                        match label {
                            Some(label) => println!("Password for {label} (shown once, not stored anywhere) / 该受众的数据室密码（仅显示一次）:"),
                            None => println!("Room password (shown once, not stored anywhere) / 数据室密码（仅显示一次）:"),
                        }
                        println!();
                        println!("    {secret}");
                        println!();
                    }
                    if !generated.is_empty() {
                        println!("Send it to the buyer by a separate channel (phone, SMS), never with the USB stick.");
                    }
                    if timings {
                        for (stage, d) in &report.timings {
                            eprintln!("timing {stage}: {:.3}s", d.as_secs_f64());
                        }
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(BuildError::Input(loaded)) => {
                    print_build_diagnostics(&loaded.diagnostics, &loaded.sources, &room, verbose);
                    eprintln!("nothing was built; {} is unchanged", out.display());
                    Ok(ExitCode::from(1))
                }
                Err(BuildError::Output(msg)) => Err(format!(
                    "{msg}\nthe previous {} is unchanged",
                    out.display()
                )),
            }
        }
        Command::Retention {
            room,
            as_of,
            format,
        } => {
            let as_of = match as_of {
                Some(d) => chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map_err(|_| format!("--as-of `{d}` is not a date; write YYYY-MM-DD"))?,
                None => chrono::Local::now().date_naive(),
            };
            let loaded = dataroom::check(&room, false);
            let Some(r) = loaded.room else {
                print_diagnostics(&loaded.diagnostics, &loaded.sources, &room);
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
                        "{} item(s) due for destruction on or before {as_of}",
                        due.len()
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
        } => Ok(import(&dataroom::import::ImportOptions {
            file: &file,
            room: &into,
            map: map.as_deref(),
            sheets: &sheets,
            update,
        })),
        Command::Serve { room, port } => {
            dataroom::serve::serve(&room, port)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Init { dir } => {
            init::scaffold(&dir)?;
            println!("created a new room in {}", dir.display());
            println!(
                "next: edit the files, then `dataroom check {}`",
                dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Keygen { out } => {
            let path = match out {
                Some(p) => p,
                None => signing::default_key_path().ok_or("no config folder; pass --out PATH")?,
            };
            let (pk, pub_path) = signing::generate(&path)?;
            println!(
                "secret key: {} (mode 0600; keep it private)",
                path.display()
            );
            println!("public key: {}", pub_path.display());
            println!("key id:     {}", signing::key_id(&pk));
            println!("fingerprint {}", signing::fingerprint(&pk));
            Ok(ExitCode::SUCCESS)
        }
        Command::SealFixture { spec, out } => {
            let ids = dataroom::seal::fixture::seal_fixture(&spec, &out)?;
            println!("{}", serde_json::to_string(&ids).unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { target, pubkey } => {
            let files = verify::SiteFiles::open(&target)?;
            let report = verify::verify(&files, pubkey.as_deref())?;
            print_verify(&report);
            Ok(ExitCode::from(u8::from(!report.ok())))
        }
        Command::Restore {
            target,
            out,
            compare,
            pubkey,
            password_file,
        } => {
            let pw = password::obtain(password_file.as_deref(), false, false)?;
            let report = dataroom::restore(
                &target,
                pubkey.as_deref(),
                &pw.secret,
                &out,
                compare.as_deref(),
            )?;
            print_verify(&report.verify);
            println!(
                "restored {} pages and {} files into {}",
                report.pages,
                report.files,
                out.display()
            );
            if compare.is_some() {
                for d in &report.differences {
                    println!("different: {d}");
                }
                if report.follow_on > 0 {
                    println!(
                        "           and {} pages and exports that show these records",
                        report.follow_on
                    );
                }
                if report.differences.is_empty() {
                    println!("compare: every record, document and attachment of the source is present and identical");
                } else {
                    println!(
                        "compare: {} difference(s) between the restored room and the source",
                        report.differences.len()
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
fn print_unencrypted(report: &dataroom::BuildReport, selection: Selection) {
    let files = &report.sealed.unencrypted;
    match selection {
        Selection::All => println!(
            "  public:    {} files are not encrypted (the lock screen, the app and its styles, the signatures); anyone with the stick can read them, everything else is encrypted:",
            files.len()
        ),
        Selection::TrainingOnly => println!(
            "  public:    all {} files (the training site is not encrypted):",
            files.len()
        ),
    }
    for path in files {
        if report.from_room_theme.contains(path) {
            println!("             site/{path}   (from the room's theme/ folder)");
        } else {
            println!("             site/{path}");
        }
    }
}

fn import(opts: &dataroom::import::ImportOptions) -> ExitCode {
    use dataroom::i18n::{embedded, fill, text};
    use dataroom::import::Change;
    match dataroom::import::import(opts) {
        Err(failure) => {
            let strings = embedded(failure.language);
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
            let strings = embedded(outcome.language);
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

fn print_verify(r: &verify::Report) {
    println!("public key: {}", r.key_source);
    println!("key id:     {}", r.key_id);
    println!("fingerprint {}", r.fingerprint);
    match (&r.signature_error, &r.trusted_comment) {
        (Some(e), _) => println!("signature:  FAILED — {e}"),
        (None, Some(tc)) => println!("signature:  good — {tc}"),
        (None, None) => {}
    }
    match &r.zip_signature {
        Some(Ok(tc)) => println!("zip signature: good — {tc}"),
        Some(Err(e)) => println!("zip signature: FAILED — {e}"),
        None => {}
    }
    for p in &r.changed {
        println!("changed:    {p}");
    }
    for p in &r.missing {
        println!("missing:    {p}");
    }
    for p in &r.extra {
        println!("extra:      {p}");
    }
    for p in &r.malformed {
        println!("malformed:  {p}");
    }
    for w in &r.warnings {
        println!("WARNING:    {w}");
        eprintln!("WARNING: {w}");
    }
    if r.ok() {
        println!(
            "OK: {} files match SHA256SUMS and the signature is valid",
            r.checked
        );
    } else if let Some(e) = &r.signature_error {
        println!(
            "NOT OK: the signature is not valid ({e}); files: {} changed, {} missing, {} extra",
            r.changed.len(),
            r.missing.len(),
            r.extra.len()
        );
    } else {
        println!(
            "NOT OK: {} changed, {} missing, {} extra",
            r.changed.len(),
            r.missing.len(),
            r.extra.len()
        );
    }
}
