//! Test harness: a fresh database per test, the real application, and a cookie-keeping client.
//!
//! Each test gets its own database, copied from a template that the test process makes once
//! per backend and contents (`Contents::Empty`: migrated; `Contents::Demo`: migrated, with the
//! demo province loaded): SQLite copies the template file into the test's temp dir,
//! PostgreSQL (when `JICAI_TEST_POSTGRES_URL` is set) runs `CREATE DATABASE … TEMPLATE …`.
//! The demo is loaded once, at the template's `now`; every copy's clock starts there
//! (`TestDb::demo_now`, `state_with_demo`).
#![allow(dead_code)]

pub mod browser;
pub mod orders;
pub mod shortage;
pub mod smtp;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test;
use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::OnceLock;

use jicai::clock::Clock;
use jicai::config::Config;
use jicai::sealing::MasterKey;
use jicai::store::Store;
use jicai::web::{build_app, AppState};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contents {
    /// Migrated, nothing in it.
    Empty,
    /// Migrated, with the demo province loaded (`jicai::demo::load`).
    Demo,
}

/// A database that lives as long as the test.
pub struct TestDb {
    pub url: String,
    /// The `now` the demo was loaded at, for a copy of the demo template; the test's clock
    /// starts there.
    pub demo_now: Option<DateTime<Utc>>,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// A fresh, migrated, empty database; `None` for PostgreSQL when no server is configured.
    pub fn empty(backend: Backend) -> Option<TestDb> {
        TestDb::copy_of(backend, Contents::Empty)
    }

    /// A fresh database holding the demo province; `None` for PostgreSQL when no server is
    /// configured.
    pub fn demo(backend: Backend) -> Option<TestDb> {
        TestDb::copy_of(backend, Contents::Demo)
    }

