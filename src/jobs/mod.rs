//! The scheduled jobs: read at start-up (from `JICAI_JOBS_DIR`, else `jobs/` of the working
//! directory, else the defaults built into the binary: see `load`), run by tokio-cron-scheduler
//! inside `jicai serve` (each firing claimed in the database, so that with several replicas it
//! runs on one), or once by `jicai job run NAME`.

pub mod defaults;
pub mod duties;
pub mod sealing;
pub mod shortage;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::jobs::{firing_of, parse, JobKind, JobSpec};
use crate::mail::Mailer;
use crate::store::{jobs as firings, DbConn, Store, StoreError};

/// The folder of the working directory whose job files are read when `JICAI_JOBS_DIR` is not
/// set (a checkout of the repository has it).
pub const LOCAL_DIR: &str = "jobs";

/// Where the job files were taken from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The folder `JICAI_JOBS_DIR` names (it must exist).
    Configured(PathBuf),
    /// `jobs/` of the working directory.
    WorkingDir,
    /// The defaults built into the binary (`defaults::FILES`).
    BuiltIn,
}

impl Source {
    /// The folder named by the setting; else `jobs/` when the working directory has one; else
    /// the built-in defaults.
    pub fn choose(jobs_dir: Option<&Path>) -> Source {
        match jobs_dir {
            Some(dir) => Source::Configured(dir.to_path_buf()),
            None if Path::new(LOCAL_DIR).is_dir() => Source::WorkingDir,
            None => Source::BuiltIn,
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Configured(dir) => write!(f, "JICAI_JOBS_DIR = {}", dir.display()),
            Source::WorkingDir => write!(f, "{LOCAL_DIR}/ of the working directory"),
            Source::BuiltIn => write!(f, "the defaults built into the binary"),
        }
    }
}

/// The jobs, from the source `Source::choose` picks for the setting (None: not set); a bad
/// file, or a configured folder that cannot be read, refuses them all with a message naming
/// it. Logs which source was used.
pub fn load(jobs_dir: Option<&Path>, default_tz: Tz) -> Result<(Vec<JobSpec>, Source), String> {
    let source = Source::choose(jobs_dir);
    let specs = match &source {
        Source::Configured(dir) => load_dir(dir, default_tz)?,
        Source::WorkingDir => read_folder(Path::new(LOCAL_DIR), &source, default_tz)?,
        Source::BuiltIn => defaults::load(default_tz)?,
    };
    tracing::info!(jobs = specs.len(), "scheduled jobs read from {source}");
    Ok((specs, source))
}

/// Reads every `*.toml` file of the folder; any bad file refuses them all, with a message
/// naming the file and the field.
pub fn load_dir(dir: &Path, default_tz: Tz) -> Result<Vec<JobSpec>, String> {
    read_folder(dir, &Source::Configured(dir.to_path_buf()), default_tz)
}

