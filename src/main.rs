//! The `jicai` command: serve (default), migrate, demo, generate, user add, audit verify.

use actix_web::HttpServer;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

use jicai::clock::Clock;
use jicai::config::Config;
use jicai::domain::roles::{Principal, Role};
use jicai::domain::users::UserForm;
use jicai::store::{audit, users, Act, Store};
use jicai::web::{build_app, AppState};
use jicai::{demo, security};

#[derive(Parser)]
#[command(
    name = "jicai",
    version,
    about = "Jicai (集采): provincial centralized drug procurement platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (the default).
    Serve {
        /// Load the demo province first (if not already loaded).
        #[arg(long)]
        demo: bool,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Load the demo province and print the demo logins.
    Demo,
    /// Fill the database with a generated province at the scale of Anhui, for load tests:
    /// 17,200 institutions, 300 suppliers, 5,000 products, 2,000 contracts in force and
    /// 1,000,000 order lines over 2026 (`--scale small`: about 1/100 of that).
    Generate {
        /// anhui (full size) or small (about 1/100, for a quick test).
        #[arg(long, default_value = "anhui", value_parser = ["anhui", "small"])]
        scale: String,
        /// Seed of the generator: the same seed (and --as-of) gives the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Password of the `center` user (created unless there is one) and of the token users.
        #[arg(
            long,
            env = "JICAI_GENERATE_PASSWORD",
            default_value = "bench-password-1"
        )]
        password: String,
        /// Write the API tokens here: `institution_id,token` lines for ~200 township centers,
        /// then `supplier_id,token` lines for every supplier (each section under a # header).
        #[arg(long)]
        tokens: Option<std::path::PathBuf>,
        /// The moment the data runs up to (RFC 3339, in 2026; default: now). Orders of its
        /// last two weeks are still open.
        #[arg(long)]
        as_of: Option<String>,
        /// Generate even though the database already has orders (beside them, with a province
        /// code of its own).
        #[arg(long)]
        force: bool,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Issue API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Scheduled jobs (the files in JICAI_JOBS_DIR; not set: `jobs/` of the working directory,
    /// else the defaults built into the binary).
    Job {
        #[command(subcommand)]
        command: JobCommand,
    },
    /// Check the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// A key custodian's work, on the custodian's own machine (no database, no network: the
    /// custody file comes from the tender's custody page or `GET /api/v1/tenders/{id}/custody`,
    /// and what this writes goes back the same way).
    Custodian {
        #[command(subcommand)]
        command: CustodianCommand,
    },
    /// Seal a price envelope to a quorum tender's key (for a supplier's own system) and print
    /// it as JSON, ready for the bid's `commercial_envelope`.
    Seal {
        /// The tender's public key (hex, on the tender's page and in the API).
        #[arg(long)]
        tender_key: String,
        #[arg(long)]
        tender: i64,
        #[arg(long)]
        lot: i64,
        /// The bidder's supplier id.
        #[arg(long)]
        supplier: i64,
        /// Yuan per package, e.g. 12.50.
        #[arg(long)]
        price: String,
    },
}