    /// A new database copied from this process's template of `contents`.
    pub fn copy_of(backend: Backend, contents: Contents) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let tpl = template(Backend::Sqlite, contents);
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("test.db");
                std::fs::copy(&tpl.source, &path).expect("copy the SQLite template");
                Some(TestDb {
                    url: path.to_string_lossy().to_string(),
                    demo_now: tpl.now,
                    _dir: Some(dir),
                    pg: None,
                })
            }
            Backend::Postgres => {
                let admin = pg_admin_url()?;
                let tpl = template(Backend::Postgres, contents);
                let name = format!("jicai_t_{}_{}", std::process::id(), rand_suffix());
                let mut c =
                    PgConnection::establish(&admin).expect("JICAI_TEST_POSTGRES_URL answers");
                diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {}", tpl.source))
                    .execute(&mut c)
                    .expect("create test database from the template");
                Some(TestDb {
                    url: pg_url(&admin, &name),
                    demo_now: tpl.now,
                    _dir: None,
                    pg: Some((admin, name)),
                })
            }
        }
    }

    pub fn store(&self) -> Store {
        Store::open(&self.url, 4).expect("open store")
    }

    /// Everything the database holds, as text: for SQLite the database file and its
    /// write-ahead log as they lie on disk; for PostgreSQL every row of every table.
    pub fn dump(&self) -> String {
        match &self.pg {
            None => {
                let mut out = String::new();
                for f in [self.url.clone(), format!("{}-wal", self.url)] {
                    if let Ok(b) = std::fs::read(&f) {
                        out.push_str(&String::from_utf8_lossy(&b));
                    }
                }
                out
            }
            Some(_) => {
                #[derive(diesel::QueryableByName)]
                struct Row {
                    #[diesel(sql_type = diesel::sql_types::Text)]
                    v: String,
                }
                let mut c = PgConnection::establish(&self.url).expect("the test database answers");
                let tables: Vec<Row> = diesel::sql_query(
                    "SELECT tablename AS v FROM pg_tables WHERE schemaname = 'public'",
                )
                .load(&mut c)
                .expect("list the tables");
                let mut out = String::new();
                for t in tables {
                    let rows: Vec<Row> =
                        diesel::sql_query(format!("SELECT t::text AS v FROM \"{}\" t", t.v))
                            .load(&mut c)
                            .expect("read a table");
                    for r in rows {
                        out.push_str(&r.v);
                        out.push('\n');
                    }
                }
                out
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            pg_drop(admin, name);
        }
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{}_{}", nanos, N.fetch_add(1, Ordering::Relaxed))
}

fn pg_admin_url() -> Option<String> {
    std::env::var("JICAI_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// The URL of database `name` on the server of `admin`.
fn pg_url(admin: &str, name: &str) -> String {
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or(admin.to_string());
    format!("{base}/{name}")
}

/// The key the demo's tenders are sealed under, in every template and every test's state.
pub fn demo_master_key() -> MasterKey {
    MasterKey::from_bytes([9u8; 32])
}

/// A template: a SQLite file, or the name of a PostgreSQL database that nobody may connect to.
struct Template {
    source: String,
    /// The `now` the demo was loaded at (`Contents::Demo`).
    now: Option<DateTime<Utc>>,
}

/// This process's template of `contents` on `backend`, made at the first call (concurrent
/// callers wait for it). A static has no destructor: this process's templates stay until the
/// next test process, which removes those of processes that are gone before it makes its own
/// (`sqlite_template_dir`, `pg_drop_stale`).
fn template(backend: Backend, contents: Contents) -> &'static Template {
    static SQLITE_EMPTY: OnceLock<Template> = OnceLock::new();
    static SQLITE_DEMO: OnceLock<Template> = OnceLock::new();
    static PG_EMPTY: OnceLock<Template> = OnceLock::new();
    static PG_DEMO: OnceLock<Template> = OnceLock::new();
    let cell = match (backend, contents) {
        (Backend::Sqlite, Contents::Empty) => &SQLITE_EMPTY,
        (Backend::Sqlite, Contents::Demo) => &SQLITE_DEMO,
        (Backend::Postgres, Contents::Empty) => &PG_EMPTY,
        (Backend::Postgres, Contents::Demo) => &PG_DEMO,
    };
    cell.get_or_init(|| match backend {
        Backend::Sqlite => sqlite_template(contents),
        Backend::Postgres => pg_template(contents),
    })
}

/// Whether process `pid` still runs (unknown, taken as running, where there is no /proc).
fn process_gone(pid: u32) -> bool {
    Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{pid}")).exists()
}

/// The pid in the name of a database or template of the harness: `jicai_t_<pid>_…`,
/// `jicai_tpl_<pid>…`.
fn owner_pid(name: &str) -> Option<u32> {
    let rest = name
        .strip_prefix("jicai_tpl_")
        .or_else(|| name.strip_prefix("jicai_t_"))?;
    rest.split('_').next()?.parse().ok()
}

/// Whether `name` is left over: its process is gone, or it carries this process's pid (left by
/// an earlier process of that pid: this one looks before it makes its own).
fn stale(name: &str) -> bool {
    owner_pid(name).is_some_and(|pid| pid == std::process::id() || process_gone(pid))
}

/// Migrates the database at `url` and, for `Contents::Demo`, loads the demo at a `now` taken
/// here, which it returns.
fn fill(url: &str, contents: Contents) -> Option<DateTime<Utc>> {
    let store = Store::open(url, 1).expect("migrate the template");
    match contents {
        Contents::Empty => None,
        Contents::Demo => {
            let tz = config_for(url).time_zone;
            let now = Utc::now();
            jicai::demo::load(&mut store.conn().unwrap(), now, tz, &demo_master_key())
                .expect("demo loads");
            Some(now)
        }
    }
}

/// The directory of this process's SQLite templates (stale ones of other processes removed).
fn sqlite_template_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let tmp = std::env::temp_dir();
        if let Ok(entries) = std::fs::read_dir(&tmp) {
            for e in entries.flatten() {
                if stale(&e.file_name().to_string_lossy()) {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = tmp.join(format!("jicai_tpl_{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("template dir");
        dir
    })
}

/// Writes the write-ahead log into the database file and empties it, so that the file alone
/// is the whole database.
fn sqlite_checkpoint(path: &Path) {
    let store = Store::open(&path.to_string_lossy(), 1).expect("open the template");
    store
        .conn()
        .unwrap()
        .batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
        .expect("checkpoint the template");
}

fn sqlite_template(contents: Contents) -> Template {
    let path = sqlite_template_dir().join(match contents {
        Contents::Empty => "empty.db",
        Contents::Demo => "demo.db",
    });
    let now = fill(&path.to_string_lossy(), contents);
    sqlite_checkpoint(&path);
    Template {
        source: path.to_string_lossy().to_string(),
        now,
    }
}

/// Runs a statement on the server, as the admin user.
fn pg_admin(admin: &str, sql: &str) -> QueryResult<usize> {
    let mut c = PgConnection::establish(admin).expect("JICAI_TEST_POSTGRES_URL answers");
    diesel::sql_query(sql).execute(&mut c)
}

fn pg_drop(admin: &str, name: &str) {
    if name.starts_with("jicai_tpl_") {
        let _ = pg_admin(admin, &format!("ALTER DATABASE {name} IS_TEMPLATE false"));
    }
    let _ = pg_admin(
        admin,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    );
}

/// Drops, on a thread of its own, the templates and test databases of processes that are gone
/// (killed before their databases were dropped, or ended with their templates: a static has no
/// destructor). This process's own pid on a template means an earlier process of that pid:
/// that one is dropped at once, before this process makes its own. The caller joins the
/// thread once its template is made, so no drop is under way when the process ends (libpq at
/// work on another thread while the process exits can crash it).
fn pg_drop_stale(admin: &str) -> std::thread::JoinHandle<()> {
    #[derive(QueryableByName)]
    struct Db {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let mut c = PgConnection::establish(admin).expect("JICAI_TEST_POSTGRES_URL answers");
    let names: Vec<Db> = diesel::sql_query(
        "SELECT datname::text AS datname FROM pg_database \
         WHERE datname LIKE 'jicai\\_t\\_%' OR datname LIKE 'jicai\\_tpl\\_%'",
    )
    .load(&mut c)
    .expect("list the test databases");
    let (own, others): (Vec<String>, Vec<String>) = names
        .into_iter()
        .map(|d| d.datname)
        .filter(|n| stale(n))
        .partition(|n| n.starts_with("jicai_tpl_") && owner_pid(n) == Some(std::process::id()));
    for name in own {
        pg_drop(admin, &name);
    }
    let admin = admin.to_string();
    std::thread::spawn(move || {
        for name in others {
            pg_drop(&admin, &name);
        }
    })
}

fn pg_template(contents: Contents) -> Template {
    let admin = pg_admin_url().expect("JICAI_TEST_POSTGRES_URL is set");
    // Once per process, before its first template; the drops go on while it is made.
    static STALE: std::sync::Mutex<Option<std::thread::JoinHandle<()>>> =
        std::sync::Mutex::new(None);
    static LOOKED: OnceLock<()> = OnceLock::new();
    LOOKED.get_or_init(|| *STALE.lock().unwrap() = Some(pg_drop_stale(&admin)));
    let name = format!(
        "jicai_tpl_{}_{}",
        std::process::id(),
        match contents {
            Contents::Empty => "empty",
            Contents::Demo => "demo",
        }
    );
    pg_admin(&admin, &format!("CREATE DATABASE {name}")).expect("create the template");
    let now = fill(&pg_url(&admin, &name), contents);
    if let Some(dropping) = STALE.lock().unwrap_or_else(|e| e.into_inner()).take() {
        let _ = dropping.join();
    }
    // Nobody may stay connected to a template, or copying it fails.
    pg_admin(
        &admin,
        &format!("ALTER DATABASE {name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"),
    )
    .expect("mark the template");
    pg_admin(
        &admin,
        &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
    )
    .expect("close the template's connections");
    Template { source: name, now }
}

/// Runs a test body on SQLite and (when configured) on PostgreSQL, as two tests, each on a
/// fresh database: `on_both_databases!(demo: a, b)` gives each a copy of the demo template
/// (build its state with `state_with_demo`), `on_both_databases!(empty: c)` a migrated, empty
/// database.
#[macro_export]
macro_rules! on_both_databases {
    ($contents:ident: $($name:ident),+ $(,)?) => {
        $(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                let db = $crate::common::TestDb::$contents($crate::common::Backend::Sqlite)
                    .expect("SQLite is always there");
                super::$name(db).await;
            }
            #[actix_web::test]
            async fn postgres() {
                match $crate::common::TestDb::$contents($crate::common::Backend::Postgres) {
                    Some(db) => super::$name(db).await,
                    None => eprintln!("JICAI_TEST_POSTGRES_URL is not set: PostgreSQL run skipped"),
                }
            }
        }
        )+
    };
}

fn config_for(url: &str) -> Config {
    let mut env = std::collections::BTreeMap::new();
    env.insert("JICAI_DATABASE_URL".to_string(), url.to_string());
    // Tests move the clock by days: sessions outlive that (tests/security.rs sets the real
    // lifetimes where it tests them).
    env.insert(
        "JICAI_SESSION_IDLE_MINUTES".to_string(),
        "527040".to_string(),
    );
    env.insert("JICAI_SESSION_MAX_HOURS".to_string(), "87840".to_string());
    Config::from_sources(&env).expect("test config")
}

pub fn test_config(db: &TestDb) -> Config {
    config_for(&db.url)
}

/// The application's state on a copy of the demo template, with a clock the test controls,
/// standing at the `now` the demo was loaded at.
pub fn state_with_demo(db: &TestDb) -> AppState {
    let now = db.demo_now.expect(
        "state_with_demo needs a copy of the demo: TestDb::demo or on_both_databases!(demo: …)",
    );
    let store = db.store();
    AppState {
        bids: jicai::store::bid_writer::BidWriter::start(store.clone()),
        metrics: jicai::web::ops::new_metrics(),
        store,
        config: test_config(db),
        clock: Clock::fixed(now),
        session_key: vec![7u8; 64],
        master: std::sync::Arc::new(demo_master_key()),
    }
}

/// The (field, code) of each field of a JSON error.
pub fn field_codes(r: &Resp) -> Vec<(String, String)> {
    r.json()["error"]["fields"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| {
                    let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
                    (s("field"), s("code"))
                })
                .collect()
        })
        .unwrap_or_default()
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: String,
    /// The body as it came (a downloaded file).
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn location(&self) -> Option<&str> {
        self.headers.get("Location").and_then(|v| v.to_str().ok())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    /// The CSRF token a page carries in its forms.
    pub fn csrf(&self) -> Option<String> {
        let i = self.body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
        let j = self.body[i..].find('"')? + i;
        Some(self.body[i..j].to_string())
    }
}

/// What a form field shows: the part of the page `body` from the field's label to the end of
/// its label.
pub fn field<'a>(body: &'a str, name: &str) -> &'a str {
    let at = body
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no field {name}"));
    let start = body[..at].rfind("<label").unwrap();
    let end = at + body[at..].find("</label>").unwrap();
    &body[start..end]
}