fn read_folder(dir: &Path, source: &Source, default_tz: Tz) -> Result<Vec<JobSpec>, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("{source}: cannot read the jobs folder: {e}"))?;
    let mut paths: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut specs = vec![];
    let mut errors = vec![];
    for path in paths {
        let file = path.display().to_string();
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        match std::fs::read_to_string(&path) {
            Ok(text) => match parse(&file, &name, &text, default_tz) {
                Ok(s) => specs.push(s),
                Err(e) => errors.push(e),
            },
            Err(e) => errors.push(format!("{file}: cannot read: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(specs)
    } else {
        Err(errors.join("\n"))
    }
}

/// What the jobs run with.
#[derive(Clone)]
pub struct Runner {
    pub store: Store,
    pub config: Config,
    pub clock: Clock,
    /// This replica's name in the firings table.
    pub replica: String,
    mailer: Arc<tokio::sync::OnceCell<Arc<Mailer>>>,
    /// Firings this runner claimed and ran.
    pub runs: Arc<std::sync::atomic::AtomicUsize>,
}

impl Runner {
    pub fn new(store: Store, config: Config, clock: Clock) -> Runner {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "jicai".into());
        Runner {
            store,
            config,
            clock,
            replica: format!("{host}:{}", std::process::id()),
            mailer: Arc::new(tokio::sync::OnceCell::new()),
            runs: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
        }
    }

    /// Names the replica (tests run two in one process).
    pub fn named(mut self, replica: &str) -> Runner {
        self.replica = replica.into();
        self
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConn) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, String> {
        self.store.blocking(f).await.map_err(|e| e.to_string())
    }

    /// Runs a job once, now, and says what it did.
    #[tracing::instrument(skip_all, fields(job = %spec.name, kind = ?spec.kind))]
    pub async fn run(&self, spec: &JobSpec) -> Result<String, String> {
        let now = self.clock.now();
        let tz = self.config.time_zone;
        let url = self.config.public_url.clone();
        let s = spec.clone();
        match spec.kind {
            JobKind::EmailSender => {
                let mailer = self
                    .mailer
                    .get_or_try_init(|| async { Mailer::from_config(&self.config).map(Arc::new) })
                    .await?
                    .clone();
                let r = crate::mail::send_due(&self.store, &mailer, now, spec.threshold("batch"))
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(r.to_string())
            }
            JobKind::AuthPurge => {
                let keep = chrono::Duration::hours(spec.threshold("keep_hours"));
                let lock = chrono::Duration::minutes(self.config.login_lock_minutes);
                let (failures, sessions) = (now - keep.max(lock), now - keep);
                self.blocking(move |c| crate::store::users::purge(c, failures, sessions))
                    .await
                    .map(|r| r.to_string())
            }
            JobKind::CommitmentPace => {
                let pct = self.config.commitment_behind_pct;
                self.blocking(move |c| duties::commitment_pace(c, &s, now, tz, &url, pct))
                    .await
                    .map(|r| r.to_string())
            }
            JobKind::Sealing => {
                let (store, config, clock) =
                    (self.store.clone(), self.config.clone(), self.clock.clone());
                tokio::task::spawn_blocking(move || {
                    let cx = crate::app::Ctx {
                        store: &store,
                        config: &config,
                        clock: &clock,
                    };
                    sealing::run(&cx, &s, &url)
                })
                .await
                .map_err(|e| e.to_string())?
                .map(|r| r.to_string())
                .map_err(|e| e.to_string())
            }
            JobKind::ShortageScan => self
                .blocking(move |c| shortage::scan(c, &s, now, tz, &url))
                .await
                .map(|r| r.to_string()),
            _ => self
                .blocking(move |c| duties::run(c, &s, now, tz, &url))
                .await
                .map(|r| r.to_string()),
        }
    }

    /// One firing of a scheduled job: claimed first, so that of several replicas woken for it
    /// only one runs it. None when another had it.
    #[tracing::instrument(skip_all, fields(job = %spec.name, replica = %self.replica))]
    pub async fn fire(&self, spec: &JobSpec) -> Result<Option<String>, String> {
        let now = self.clock.now();
        let cron = crate::domain::jobs::cron(&spec.schedule)?;
        let Some(at) = firing_of(&cron, spec.time_zone, now) else {
            return Ok(None);
        };
        let (job, replica) = (spec.name.clone(), self.replica.clone());
        let fired = crate::store::micros(at);
        let stamp = crate::store::micros(now);
        let mine = self
            .blocking(move |c| firings::claim_firing(c, &job, fired, &replica, stamp))
            .await?;
        if !mine {
            return Ok(None);
        }
        self.runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let out = self.run(spec).await;
        let outcome = match &out {
            Ok(s) => s.clone(),
            Err(e) => format!("error: {e}"),
        };
        let job = spec.name.clone();
        let end = crate::store::micros(self.clock.now());
        self.blocking(move |c| firings::finish_firing(c, &job, fired, end, &outcome))
            .await?;
        out.map(Some)
    }

    /// Starts the scheduler with the enabled jobs.
    pub async fn start(
        &self,
        specs: &[JobSpec],
    ) -> Result<tokio_cron_scheduler::JobScheduler, String> {
        use tokio_cron_scheduler::{Job, JobScheduler};
        let sched = JobScheduler::new()
            .await
            .map_err(|e| format!("scheduler: {e}"))?;
        for spec in specs.iter().filter(|s| s.enabled) {
            let runner = self.clone();
            let s = spec.clone();
            let job = Job::new_async_tz(spec.schedule.as_str(), spec.time_zone, move |_, _| {
                let runner = runner.clone();
                let s = s.clone();
                Box::pin(async move {
                    match runner.fire(&s).await {
                        Ok(Some(out)) => tracing::info!(job = %s.name, "{out}"),
                        Ok(None) => tracing::debug!(job = %s.name, "run by another replica"),
                        Err(e) => tracing::error!(job = %s.name, "failed: {e}"),
                    }
                })
            })
            .map_err(|e| format!("job {}: schedule \"{}\": {e}", spec.name, spec.schedule))?;
            sched
                .add(job)
                .await
                .map_err(|e| format!("job {}: {e}", spec.name))?;
        }
        sched.start().await.map_err(|e| format!("scheduler: {e}"))?;
        Ok(sched)
    }
}

/// The moment `now` as the province's calendar day.
pub fn today(now: DateTime<Utc>, tz: Tz) -> chrono::NaiveDate {
    now.with_timezone(&tz).date_naive()
}
