//! Test harness: a fresh database per test (a temp-file SQLite, or a new PostgreSQL database
//! when `JICAI_TEST_POSTGRES_URL` is set), the real application, and a cookie-keeping client.
#![allow(dead_code)]

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test;
use diesel::prelude::*;
use std::collections::HashMap;
use std::rc::Rc;

use jicai::clock::Clock;
use jicai::config::Config;
use jicai::store::Store;
use jicai::web::{build_app, AppState};

/// A database that lives as long as the test.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = dir.path().join("test.db").to_string_lossy().to_string();
        TestDb {
            url,
            _dir: Some(dir),
            pg: None,
        }
    }

    /// A new, empty PostgreSQL database, or `None` when no server is configured.
    pub fn postgres() -> Option<TestDb> {
        let admin = std::env::var("JICAI_TEST_POSTGRES_URL")
            .ok()
            .filter(|s| !s.is_empty())?;
        let name = format!("jicai_t_{}_{}", std::process::id(), rand_suffix());
        let mut c = PgConnection::establish(&admin).expect("JICAI_TEST_POSTGRES_URL answers");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut c)
            .expect("create test database");
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .unwrap_or(admin.clone());
        Some(TestDb {
            url: format!("{base}/{name}"),
            _dir: None,
            pg: Some((admin, name)),
        })
    }

    pub fn store(&self) -> Store {
        Store::open(&self.url, 4).expect("open store")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            if let Ok(mut c) = PgConnection::establish(admin) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut c);
            }
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

/// Runs a test body on SQLite and (when configured) on PostgreSQL, as two tests.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),+ $(,)?) => {
        $(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                super::$name($crate::common::TestDb::sqlite()).await;
            }
            #[actix_web::test]
            async fn postgres() {
                match $crate::common::TestDb::postgres() {
                    Some(db) => super::$name(db).await,
                    None => eprintln!("JICAI_TEST_POSTGRES_URL is not set: PostgreSQL run skipped"),
                }
            }
        }
        )+
    };
}

pub fn test_config(db: &TestDb) -> Config {
    let mut env = std::collections::BTreeMap::new();
    env.insert("JICAI_DATABASE_URL".to_string(), db.url.clone());
    // Tests move the clock by days: sessions outlive that (tests/security.rs sets the real
    // lifetimes where it tests them).
    env.insert(
        "JICAI_SESSION_IDLE_MINUTES".to_string(),
        "527040".to_string(),
    );
    env.insert("JICAI_SESSION_MAX_HOURS".to_string(), "87840".to_string());
    Config::from_sources(&env).expect("test config")
}

/// The application's state on this database, with the demo province loaded and a clock the test controls.
pub fn state_with_demo(db: &TestDb) -> AppState {
    let store = db.store();
    let config = test_config(db);
    let master = jicai::sealing::MasterKey::from_bytes([9u8; 32]);
    let now = chrono::Utc::now();
    jicai::demo::load(&mut store.conn().unwrap(), now, config.time_zone, &master)
        .expect("demo loads");
    AppState {
        bids: jicai::store::bid_writer::BidWriter::start(store.clone()),
        metrics: jicai::web::ops::new_metrics(),
        store,
        config,
        clock: Clock::fixed(now),
        session_key: vec![7u8; 64],
        master: std::sync::Arc::new(master),
    }
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

    /// Uploads a file as multipart form data to `path` (CSRF token in the query, as the page does).
    pub async fn upload(&mut self, path: &str, file_name: &str, bytes: &[u8]) -> Resp {
        let boundary = "----jicaitestboundary";
        let mut body = Vec::new();
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
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
    let today = state
        .clock
        .now()
        .with_timezone(&state.config.time_zone)
        .date_naive();
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