/// What the tests' client talks to: the real application as actix's test service (built by
/// `app`), answering with a body of type `B`.
pub trait TestService<B>:
    Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>
{
}

impl<T, B> TestService<B> for T where
    T: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>
{
}

/// What was sent was refused (422), the answer naming the error's `code`.
pub fn assert_refused_with_code(r: &Resp, code: &str) {
    assert_refused_saying(r, code, "");
}

/// The page refused what was sent (422), naming the error's `code` and saying `words`.
pub fn assert_refused_saying(r: &Resp, code: &str, words: &str) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains(&format!("data-code=\"{code}\"")) && r.body.contains(words),
        "{}",
        r.body
    );
}

/// A client that keeps cookies, talking to the real application in-process.
pub struct Client<S> {
    app: Rc<S>,
    cookies: HashMap<String, String>,
    pub csrf: String,
    extra_header: Option<(String, String)>,
}

impl<S, B> Client<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    pub fn new(app: Rc<S>) -> Self {
        Client {
            app,
            cookies: HashMap::new(),
            csrf: String::new(),
            extra_header: None,
        }
    }

    async fn send(&mut self, req: test::TestRequest) -> Resp {
        let mut req = req;
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.insert_header(("Cookie", c.join("; ")));
        }
        let resp = test::call_service(&*self.app, req.to_request()).await;
        for c in resp.response().cookies() {
            if c.value().is_empty() {
                self.cookies.remove(c.name());
            } else {
                self.cookies
                    .insert(c.name().to_string(), c.value().to_string());
            }
        }
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = test::read_body(resp).await;
        let r = Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&body).to_string(),
            bytes: body.to_vec(),
        };
        if let Some(t) = r.csrf() {
            self.csrf = t;
        }
        r
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        self.send(test::TestRequest::get().uri(path)).await
    }

    /// Posts a form with the session's CSRF token added.
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Resp {
        let mut f: Vec<(&str, &str)> = form.to_vec();
        let csrf = self.csrf.clone();
        f.push(("csrf", &csrf));
        self.post_raw(path, &f).await
    }

    /// Posts a form with the session's CSRF token added; the status of the answer.
    pub async fn post_status(&mut self, path: &str, form: &[(&str, &str)]) -> StatusCode {
        self.post(path, form).await.status
    }

    /// Posts a form exactly as given (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, form: &[(&str, &str)]) -> Resp {
        let body = serde_urlencoded::to_string(form).unwrap();
        self.send(
            test::TestRequest::post()
                .uri(path)
                .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                .set_payload(body),
        )
        .await
    }

    /// Posts a multipart body whose parts `boundary` separates to `path`, the CSRF token in the
    /// query (as the page does).
    async fn send_multipart(&mut self, path: &str, boundary: &str, body: Vec<u8>) -> Resp {
        let uri = format!("{path}?csrf={}", self.csrf);
        self.send(
            test::TestRequest::post()
                .uri(&uri)
                .insert_header((
                    "Content-Type",
                    format!("multipart/form-data; boundary={boundary}"),
                ))
                .set_payload(body),
        )
        .await
    }

    /// Uploads a file as multipart form data to `path` (CSRF token in the query, as the page does).
    pub async fn upload(&mut self, path: &str, file_name: &str, bytes: &[u8]) -> Resp {
        let boundary = "----jicaitestboundary";
        let mut body = Vec::new();
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.send_multipart(path, boundary, body).await
    }

    /// Posts multipart form data: text fields and files (CSRF token in the query, as the page does).
    pub async fn multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Resp {
        let boundary = "----jicaitestboundary";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        for (field, name, bytes) in files {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes());
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.send_multipart(path, boundary, body).await
    }

    /// A client logged in as `username` (password `PW`) that has opened `page`, so that it
    /// holds the session's form token as that page carries it.
    pub async fn logged_in(app: Rc<S>, username: &str, page: &str) -> Self {
        let mut c = Client::new(app);
        c.login(username, PW).await;
        c.get(page).await;
        c
    }

    /// Logs in through the login page; returns the response to the login post.
    pub async fn login(&mut self, username: &str, password: &str) -> Resp {
        let page = self.get("/login").await;
        assert_eq!(page.status, StatusCode::OK);
        self.post("/login", &[("username", username), ("password", password)])
            .await
    }

    /// An API call with one more header (such as `Idempotency-Key`).
    pub async fn api_with_header(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        header: (&str, &str),
        json: Option<serde_json::Value>,
    ) -> Resp {
        self.extra_header = Some((header.0.to_string(), header.1.to_string()));
        let r = self.api(method, path, token, json).await;
        self.extra_header = None;
        r
    }

    /// An API call; the status of the answer.
    pub async fn api_status(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        json: Option<serde_json::Value>,
    ) -> StatusCode {
        self.api(method, path, token, json).await.status
    }

    /// `GET path` on the API with this bearer token.
    pub async fn api_get(&mut self, path: &str, token: &str) -> Resp {
        self.api("GET", path, Some(token), None).await
    }

    /// `GET path` on the API with this bearer token; the status of the answer.
    pub async fn api_get_status(&mut self, path: &str, token: &str) -> StatusCode {
        self.api_get(path, token).await.status
    }

    /// `POST path` on the API with this bearer token and the JSON body, if any.
    pub async fn api_post(
        &mut self,
        path: &str,
        token: &str,
        json: Option<serde_json::Value>,
    ) -> Resp {
        self.api("POST", path, Some(token), json).await
    }

    /// `POST path` on the API with this bearer token and the JSON body, if any; the status of
    /// the answer.
    pub async fn api_post_status(
        &mut self,
        path: &str,
        token: &str,
        json: Option<serde_json::Value>,
    ) -> StatusCode {
        self.api_post(path, token, json).await.status
    }

    /// An API call: `method` on `path`, with a bearer token and a JSON body if given.
    pub async fn api(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        json: Option<serde_json::Value>,
    ) -> Resp {
        let mut req = match method {
            "GET" => test::TestRequest::get(),
            "POST" => test::TestRequest::post(),
            "PUT" => test::TestRequest::put(),
            "DELETE" => test::TestRequest::delete(),
            m => test::TestRequest::default()
                .method(actix_web::http::Method::from_bytes(m.as_bytes()).expect("an HTTP method")),
        }
        .uri(path);
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        if let Some((k, v)) = self.extra_header.clone() {
            req = req.insert_header((k, v));
        }
        if let Some(j) = json {
            req = req
                .insert_header(("Content-Type", "application/json"))
                .set_payload(j.to_string());
        }
        self.send(req).await
    }
}

