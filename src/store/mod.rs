//! Persistence: the only place with SQL. One connection type over SQLite and PostgreSQL.

pub mod alerts;
pub mod audit;
pub mod bid_writer;
pub mod catalog;
pub mod commitments;
pub mod duties;
pub mod jobs;
pub mod names;
pub mod orders;
pub mod outbox;
pub mod parties;
pub mod performance;
pub mod regions;
pub mod schema;
pub mod shortages;
pub mod supply;
pub mod tenders;
pub mod todo;
pub mod users;
pub mod words;

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel::result::DatabaseErrorKind;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

use crate::domain::{Code, Invalid, Msg};

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// A SQLite URL may be a plain path or `sqlite://path`.
fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(Msg),
    #[error("{0}")]
    Conflict(Msg),
    /// A rule refuses the actor this (answered as forbidden).
    #[error("refused: {0}")]
    Refused(Msg),
    #[error("invalid input")]
    Invalid(Vec<Invalid>),
    /// Rows of an import that were refused; nothing was written.
    #[error("rows refused")]
    Rejected(Vec<crate::domain::import::RowError>),
    /// Shown with its causes (for the log: a stored word no enum has is named there, e.g.
    /// "Error deserializing field 'state': the database holds \"x\", which is not a word of
    /// OrderState"); a person is told only that the server failed.
    #[error("database error: {}", with_causes(.0))]
    Db(diesel::result::Error),
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("migration failed: {0}")]
    Migration(String),
}

/// An error and the errors that caused it, outermost first.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

impl From<diesel::result::Error> for StoreError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => StoreError::NotFound(Code::RecordNotFound.into()),
            diesel::result::Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                // The database's words stay in the log; the reader learns only what it means.
                tracing::info!("unique violation: {}", info.message());
                StoreError::Conflict(Code::AlreadyExists.into())
            }
            e => StoreError::Db(e),
        }
    }
}

impl From<Invalid> for StoreError {
    fn from(e: Invalid) -> Self {
        StoreError::Invalid(vec![e])
    }
}

impl From<r2d2::PoolError> for StoreError {
    fn from(e: r2d2::PoolError) -> Self {
        StoreError::Connect(e.to_string())
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Inserts many rows: one multi-row statement on PostgreSQL; row by row on SQLite (in-process,
/// so each statement is cheap), where diesel's `MultiConnection` has no batch insert.
macro_rules! insert_many {
    ($conn:expr, $table:expr, $rows:expr) => {{
        use diesel::RunQueryDsl;
        match $conn {
            $crate::store::DbConn::Pg(c) => diesel::insert_into($table)
                .values($rows)
                .execute(c)
                .map(|_| ()),
            $crate::store::DbConn::Sqlite(c) => {
                let mut r = Ok(());
                for row in $rows.iter() {
                    if let Err(e) = diesel::insert_into($table).values(row.clone()).execute(c) {
                        r = Err(e);
                        break;
                    }
                }
                r
            }
        }
    }};
}
pub(crate) use insert_many;

/// Opens connections of the backend the URL names, and sets SQLite's pragmas on each.
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
}

fn establish(url: &str) -> std::result::Result<DbConn, ConnectionError> {
    match Backend::of_url(url) {
        Backend::Postgres => PgConnection::establish(url).map(DbConn::Pg),
        Backend::Sqlite => {
            let mut c = SqliteConnection::establish(sqlite_path(url))?;
            c.batch_execute(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
            )
            .map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(DbConn::Sqlite(c))
        }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> std::result::Result<DbConn, r2d2::Error> {
        establish(&self.url).map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConn) -> std::result::Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    /// A connection goes back to the pool only clean: not while a panic unwinds through its
    /// holder, not with a transaction left open (which would turn the next user's writes into
    /// savepoints of a transaction nobody commits), not with its transaction manager in error.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        std::thread::panicking() || !matches!(transaction_depth(conn), Ok(None))
    }
}

pub type Conn = PooledConnection<Manager>;

/// The database: a pool of connections to one SQLite file or one PostgreSQL database.
#[derive(Clone)]
pub struct Store {
    pool: Pool<Manager>,
    pub backend: Backend,
}

impl Store {
    /// Creates the SQLite file's folder if needed, runs the migrations on a plain connection,
    /// then builds the pool.
    pub fn open(url: &str, pool_size: u32) -> Result<Store> {
        let backend = Backend::of_url(url);
        match backend {
            Backend::Postgres => {
                let mut c =
                    PgConnection::establish(url).map_err(|e| StoreError::Connect(e.to_string()))?;
                c.run_pending_migrations(PG_MIGRATIONS)
                    .map_err(|e| StoreError::Migration(e.to_string()))?;
            }
            Backend::Sqlite => {
                let path = sqlite_path(url);
                if let Some(dir) = std::path::Path::new(path).parent() {
                    if !dir.as_os_str().is_empty() {
                        std::fs::create_dir_all(dir).map_err(|e| {
                            StoreError::Connect(format!("cannot create {}: {e}", dir.display()))
                        })?;
                    }
                }
                let mut c = match establish(url).map_err(|e| StoreError::Connect(e.to_string()))? {
                    DbConn::Sqlite(c) => c,
                    DbConn::Pg(_) => unreachable!("a SQLite URL gives a SQLite connection"),
                };
                c.run_pending_migrations(SQLITE_MIGRATIONS)
                    .map_err(|e| StoreError::Migration(e.to_string()))?;
            }
        }
        // No test query on every checkout (a round trip per request); a connection that broke
        // fails its next statement, and the pool replaces connections that error on connect.
        let pool = Pool::builder()
            .max_size(pool_size)
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(15))
            .build(Manager {
                url: url.to_string(),
            })
            .map_err(|e| StoreError::Connect(e.to_string()))?;
        Ok(Store { pool, backend })
    }

    pub fn conn(&self) -> Result<Conn> {
        Ok(self.pool.get()?)
    }

    /// Runs database work with a pooled connection on Tokio's blocking pool (the scheduled
    /// jobs and the mail sender; the web uses `web::db`, on actix's).
    pub async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConn) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = store.conn()?;
            f(&mut c)
        })
        .await
        .map_err(|e| StoreError::Connect(format!("a database task: {e}")))?
    }
}