#[derive(Subcommand)]
enum CustodianCommand {
    /// Make a custodian key file (the secret under a passphrase) and print its public key, to
    /// register with `PUT /api/v1/custodian-key` or on the custody page.
    Keygen {
        #[arg(long)]
        key: std::path::PathBuf,
    },
    /// Make this custodian's dealing for a draft tender from its custody file.
    Deal {
        #[command(flatten)]
        files: CustodianFiles,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Check the shares this custodian received and the tender's key.
    Check {
        #[command(flatten)]
        files: CustodianFiles,
    },
    /// Make this custodian's contributions to a tender's commercial opening.
    Open {
        #[command(flatten)]
        files: CustodianFiles,
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

/// The custodian's key file and the tender's custody file.
#[derive(clap::Args)]
struct CustodianFiles {
    #[arg(long)]
    key: std::path::PathBuf,
    #[arg(long)]
    custody: std::path::PathBuf,
}

/// The passphrase of a custodian key file: `JICAI_CUSTODIAN_PASSPHRASE`, else a line read from
/// the terminal.
fn passphrase() -> Result<String, String> {
    if let Ok(p) = std::env::var("JICAI_CUSTODIAN_PASSPHRASE") {
        return Ok(p);
    }
    eprint!("passphrase: ");
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let p = line.trim_end_matches(['\r', '\n']).to_string();
    if p.chars().count() < 12 {
        return Err("a custodian passphrase has at least 12 characters".into());
    }
    Ok(p)
}

/// Runs a custodian's subcommand: each works on files only, never on the database.
fn custodian(command: CustodianCommand) -> Result<(), String> {
    match command {
        CustodianCommand::Keygen { key } => custodian_keygen(&key),
        CustodianCommand::Deal { files, out } => custodian_deal(&files, &out),
        CustodianCommand::Check { files } => custodian_check(&files),
        CustodianCommand::Open { files, out } => custodian_open(&files, &out),
    }
}

/// A path's error, prefixed with the path.
fn at_path(path: &std::path::Path, e: impl std::fmt::Display) -> String {
    format!("{}: {e}", path.display())
}

/// Reads a custodian key file and unlocks it with the passphrase.
fn read_custodian_key(
    path: &std::path::Path,
) -> Result<jicai::sealing::quorum::CustodianKey, String> {
    use jicai::sealing::quorum;
    let text = std::fs::read_to_string(path).map_err(|e| at_path(path, e))?;
    let f: quorum::KeyFile = serde_json::from_str(&text).map_err(|e| at_path(path, e))?;
    quorum::CustodianKey::from_file(&f, &passphrase()?).map_err(|e| at_path(path, e))
}

/// Reads a tender's custody file.
fn read_custody_file(
    path: &std::path::Path,
) -> Result<jicai::sealing::custodian::CustodyFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| at_path(path, e))?;
    serde_json::from_str(&text).map_err(|e| at_path(path, e))
}

/// Writes a custodian's output file.
fn write_custodian_file(path: &std::path::Path, json: String) -> Result<(), String> {
    std::fs::write(path, json).map_err(|e| at_path(path, e))
}

/// `custodian keygen`: a new key file under a passphrase (never over an existing one); prints
/// the public key.
fn custodian_keygen(key: &std::path::Path) -> Result<(), String> {
    use jicai::sealing::quorum;
    if key.exists() {
        return Err(format!(
            "{}: exists; a key file is never overwritten",
            key.display()
        ));
    }
    let k = quorum::CustodianKey::generate();
    let f = k.to_file(&passphrase()?);
    jicai::keyfile::write_private(
        key,
        serde_json::to_string_pretty(&f)
            .expect("key file serializes")
            .as_bytes(),
    )?;
    println!("{}", k.public_hex());
    Ok(())
}

/// `custodian deal`: this custodian's dealing for a draft tender, written to `out`.
fn custodian_deal(files: &CustodianFiles, out: &std::path::Path) -> Result<(), String> {
    let f = read_custody_file(&files.custody)?;
    let d = jicai::sealing::custodian::deal(&f, &read_custodian_key(&files.key)?)
        .map_err(|e| e.to_string())?;
    write_custodian_file(out, serde_json::to_string(&d).expect("dealing serializes"))?;
    println!(
        "dealing for tender {} written to {}",
        f.tender_id,
        out.display()
    );
    Ok(())
}

/// `custodian check`: checks the shares this custodian received and the tender's key.
fn custodian_check(files: &CustodianFiles) -> Result<(), String> {
    let f = read_custody_file(&files.custody)?;
    jicai::sealing::custodian::check(&f, &read_custodian_key(&files.key)?)
        .map_err(|e| e.to_string())?;
    println!(
        "tender {}: {} of {} dealings received, every share checked",
        f.tender_id,
        f.dealings.len(),
        f.custodians.len()
    );
    Ok(())
}

/// `custodian open`: this custodian's contributions to the commercial opening, written to
/// `out` (none for an envelope that is not the one published at the deadline).
fn custodian_open(files: &CustodianFiles, out: &std::path::Path) -> Result<(), String> {
    let f = read_custody_file(&files.custody)?;
    let (c, skipped) = jicai::sealing::custodian::contribute(&f, &read_custodian_key(&files.key)?)
        .map_err(|e| e.to_string())?;
    for b in skipped {
        eprintln!(
            "bid {b}: its envelope is not the one published at the deadline; no contribution"
        );
    }
    write_custodian_file(
        out,
        serde_json::to_string(&c).expect("contributions serialize"),
    )?;
    println!(
        "{} contributions for tender {} written to {}",
        c.len(),
        f.tender_id,
        out.display()
    );
    Ok(())
}

fn seal(tender_key: &str, tender: i64, lot: i64, supplier: i64, price: &str) -> Result<(), String> {
    use jicai::sealing::quorum;
    let m = jicai::domain::money::Money::parse_positive("price", price)
        .map_err(|e| cli_language().msg(&e.msg))?;
    let y = quorum::point_hex(tender_key).map_err(|e| format!("--tender-key: {e}"))?;
    let plain = serde_json::json!({ "package_price": m.to_string() }).to_string();
    let e = quorum::seal_price(
        &y,
        tender,
        &quorum::price_binding(tender, lot, supplier),
        plain.as_bytes(),
    )
    .map_err(|e| e.to_string())?;
    println!(
        "{}",
        serde_json::json!({"nonce": e.nonce_hex(), "ciphertext": e.ciphertext_hex(), "digest": e.digest()})
    );
    Ok(())
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long, env = "JICAI_NEW_PASSWORD")]
        password: String,
        /// center, expert, supplier, institution or regulator
        #[arg(long)]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
        /// For a supplier user: the supplier's unified social credit code.
        #[arg(long)]
        supplier: Option<String>,
        /// For an institution user: the institution's code.
        #[arg(long)]
        institution: Option<String>,
        #[arg(long, default_value = "")]
        email: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issue a bearer token for a user and print it (shown once; only its hash is stored).
    Issue {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Subcommand)]