/// Builds the real application on this state.
pub async fn app(
    state: AppState,
) -> Rc<
    impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    >,
> {
    Rc::new(test::init_service(build_app(state)).await)
}

pub const PW: &str = jicai::demo::DEMO_PASSWORD;

/// A user of this supplier, created for the test (username `s<id>`).
pub fn supplier_user(state: &AppState, supplier_id: i64) -> String {
    let name = format!("s{supplier_id}");
    jicai::store::users::create(
        &mut state.store.conn().unwrap(),
        &jicai::store::Act::new("test", chrono::Utc::now()),
        &jicai::store::users::NewUser {
            username: name.clone(),
            password_hash: jicai::security::hash_password(PW).unwrap(),
            display_name: name.clone(),
            role: jicai::domain::roles::Role::Supplier,
            supplier_id: Some(supplier_id),
            institution_id: None,
            email: format!("{name}@test"),
            language: "en".into(),
        },
    )
    .unwrap();
    name
}

/// Issues an API token for a user straight through the store.
pub fn token_for(state: &AppState, username: &str) -> String {
    let t = jicai::security::new_api_token();
    let mut c = state.store.conn().unwrap();
    let uid = jicai::store::users::by_username(&mut c, username)
        .unwrap()
        .unwrap()
        .id;
    jicai::store::users::create_token(
        &mut c,
        &jicai::store::Act::new("test", chrono::Utc::now()),
        uid,
        "test",
        &t.hash,
        &t.prefix,
    )
    .unwrap();
    t.secret
}