/// A timestamp as an SQL literal for hand-written queries, written as diesel writes it to
/// SQLite (so that text comparison there agrees with timestamp comparison on PostgreSQL).
pub(crate) fn sql_ts(t: NaiveDateTime) -> String {
    format!("'{}'", t.format("%F %T%.f"))
}

/// A word of a closed set as an SQL literal for hand-written queries (words are lowercase
/// letters, digits and underscores: nothing to escape).
pub(crate) fn sql_word<T: crate::domain::Word>(w: T) -> String {
    format!("'{}'", w.as_str())
}

/// A date as an SQL literal for hand-written queries.
pub(crate) fn sql_date(d: chrono::NaiveDate) -> String {
    format!("'{}'", d.format("%F"))
}

/// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite (so a transaction that reads
/// before it writes waits for the write lock instead of failing), a plain `BEGIN` on PostgreSQL.
/// An `Err` rolls back.
/// A panic inside `f` rolls the transaction back before it goes on unwinding (and the pool then
/// discards the connection: see `Manager::has_broken`).
pub fn write_tx<T>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T>) -> Result<T> {
    // Inside a transaction already: a savepoint, so that the outer one decides.
    if transaction_depth(conn)?.is_some() {
        return conn.transaction(f);
    }
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Pg(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    let out = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut *conn))) {
        Ok(out) => out,
        Err(panic) => {
            // Every level, savepoints of nested calls included.
            while let Ok(Some(_)) = transaction_depth(conn) {
                let undone = match conn {
                    DbConn::Sqlite(c) => AnsiTransactionManager::rollback_transaction(c),
                    DbConn::Pg(c) => AnsiTransactionManager::rollback_transaction(c),
                };
                if undone.is_err() {
                    break;
                }
            }
            std::panic::resume_unwind(panic)
        }
    };
    let end = match (&out, conn) {
        (Ok(_), DbConn::Sqlite(c)) => AnsiTransactionManager::commit_transaction(c),
        (Ok(_), DbConn::Pg(c)) => AnsiTransactionManager::commit_transaction(c),
        (Err(_), DbConn::Sqlite(c)) => AnsiTransactionManager::rollback_transaction(c),
        (Err(_), DbConn::Pg(c)) => AnsiTransactionManager::rollback_transaction(c),
    };
    match (out, end) {
        (Ok(v), Ok(())) => Ok(v),
        (Ok(_), Err(e)) => Err(e.into()),
        (Err(e), _) => Err(e),
    }
}

/// Changes the record `id` of kind `entity` in one write transaction: `get` reads it before and
/// after `change`, and the audit log records `action` with both; answers the record as it is
/// after.
pub fn audited_update<T: serde::Serialize>(
    conn: &mut DbConn,
    act: &Act,
    (action, entity, id): (&str, &str, i64),
    get: impl Fn(&mut DbConn, i64) -> Result<T>,
    change: impl FnOnce(&mut DbConn) -> Result<()>,
) -> Result<T> {
    write_tx(conn, |conn| {
        let before = get(conn, id)?;
        change(conn)?;
        let after = get(conn, id)?;
        audit::append(conn, act, action, entity, id, Some(&before), Some(&after))?;
        Ok(after)
    })
}

/// Refuses `value` for the unique `field` of the record `id` when another record has it already
/// (`holder`: the record that has it, if any), with the message `taken`.
pub fn unique_but_for(
    holder: Option<i64>,
    id: i64,
    field: &str,
    taken: Code,
    value: &str,
) -> Result<()> {
    match holder {
        Some(other) if other != id => {
            Err(Invalid::new(field, Msg::new(taken).arg("code", value)).into())
        }
        _ => Ok(()),
    }
}

/// How deep in transactions the connection is (`None`: in none); an error when its transaction
/// manager is broken.
fn transaction_depth(conn: &mut DbConn) -> diesel::QueryResult<Option<std::num::NonZeroU32>> {
    match conn {
        DbConn::Sqlite(c) => {
            AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()
        }
        DbConn::Pg(c) => {
            AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()
        }
    }
}

/// Who does a change, and when (UTC): every write takes one, for its audit record.
#[derive(Debug, Clone)]
pub struct Act {
    pub actor: String,
    pub at: DateTime<Utc>,
}

impl Act {
    pub fn new(actor: impl Into<String>, at: DateTime<Utc>) -> Self {
        Act {
            actor: actor.into(),
            at,
        }
    }
    /// The time to store: UTC, truncated to microseconds (PostgreSQL's precision).
    pub fn stamp(&self) -> NaiveDateTime {
        micros(self.at)
    }
}

pub fn micros(t: DateTime<Utc>) -> NaiveDateTime {
    let n = t.naive_utc();
    n.with_nanosecond(n.nanosecond() / 1000 * 1000).unwrap_or(n)
}

/// Database readiness: one round trip.
pub fn ping(conn: &mut DbConn) -> Result<()> {
    conn.batch_execute("SELECT 1")?;
    Ok(())
}