enum JobCommand {
    /// Run one job once, now, and print what it did.
    Run {
        /// The job's file name without `.toml`, e.g. shortage_scan.
        name: String,
        /// Run as if at this moment (RFC 3339, e.g. 2026-11-23T08:00:00Z; default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// List the jobs, their schedules and their last firings.
    List,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the hash chain; exits non-zero at the first broken link.
    Verify,
}

fn open(config: &Config) -> Result<Store, String> {
    Store::open(&config.database_url, config.pool_size)
        .map_err(|e| format!("{}: {e}", config.database_url))
}

/// The master key of this database's sealed envelopes: refused when missing or different while
/// sealed bids wait for it.
fn master_key(config: &Config, store: &Store) -> Result<jicai::sealing::MasterKey, String> {
    let mut c = store.conn().map_err(|e| e.to_string())?;
    let sealed = jicai::store::tenders::sealed_tenders(&mut c).map_err(|e| e.to_string())?;
    jicai::sealing::MasterKey::for_database(&config.master_key_file, &sealed)
        .map(|k| k.sealing(config.sealing))
        .map_err(|e| format!("JICAI_MASTER_KEY_FILE = {e}"))
}

fn load_demo(
    store: &Store,
    config: &Config,
    master: &jicai::sealing::MasterKey,
) -> Result<(), String> {
    let mut conn = store.conn().map_err(|e| e.to_string())?;
    // The demo's tenders of the past were sealed by the server (labelled so on their pages).
    let master = master.clone().sealing(jicai::sealing::Mode::Server);
    let now = chrono::Utc::now();
    let summary = demo::load(&mut conn, now, config.time_zone, &master)
        .map_err(|e| format!("demo data: {e}"))?;
    println!("{summary}");
    if summary.already {
        return Ok(());
    }
    // Five key custodians and a tender sealed by quorum, open for bids.
    let dir = config
        .master_key_file
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .join("custodians");
    let keepers = jicai::store::write_tx(&mut conn, |c| {
        demo::custody::load(c, &dir, &master, now, config.time_zone)
    })
    .map_err(|e| format!("demo custodians: {e}"))?;
    println!(
        "demo key custodians of the quorum-sealed tender (3 of 5; log in with the password above; \
         these keys are public, for trying only):"
    );
    for k in keepers {
        println!(
            "  {:<9} {}  key file {}  passphrase {}",
            k.username,
            k.display,
            k.key_file.display(),
            k.passphrase
        );
    }
    Ok(())
}

fn load_jobs(
    config: &Config,
) -> Result<(Vec<jicai::domain::jobs::JobSpec>, jicai::jobs::Source), String> {
    jicai::jobs::load(config.jobs_dir.as_deref(), config.time_zone)
        .map_err(|e| format!("the scheduled jobs cannot start:\n{e}"))
}

/// Runs every enabled job except the e-mail sender once, now, so that demo data shows its
/// shortages and alerts at once (the sender keeps to its schedule).
async fn run_jobs_once(
    runner: &jicai::jobs::Runner,
    jobs: &[jicai::domain::jobs::JobSpec],
) -> Result<(), String> {
    for j in jobs
        .iter()
        .filter(|j| j.enabled && j.kind != jicai::domain::jobs::JobKind::EmailSender)
    {
        println!("{}: {}", j.name, runner.run(j).await?);
    }
    Ok(())
}

async fn serve(config: Config, with_demo: bool) -> Result<(), String> {
    // A bad job file stops start-up before anything else happens.
    let (jobs, _) = load_jobs(&config)?;
    let store = open(&config)?;
    // A missing or wrong key stops start-up before anything is written.
    let master = master_key(&config, &store)?;
    let session_key = config.session_key().map_err(|e| e.to_string())?;
    if with_demo {
        load_demo(&store, &config, &master)?;
    }
    // Audit records are chained a few times a second (see store::audit::seal).
    jicai::store::audit::start_sealer(store.clone(), std::time::Duration::from_millis(200));
    let state = AppState {
        session_key,
        master: std::sync::Arc::new(master),
        bids: jicai::store::bid_writer::BidWriter::start(store.clone()),
        metrics: jicai::web::ops::new_metrics(),
        store,
        config: config.clone(),
        clock: Clock::system(),
    };
    let runner = jicai::jobs::Runner::new(state.store.clone(), config.clone(), Clock::system());
    if with_demo {
        run_jobs_once(&runner, &jobs).await?;
    }
    let _scheduler = runner.start(&jobs).await?;
    println!(
        "{} scheduled jobs: {}",
        jobs.iter().filter(|j| j.enabled).count(),
        jobs.iter()
            .filter(|j| j.enabled)
            .map(|j| format!("{} ({})", j.name, j.schedule))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let workers = if config.workers == 0 {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    } else {
        config.workers
    };
    let server = HttpServer::new(move || build_app(state.clone()))
        .workers(workers)
        .bind(config.bind)
        .map_err(|e| format!("JICAI_BIND = {}: cannot listen: {e}", config.bind))?;
    println!(
        "Jicai is running at http://{}/  (Ctrl-C to stop)",
        config.bind
    );
    server.run().await.map_err(|e| e.to_string())
}

/// Runs the async work of a one-shot command on a runtime of its own. The future owns what it
/// uses (the jobs' runner and its mailer), so all of it is dropped inside the runtime: lettre's
/// SMTP pool needs one to close its connections (dropped after the runtime, it panicked and the
/// command exited 101 after doing its work).
fn block_on<T>(work: impl std::future::Future<Output = Result<T, String>>) -> Result<T, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?
        .block_on(work)
}

fn run(cli: Cli) -> Result<(), String> {
    // The custodian's and the bidder's own tools need no settings, database or network (a
    // custodian's machine has no JICAI_* settings, and bad ones must not stop them).
    match cli.command {
        Some(Command::Custodian { command }) => return custodian(command),
        Some(Command::Seal {
            tender_key,
            tender,
            lot,
            supplier,
            price,
        }) => return seal(&tender_key, tender, lot, supplier, &price),
        _ => {}
    }
    let config = Config::from_env().map_err(|e| e.to_string())?;
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => actix_web::rt::System::new().block_on(serve(config, demo)),
        Command::Migrate => {
            open(&config)?;
            println!("database is up to date: {}", config.database_url);
            Ok(())
        }
        Command::Demo => {
            let (jobs, _) = load_jobs(&config)?;
            let store = open(&config)?;
            load_demo(&store, &config, &master_key(&config, &store)?)?;
            let runner = jicai::jobs::Runner::new(store, config.clone(), Clock::system());
            block_on(async move { run_jobs_once(&runner, &jobs).await })
        }
        Command::Generate {
            scale,
            seed,
            password,
            tokens,
            as_of,
            force,
        } => generate(&config, &scale, seed, password, tokens, as_of, force),
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    password,
                    role,
                    display_name,
                    supplier,
                    institution,
                    email,
                },
        } => {
            let form = UserForm {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username,
                password,
                role,
                email,
                supplier_uscc: supplier.unwrap_or_default(),
                institution_code: institution.unwrap_or_default(),
                language: "zh-CN".into(),
            };
            user_add(&config, &form)
        }
        Command::Token {
            command: TokenCommand::Issue { user, name },
        } => token_issue(&config, &user, &name),
        Command::Job {
            command: JobCommand::Run { name, at },
        } => job_run(&config, &name, at),
        Command::Job {
            command: JobCommand::List,
        } => job_list(&config),
        Command::Audit {
            command: AuditCommand::Verify,
        } => audit_verify(&config),
        Command::Custodian { .. } | Command::Seal { .. } => Ok(()),
    }
}