/// The demo's manufacturers of drug D0012 as (supplier id, product id): those whose licences are
/// valid today, and one whose GMP certificate has expired.
pub fn d0012_bidders(state: &AppState) -> (Vec<(i64, i64)>, (i64, i64)) {
    use jicai::store::{catalog, parties};
    let mut c = state.store.conn().unwrap();
    let drug = catalog::drug_by_code(&mut c, "D0012")
        .unwrap()
        .expect("demo drug D0012");
    let f = catalog::ProductFilter {
        drug_id: Some(drug.id),
        ..Default::default()
    };
    let products = catalog::list_products(
        &mut c,
        &f,
        &jicai::domain::paging::PageRequest::new(Some(1), Some(50)),
    )
    .unwrap()
    .items;
    let today = state.today();
    let (mut good, mut expired) = (vec![], None);
    for p in products {
        let lic = parties::licences_of(&mut c, p.manufacturer_id).unwrap();
        if lic
            .iter()
            .any(|l| l.kind == jicai::domain::catalog::LicenceKind::Gmp && l.expires_on < today)
        {
            expired = Some((p.manufacturer_id, p.id));
        } else {
            good.push((p.manufacturer_id, p.id));
        }
    }
    (
        good,
        expired.expect("a manufacturer of D0012 with an expired GMP certificate"),
    )
}

/// The demo's tender open for bids (its id) and its lots, each with its drug's code and names
/// (`store::tenders::lots_with_drugs`).
pub fn demo_open_tender(
    c: &mut jicai::store::DbConn,
) -> (
    i64,
    Vec<(jicai::store::tenders::Lot, String, String, String)>,
) {
    use jicai::domain::tender::TenderState;
    use jicai::store::tenders as ts;
    let t = ts::tenders_list(c)
        .unwrap()
        .into_iter()
        .find(|t| t.state() == TenderState::Open)
        .expect("the demo has a tender open for bids");
    (t.id, ts::lots_with_drugs(c, t.id).unwrap())
}

/// The center user `analyst` (display name `Analyst`, analyst@jicai.test, English), created
/// for the test by `act`.
pub fn add_analyst(c: &mut jicai::store::DbConn, act: &jicai::store::Act) {
    jicai::store::users::create(
        c,
        act,
        &jicai::store::users::NewUser {
            username: "analyst".into(),
            password_hash: jicai::security::hash_password(PW).unwrap(),
            display_name: "Analyst".into(),
            role: jicai::domain::roles::Role::Center,
            supplier_id: None,
            institution_id: None,
            email: "analyst@jicai.test".into(),
            language: "en".into(),
        },
    )
    .unwrap();
}