/// `jicai generate`: a province of the chosen scale, its tokens written where asked.
fn generate(
    config: &Config,
    scale: &str,
    seed: u64,
    password: String,
    tokens: Option<std::path::PathBuf>,
    as_of: Option<String>,
    force: bool,
) -> Result<(), String> {
    use jicai::demo::province::{self, GenerateError, Options, Scale};
    let as_of = match as_of {
        None => chrono::Utc::now(),
        Some(s) => cli_instant("--as-of", &s)?,
    };
    let opts = Options {
        scale: Scale::parse("scale", scale)
            .map_err(|_| format!("--scale {scale}: anhui or small"))?,
        seed,
        as_of,
        tz: config.time_zone,
        password,
        force,
    };
    if let Some(path) = &tokens {
        // Fail before the work if the tokens cannot be written.
        std::fs::write(path, "").map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let store = open(config)?;
    let mut c = store.conn().map_err(|e| e.to_string())?;
    let master = master_key(config, &store)?;
    let g = match province::generate(&mut c, &master, &opts) {
        Ok(g) => g,
        Err(e @ GenerateError::HasOrders(_)) => {
            eprintln!("jicai: {e}");
            std::process::exit(2);
        }
        Err(e) => return Err(e.to_string()),
    };
    if let Some(path) = &tokens {
        std::fs::write(path, g.tokens_file()).map_err(|e| format!("{}: {e}", path.display()))?;
        println!(
            "API tokens written to {} ({} institutions, {} suppliers)",
            path.display(),
            g.institution_tokens.len(),
            g.supplier_tokens.len()
        );
    }
    print!("{g}");
    Ok(())
}

/// The operator at the command line acts as center staff.
fn operator() -> Principal {
    Principal {
        user_id: 0,
        username: "cli".into(),
        role: Role::Center,
        supplier_id: None,
        institution_id: None,
    }
}

/// An error of the application layer in the operator's language.
fn cli_error(e: jicai::app::Error) -> String {
    let t = cli_language();
    match e {
        jicai::app::Error::Invalid(es) => es
            .iter()
            .map(|e| t.invalid(e))
            .collect::<Vec<_>>()
            .join("; "),
        e => e
            .reason()
            .map(|m| t.msg(m))
            .unwrap_or_else(|| format!("{e:?}")),
    }
}

/// `jicai user add`: the same checks as the users page (`app::users::create`).
fn user_add(config: &Config, form: &UserForm) -> Result<(), String> {
    let store = open(config)?;
    let clock = Clock::system();
    let cx = jicai::app::Ctx {
        store: &store,
        config,
        clock: &clock,
    };
    let u = jicai::app::users::create(&cx, &operator(), form).map_err(cli_error)?;
    println!("user {} ({}) added", u.username, u.role);
    Ok(())
}

fn token_issue(config: &Config, user: &str, name: &str) -> Result<(), String> {
    let store = open(config)?;
    let mut c = store.conn().map_err(|e| e.to_string())?;
    let u = users::by_username(&mut c, user)
        .map_err(|e| e.to_string())?
        .ok_or(format!("no user named {user}"))?;
    let t = security::new_api_token();
    users::create_token(
        &mut c,
        &Act::new("cli", chrono::Utc::now()),
        u.id,
        name,
        &t.hash,
        &t.prefix,
    )
    .map_err(|e| e.to_string())?;
    println!("{}", t.secret);
    Ok(())
}

/// `jicai job run NAME`: one job, once, now (or `--at`).
fn job_run(config: &Config, name: &str, at: Option<String>) -> Result<(), String> {
    let clock = match at {
        None => Clock::system(),
        Some(s) => Clock::fixed(cli_instant("--at", &s)?),
    };
    let (jobs, source) = load_jobs(config)?;
    let spec = jobs.iter().find(|j| j.name == name).ok_or_else(|| {
        format!(
            "no job named {name} in {source} (there are: {})",
            jobs.iter()
                .map(|j| j.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let spec = spec.clone();
    let store = open(config)?;
    let runner = jicai::jobs::Runner::new(store, config.clone(), clock);
    let started = std::time::Instant::now();
    let out = block_on(async move { runner.run(&spec).await })?;
    println!("{name}: {out}");
    println!("({:.2} s)", started.elapsed().as_secs_f64());
    Ok(())
}

/// `jicai job list`: each job, its schedule and its last firing.
fn job_list(config: &Config) -> Result<(), String> {
    let (jobs, _) = load_jobs(config)?;
    let store = open(config)?;
    let mut c = store.conn().map_err(|e| e.to_string())?;
    for j in &jobs {
        let last =
            jicai::store::jobs::firings(&mut c, Some(&j.name), 1).map_err(|e| e.to_string())?;
        println!(
            "{:<20} {:<18} {:<16} {}{}",
            j.name,
            j.schedule,
            j.time_zone,
            if j.enabled { "" } else { "(disabled) " },
            last.first()
                .map(|f| format!(
                    "last fired {} on {}: {}",
                    f.fired_at,
                    f.replica,
                    f.outcome.clone().unwrap_or_else(|| "running".into())
                ))
                .unwrap_or_else(|| "never fired".into())
        );
    }
    Ok(())
}

fn audit_verify(config: &Config) -> Result<(), String> {
    let store = open(config)?;
    let mut c = store.conn().map_err(|e| e.to_string())?;
    let v = audit::verify(&mut c).map_err(|e| e.to_string())?;
    match v.broken {
        None => {
            println!("audit chain intact: {} records", v.records);
            Ok(())
        }
        Some(b) => Err(format!(
            "audit chain broken at record {}: {}",
            b.id, b.reason
        )),
    }
}

/// The operator's language, from the locale (`LANG=zh_CN.UTF-8` gives Chinese).
fn cli_language() -> jicai::i18n::Tr {
    let lang = std::env::var("LC_ALL")
        .or_else(|_| std::env::var("LANG"))
        .unwrap_or_default();
    jicai::i18n::Tr::new(if lang.starts_with("zh") {
        "zh-CN"
    } else {
        "en"
    })
}

/// An instant given on the command line: RFC 3339, on a day within the window of dates that
/// enter (jicai::domain::FIRST_DAY..=LAST_DAY).
fn cli_instant(flag: &str, s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    let t = chrono::DateTime::parse_from_rfc3339(s.trim())
        .map_err(|e| format!("{flag} {s}: {e} (e.g. 2026-11-23T08:00:00Z)"))?
        .with_timezone(&chrono::Utc);
    jicai::domain::instant_in_window(flag, t)
        .map_err(|e| format!("{flag} {s}: {}", cli_language().msg(&e.msg)))
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,actix_server=warn,tokio_cron_scheduler=warn".into()),
        )
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jicai: {e}");
            ExitCode::FAILURE
        }
    }
}