/// The scheduled jobs of the repository's `jobs/` folder, in the state's time zone.
pub fn repository_jobs(state: &AppState) -> Vec<jicai::domain::jobs::JobSpec> {
    jicai::jobs::load_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs"),
        state.config.time_zone,
    )
    .unwrap()
}

/// A job runner on the state's store, configuration and clock.
pub fn job_runner(state: &AppState) -> jicai::jobs::Runner {
    jicai::jobs::Runner::new(
        state.store.clone(),
        state.config.clone(),
        state.clock.clone(),
    )
}

/// A port on 127.0.0.1 that nothing listens on (for a server the test starts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process that is killed and waited for when this is dropped, also when the test
/// fails before it ends it.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A center user created for the test (display name `Custodian NAME`, English), e.g. a key
/// custodian.
pub fn center_user(state: &AppState, name: &str) -> String {
    jicai::store::users::create(
        &mut state.store.conn().unwrap(),
        &jicai::store::Act::new("test", chrono::Utc::now()),
        &jicai::store::users::NewUser {
            username: name.into(),
            password_hash: jicai::security::hash_password(PW).unwrap(),
            display_name: format!("Custodian {name}"),
            role: jicai::domain::roles::Role::Center,
            supplier_id: None,
            institution_id: None,
            email: format!("{name}@test"),
            language: "en".into(),
        },
    )
    .unwrap();
    name.into()
}

/// A user's id by username.
pub fn user_id(state: &AppState, username: &str) -> i64 {
    jicai::store::users::by_username(&mut state.store.conn().unwrap(), username)
        .unwrap()
        .unwrap()
        .id
}

/// A demand window titled `window_title` with 900 of D0012 reported by the demo institution,
/// closed; made through the API by `center` (a token): the window's id.
pub async fn closed_window_d0012<S, B>(
    c: &mut Client<S>,
    state: &AppState,
    center: &str,
    window_title: &str,
) -> i64
where
    S: TestService<B>,
    B: MessageBody,
{
    use serde_json::json;
    let closes_at = (state.clock.now() + chrono::Duration::days(1)).to_rfc3339();
    let r = c
        .api_post(
            "/api/v1/demand",
            center,
            Some(json!({"title": window_title, "closes_at": closes_at})),
        )
        .await;
    let window = r.json()["id"].as_i64().unwrap();
    let inst = token_for(state, "institution");
    let r = c
        .api_post(
            &format!("/api/v1/demand/{window}/reports"),
            &inst,
            Some(json!([{"drug_code": "D0012", "quantity": 900}])),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = c
        .api_post(&format!("/api/v1/demand/{window}/close"), center, None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    window
}

/// A draft tender of one lot of D0012 (900 reported in a closed demand window), its deadline two
/// days ahead, made through the API by `center` (a token): (tender id, lot id).
pub async fn draft_tender_d0012<S, B>(
    c: &mut Client<S>,
    state: &AppState,
    center: &str,
    title: &str,
) -> (i64, i64)
where
    S: TestService<B>,
    B: MessageBody,
{
    use serde_json::json;
    let rfc = |d: chrono::Duration| (state.clock.now() + d).to_rfc3339();
    let window = closed_window_d0012(c, state, center, &format!("{title} window")).await;
    let r = c
        .api_post("/api/v1/tenders", center, Some(json!({"title": title, "window_id": window, "bid_deadline": rfc(chrono::Duration::days(2)),
                "lots": [{"drug_code": "D0012", "max_unit_price": "2.00", "consistency_required": false, "policy": {"kind": "multiple_winners", "max_winners": 3}}]})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    (
        r.json()["id"].as_i64().unwrap(),
        r.json()["lots"][0]["id"].as_i64().unwrap(),
    )
}
