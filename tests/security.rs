//! Sessions, login throttling, `/metrics`, the language switch and the browser security
//! headers (issue 12, items 4, 5, 6 and part of 9), over HTTP through the real application, on
//! both databases.

mod common;

use actix_web::body::MessageBody;
use actix_web::http::header::HeaderMap;
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use diesel::prelude::*;
use std::net::SocketAddr;

use common::{app, state_with_demo, Client, TestDb, PW};
use jicai::store::users;
use jicai::web::AppState;

const HOST: &str = "jicai.test";

fn conn(state: &AppState) -> jicai::store::Conn {
    state.store.conn().unwrap()
}

fn addr(n: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, n], 40000))
}

fn user_id(state: &AppState, name: &str) -> i64 {
    users::by_username(&mut conn(state), name)
        .unwrap()
        .unwrap()
        .id
}

fn failures(state: &AppState) -> i64 {
    jicai::store::schema::login_failures::table
        .count()
        .get_result(&mut conn(state))
        .unwrap()
}

struct Out {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
    /// `jicai_session=…` when the response set the cookie.
    cookie: Option<String>,
}

impl Out {
    fn location(&self) -> Option<&str> {
        self.headers.get("Location").and_then(|v| v.to_str().ok())
    }
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
    fn csrf(&self) -> String {
        let k = "name=\"csrf\" value=\"";
        let i = self.body.find(k).expect("a form with a CSRF token") + k.len();
        let j = self.body[i..].find('"').unwrap() + i;
        self.body[i..j].to_string()
    }
}

/// One request, with the cookie given (if any), from this peer address.
async fn call<S, B>(app: &S, req: TestRequest, cookie: Option<&str>, peer: SocketAddr) -> Out
where
    S: common::TestService<B>,
    B: MessageBody,
{
    let mut req = req.peer_addr(peer).insert_header(("Host", HOST));
    if let Some(c) = cookie {
        req = req.insert_header(("Cookie", c.to_string()));
    }
    let resp = test::call_service(app, req.to_request()).await;
    let cookie = resp
        .response()
        .cookies()
        .find(|c| c.name() == "jicai_session")
        .map(|c| format!("jicai_session={}", c.value()));
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = String::from_utf8_lossy(&test::read_body(resp).await).to_string();
    Out {
        status,
        headers,
        body,
        cookie,
    }
}

fn form(pairs: &[(&str, &str)]) -> TestRequest {
    TestRequest::post()
        .uri("/login")
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .set_payload(serde_urlencoded::to_string(pairs).unwrap())
}

fn post(path: &str, pairs: &[(&str, &str)]) -> TestRequest {
    form(pairs).uri(path)
}

/// The login page's cookie and CSRF token, from this address.
async fn login_page<S, B>(app: &S, peer: SocketAddr) -> (String, String)
where
    S: common::TestService<B>,
    B: MessageBody,
{
    let page = call(app, TestRequest::get().uri("/login"), None, peer).await;
    assert_eq!(page.status, StatusCode::OK);
    (page.cookie.clone().expect("a session cookie"), page.csrf())
}

/// Logs in from this address: the login's response (its cookie is the session's).
async fn login<S, B>(app: &S, username: &str, password: &str, peer: SocketAddr) -> Out
where
    S: common::TestService<B>,
    B: MessageBody,
{
    let (cookie, csrf) = login_page(app, peer).await;
    let pairs = [
        ("username", username),
        ("password", password),
        ("csrf", &csrf),
    ];
    call(app, form(&pairs), Some(&cookie), peer).await
}

/// A session cookie of this user.
async fn session_of<S, B>(app: &S, username: &str, password: &str) -> String
where
    S: common::TestService<B>,
    B: MessageBody,
{
    let r = login(app, username, password, addr(1)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.cookie.expect("the session's cookie")
}

async fn home<S, B>(app: &S, cookie: &str) -> StatusCode
where
    S: common::TestService<B>,
    B: MessageBody,
{
    call(app, TestRequest::get().uri("/home"), Some(cookie), addr(1))
        .await
        .status
}

// ---------- sessions ----------

async fn logout_ends_the_session_server_side(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let cookie = session_of(&*app, "center", PW).await;
    let page = call(
        &*app,
        TestRequest::get().uri("/home"),
        Some(&cookie),
        addr(1),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();
    let out = call(
        &*app,
        post("/logout", &[("csrf", &csrf)]),
        Some(&cookie),
        addr(1),
    )
    .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    // The cookie kept from before the logout opens nothing.
    assert_eq!(home(&*app, &cookie).await, StatusCode::SEE_OTHER);
    assert_eq!(
        users::open_sessions(&mut conn(&state), user_id(&state, "center")).unwrap(),
        0
    );
}

async fn a_password_reset_ends_every_session_and_token(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let sup = user_id(&state, "supplier");
    // Two sessions and an API token of the supplier's user; one session of the center's.
    let first = session_of(&*app, "supplier", PW).await;
    let second = session_of(&*app, "supplier", PW).await;
    let token = jicai::security::new_api_token();
    users::create_token(
        &mut conn(&state),
        &state.act("center"),
        sup,
        "ERP",
        &token.hash,
        &token.prefix,
    )
    .unwrap();
    let mut api = Client::new(app.clone());
    let me = api.api_get("/api/v1/me", &token.secret).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(home(&*app, &first).await, StatusCode::OK);

    let mut center = Client::logged_in(app.clone(), "center", &format!("/users/{sup}")).await;
    let r = center
        .post(
            &format!("/users/{sup}/password"),
            &[("password", "a-new-password-2026")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    assert_eq!(home(&*app, &first).await, StatusCode::SEE_OTHER);
    assert_eq!(home(&*app, &second).await, StatusCode::SEE_OTHER);
    let me = api.api_get("/api/v1/me", &token.secret).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{}", me.body);
    assert_eq!(users::open_sessions(&mut conn(&state), sup).unwrap(), 0);
    // The administrator's own session is untouched; the new password opens a new one.
    assert_eq!(center.get("/home").await.status, StatusCode::OK);
    let fresh = session_of(&*app, "supplier", "a-new-password-2026").await;
    assert_eq!(home(&*app, &fresh).await, StatusCode::OK);
    let old = login(&*app, "supplier", PW, addr(2)).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
}

/// The state with the default session lifetimes (the test harness stretches them).
fn default_lifetimes(mut state: AppState) -> AppState {
    let defaults = jicai::config::Config::from_sources(&Default::default()).unwrap();
    state.config.session_idle_minutes = defaults.session_idle_minutes;
    state.config.session_max_hours = defaults.session_max_hours;
    state
}

async fn sessions_end_when_idle_and_at_their_absolute_lifetime(db: TestDb) {
    let state = default_lifetimes(state_with_demo(&db));
    let (idle, max) = (
        state.config.session_idle_minutes,
        state.config.session_max_hours,
    );
    assert_eq!((idle, max), (30, 12), "the defaults");
    let app = app(state.clone()).await;
    let minutes = |m: i64| chrono::Duration::minutes(m);

    // Idle: used every 29 minutes it lives on; 31 minutes without a request end it.
    let cookie = session_of(&*app, "center", PW).await;
    state.clock.advance(minutes(idle - 1));
    assert_eq!(home(&*app, &cookie).await, StatusCode::OK);
    state.clock.advance(minutes(idle - 1));
    assert_eq!(home(&*app, &cookie).await, StatusCode::OK);
    state.clock.advance(minutes(idle + 1));
    assert_eq!(home(&*app, &cookie).await, StatusCode::SEE_OTHER);

    // Absolute: however busy, it ends 12 hours after the login.
    let cookie = session_of(&*app, "center", PW).await;
    let mut elapsed = 0;
    while elapsed + 25 < max * 60 {
        state.clock.advance(minutes(25));
        elapsed += 25;
        assert_eq!(
            home(&*app, &cookie).await,
            StatusCode::OK,
            "at {elapsed} min"
        );
    }
    state.clock.advance(minutes(max * 60 - elapsed + 1));
    assert_eq!(home(&*app, &cookie).await, StatusCode::SEE_OTHER);
}

async fn the_last_request_is_written_at_most_once_a_minute(db: TestDb) {
    use jicai::store::schema::sessions;
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let cookie = session_of(&*app, "center", PW).await;
    let seen = || -> chrono::NaiveDateTime {
        sessions::table
            .select(sessions::last_seen_at)
            .order(sessions::id.desc())
            .first(&mut conn(&state))
            .unwrap()
    };
    let at_login = seen();
    state.clock.advance(chrono::Duration::seconds(30));
    assert_eq!(home(&*app, &cookie).await, StatusCode::OK);
    assert_eq!(home(&*app, &cookie).await, StatusCode::OK);
    assert_eq!(seen(), at_login, "no write within the minute");
    state.clock.advance(chrono::Duration::seconds(31));
    assert_eq!(home(&*app, &cookie).await, StatusCode::OK);
    assert_eq!(seen(), jicai::store::micros(state.clock.now()));
}

// ---------- login throttling ----------

async fn concurrent_wrong_passwords_get_at_most_the_limit_of_checks(db: TestDb) {
    let state = state_with_demo(&db);
    let limit = state.config.login_max_failures;
    let app = app(state.clone()).await;
    let (cookie, csrf) = login_page(&*app, addr(7)).await;
    let pairs = [
        ("username", "center"),
        ("password", "wrong-password"),
        ("csrf", csrf.as_str()),
    ];
    let attempts = (0..40).map(|_| call(&*app, form(&pairs), Some(&cookie), addr(7)));
    let outs = futures_util::future::join_all(attempts).await;
    // A 401 comes only after a real password check; a 429 before any.
    let checked = outs
        .iter()
        .filter(|o| o.status == StatusCode::UNAUTHORIZED)
        .count() as i64;
    let locked = outs
        .iter()
        .filter(|o| o.status == StatusCode::TOO_MANY_REQUESTS)
        .count() as i64;
    assert_eq!(checked + locked, 40, "only 401 and 429");
    assert!(checked <= limit, "{checked} password checks, limit {limit}");
    assert!(checked >= 1);
    assert_eq!(
        failures(&state),
        checked,
        "each check is one recorded failure"
    );
    // Locked now, even with the right password, from that address.
    assert_eq!(
        login(&*app, "center", PW, addr(7)).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn a_locked_username_still_opens_from_another_address_and_after_a_reset(db: TestDb) {
    let state = state_with_demo(&db);
    let (per_pair, per_user) = (
        state.config.login_max_failures,
        state.config.login_max_failures_per_user,
    );
    let app = app(state.clone()).await;
    for _ in 0..per_pair {
        let r = login(&*app, "regulator", "wrong-password", addr(1)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = login(&*app, "regulator", PW, addr(1)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // The owner, elsewhere, is let in.
    let r = login(&*app, "regulator", PW, addr(2)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // Many addresses together (the first one's failures count too) lock the username
    // everywhere…
    let mut n = per_pair;
    let mut a = 10;
    while n < per_user {
        for _ in 0..per_pair.min(per_user - n) {
            let r = login(&*app, "regulator", "wrong-password", addr(a)).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
            n += 1;
        }
        a += 1;
    }
    let r = login(&*app, "regulator", PW, addr(3)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // …until an administrator resets the password,
    let id = user_id(&state, "regulator");
    let hash = jicai::security::hash_password("reset-by-center-1").unwrap();
    users::set_password_hash(&mut conn(&state), &state.act("center"), id, &hash).unwrap();
    let r = login(&*app, "regulator", "reset-by-center-1", addr(3)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // or the lock's minutes pass.
    for _ in 0..per_pair {
        login(&*app, "regulator", "wrong-password", addr(4)).await;
    }
    let r = login(&*app, "regulator", "reset-by-center-1", addr(4)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    state.clock.advance(chrono::Duration::minutes(
        state.config.login_lock_minutes + 1,
    ));
    let r = login(&*app, "regulator", "reset-by-center-1", addr(4)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

async fn unknown_usernames_are_throttled_per_address(db: TestDb) {
    let state = state_with_demo(&db);
    let per_address = state.config.login_max_failures_per_address;
    let app = app(state.clone()).await;
    // Spraying a different made-up name each time.
    for i in 0..per_address {
        let r = login(&*app, &format!("nobody{i}"), "guess", addr(5)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = login(&*app, "nobody-else", "guess", addr(5)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // That address is locked for every name, real ones too; others are not.
    let r = login(&*app, "center", PW, addr(5)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let r = login(&*app, "center", PW, addr(6)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(failures(&state), per_address);
}

async fn forwarded_for_is_honoured_only_from_trusted_proxies(db: TestDb) {
    let mut state = state_with_demo(&db);
    state.config.trusted_proxies = vec!["10.0.0.1".parse().unwrap()];
    let per_pair = state.config.login_max_failures;
    let app = app(state.clone()).await;
    let attempt = |peer: SocketAddr, forwarded: String, password: &'static str| {
        let app = app.clone();
        async move {
            let (cookie, csrf) = login_page(&*app, peer).await;
            let pairs = [
                ("username", "regulator"),
                ("password", password),
                ("csrf", csrf.as_str()),
            ];
            let req = form(&pairs).insert_header(("X-Forwarded-For", forwarded));
            call(&*app, req, Some(&cookie), peer).await.status
        }
    };
    // From an untrusted peer the header is ignored: a new made-up client each time gains nothing.
    for i in 0..per_pair {
        let s = attempt(addr(9), format!("192.0.2.{i}"), "wrong-password").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let s = attempt(addr(9), "192.0.2.200".into(), PW).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // Through the trusted proxy, the client it names is the one counted.
    for _ in 0..per_pair {
        let s = attempt(addr(1), "198.51.100.7".into(), "wrong-password").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let s = attempt(addr(1), "198.51.100.7".into(), PW).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // A client cannot pose as another by prepending to the header: the proxy's entry counts.
    let s = attempt(addr(1), "203.0.113.5, 198.51.100.7".into(), PW).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let s = attempt(addr(1), "198.51.100.8".into(), PW).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let mut addresses: Vec<String> = jicai::store::schema::login_failures::table
        .select(jicai::store::schema::login_failures::address)
        .distinct()
        .load(&mut conn(&state))
        .unwrap();
    addresses.sort();
    assert_eq!(addresses, ["10.0.0.9", "198.51.100.7"]);
}

async fn long_usernames_are_refused_before_anything_is_stored(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let long = "x".repeat(users::MAX_USERNAME_CHARS + 1);
    let r = login(&*app, &long, "guess", addr(1)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("64"), "{}", r.body);
    let huge = "x".repeat(250_000);
    let r = login(&*app, &huge, "guess", addr(1)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(failures(&state), 0);
    let r = login(
        &*app,
        &"x".repeat(users::MAX_USERNAME_CHARS),
        "guess",
        addr(1),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(failures(&state), 1);
}

async fn the_purge_job_removes_old_failures_and_sessions(db: TestDb) {
    use jicai::store::schema::sessions;
    let state = default_lifetimes(state_with_demo(&db));
    let app = app(state.clone()).await;
    login(&*app, "nobody", "wrong-password", addr(1)).await;
    let ended = session_of(&*app, "expert", PW).await;
    let page = call(
        &*app,
        TestRequest::get().uri("/home"),
        Some(&ended),
        addr(1),
    )
    .await;
    call(
        &*app,
        post("/logout", &[("csrf", &page.csrf())]),
        Some(&ended),
        addr(1),
    )
    .await;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs/auth_purge.toml");
    let spec = jicai::domain::jobs::parse(
        "jobs/auth_purge.toml",
        "auth_purge",
        &std::fs::read_to_string(path).unwrap(),
        state.config.time_zone,
    )
    .unwrap();
    let runner = common::job_runner(&state);
    let count = || -> i64 {
        sessions::table
            .count()
            .get_result(&mut conn(&state))
            .unwrap()
    };
    // Nothing is old yet.
    runner.run(&spec).await.unwrap();
    assert_eq!((failures(&state), count()), (1, 1));
    // A day later: the failure and the ended session go; a session in use stays.
    state.clock.advance(chrono::Duration::hours(23));
    let live = session_of(&*app, "center", PW).await;
    login(&*app, "center", "wrong-password", addr(2)).await;
    state.clock.advance(chrono::Duration::hours(2));
    let out = runner.run(&spec).await.unwrap();
    assert!(out.contains("1 old failed logins"), "{out}");
    assert_eq!((failures(&state), count()), (1, 1));
    assert_eq!(
        home(&*app, &live).await,
        StatusCode::SEE_OTHER,
        "idle by now"
    );
}

// ---------- /metrics ----------

fn with_metrics_token(mut state: AppState) -> AppState {
    state.config.metrics_token = Some("scrape-secret-0123456789".into());
    state
}

fn series(body: &str) -> Vec<&str> {
    body.lines()
        .filter(|l| l.starts_with("jicai_http_requests_total{"))
        .collect()
}

async fn metrics_are_bounded_and_need_the_token(db: TestDb) {
    // Without a token setting, nobody is served the metrics.
    let state = state_with_demo(&db);
    let app_plain = app(state.clone()).await;
    let mut c = Client::new(app_plain);
    let r = c.get("/metrics").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = c.api_get("/metrics", "scrape-secret-0123456789").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let state = with_metrics_token(state);
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    assert_eq!(c.get("/metrics").await.status, StatusCode::UNAUTHORIZED);
    let r = c.api_get("/metrics", "wrong").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let token = Some("scrape-secret-0123456789");
    assert_eq!(c.get("/healthz").await.status, StatusCode::OK);
    let before = c.api("GET", "/metrics", token, None).await;
    assert_eq!(before.status, StatusCode::OK);
    // A thousand unknown paths (pages and API), and made-up methods.
    for i in 0..1000 {
        let p = match i % 3 {
            0 => format!("/no/such/page/{i}"),
            1 => format!("/api/v1/nothing-{i}"),
            _ => format!("/x{i}?q={i}"),
        };
        assert_eq!(c.get(&p).await.status, StatusCode::NOT_FOUND, "{p}");
    }
    for i in 0..20 {
        let req = TestRequest::default()
            .method(actix_web::http::Method::from_bytes(format!("M{i}").as_bytes()).unwrap())
            .uri("/healthz")
            .to_request();
        let resp = test::call_service(&*app, req).await;
        assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    }
    let after = c.api("GET", "/metrics", token, None).await;
    assert_eq!(after.status, StatusCode::OK);
    let s = series(&after.body);
    assert!(s.len() <= 8, "{} series:\n{}", s.len(), s.join("\n"));
    assert!(
        s.iter()
            .any(|l| l.contains("endpoint=\"UNMATCHED\"") && l.ends_with(" 1000")),
        "{}",
        s.join("\n")
    );
    assert!(s.iter().any(|l| l.contains("endpoint=\"/healthz\"")));
    assert!(!after.body.contains("/no/such/page"));
    assert!(!after.body.contains("method=\"M1\""));
    assert!(
        after.body.len() < before.body.len() + 20_000,
        "{} → {} bytes",
        before.body.len(),
        after.body.len()
    );
}

/// A real server with four workers: every scrape, whichever worker answers it, counts every
/// request, whichever worker served it (one registry for the process).
async fn metrics_count_every_worker_alike(db: TestDb) {
    let state = with_metrics_token(state_with_demo(&db));
    let s = state.clone();
    let server = actix_web::HttpServer::new(move || jicai::web::build_app(s.clone()))
        .workers(4)
        .bind(("127.0.0.1", 0))
        .unwrap();
    let at = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    // Each request on its own connection, so that the workers share them out.
    let get = move |path: &'static str, token: Option<&'static str>| {
        actix_web::rt::task::spawn_blocking(move || {
            use std::io::{Read, Write};
            let mut s = std::net::TcpStream::connect(at).unwrap();
            let auth = token
                .map(|t| format!("Authorization: Bearer {t}\r\n"))
                .unwrap_or_default();
            write!(
                s,
                "GET {path} HTTP/1.1\r\nHost: {at}\r\n{auth}Connection: close\r\n\r\n"
            )
            .unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).unwrap();
            out
        })
    };
    for _ in 0..60 {
        let r = get("/healthz", None).await.unwrap();
        assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    }
    let line = "jicai_http_requests_total{endpoint=\"/healthz\",method=\"GET\",status=\"200\"} 60";
    for _ in 0..8 {
        let r = get("/metrics", Some("scrape-secret-0123456789"))
            .await
            .unwrap();
        assert!(r.starts_with("HTTP/1.1 200"), "{r}");
        assert!(r.contains(line), "{r}");
    }
    handle.stop(true).await;
}

// ---------- language switch and headers ----------

async fn the_language_switch_is_a_post_that_stays_on_this_site(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let cookie = session_of(&*app, "center", PW).await;
    let lang = || {
        users::by_username(&mut conn(&state), "center")
            .unwrap()
            .unwrap()
            .language
    };
    let before = lang();
    // A GET changes nothing.
    let r = call(
        &*app,
        TestRequest::get().uri("/lang/en"),
        Some(&cookie),
        addr(1),
    )
    .await;
    assert_ne!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(lang(), before);
    // Without the CSRF token: refused.
    let r = call(&*app, post("/lang/en", &[]), Some(&cookie), addr(1)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(lang(), before);
    let page = call(
        &*app,
        TestRequest::get().uri("/drugs"),
        Some(&cookie),
        addr(1),
    )
    .await;
    let csrf = page.csrf();
    assert!(
        page.body.contains("action=\"/lang/en\""),
        "the header's form"
    );
    let switch = |referer: Option<&str>| {
        let mut req = post("/lang/en", &[("csrf", &csrf)]);
        if let Some(r) = referer {
            req = req.insert_header(("Referer", r.to_string()));
        }
        call(&*app, req, Some(&cookie), addr(1))
    };
    let r = switch(Some("http://jicai.test/drugs?page=2")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/drugs?page=2"));
    assert_eq!(lang(), "en");
    for evil in [
        "http://jicai.test/\\evil.example",
        "http://jicai.test//evil.example/",
        "http://jicai.test/\\/evil.example",
        "http://jicai.test.evil.example/home",
        "http://jicai.test@evil.example/home",
        "http://evil.example/jicai.test/home",
        "https://evil.example/?jicai.test/drugs",
        "/\\evil.example",
        "javascript:alert(1)",
    ] {
        let r = switch(Some(evil)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{evil}");
        assert_eq!(r.location(), Some("/home"), "{evil}");
    }
    assert_eq!(switch(None).await.location(), Some("/home"));
    let bad = call(
        &*app,
        post("/lang/fr", &[("csrf", &csrf)]),
        Some(&cookie),
        addr(1),
    )
    .await;
    assert_eq!(bad.status, StatusCode::NOT_FOUND);
}

async fn pages_and_api_carry_the_security_headers(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let cookie = session_of(&*app, "center", PW).await;
    let token = jicai::security::new_api_token();
    users::create_token(
        &mut conn(&state),
        &state.act("center"),
        user_id(&state, "center"),
        "t",
        &token.hash,
        &token.prefix,
    )
    .unwrap();
    let login = call(&*app, TestRequest::get().uri("/login"), None, addr(1)).await;
    let home = call(
        &*app,
        TestRequest::get().uri("/home"),
        Some(&cookie),
        addr(1),
    )
    .await;
    let drugs = call(
        &*app,
        TestRequest::get().uri("/drugs"),
        Some(&cookie),
        addr(1),
    )
    .await;
    let api = call(
        &*app,
        TestRequest::get()
            .uri("/api/v1/me")
            .insert_header(("Authorization", format!("Bearer {}", token.secret))),
        None,
        addr(1),
    )
    .await;
    let missing = call(&*app, TestRequest::get().uri("/nowhere"), None, addr(1)).await;
    for (what, r) in [
        ("login", &login),
        ("home", &home),
        ("drugs", &drugs),
        ("api", &api),
        ("404", &missing),
    ] {
        assert!(r.status != StatusCode::INTERNAL_SERVER_ERROR, "{what}");
        let csp = r.header("Content-Security-Policy");
        assert!(csp.contains("default-src 'self'"), "{what}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{what}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
        assert_eq!(r.header("X-Frame-Options"), "DENY", "{what}");
        assert_eq!(r.header("Cache-Control"), "no-store", "{what}");
        assert_eq!(r.header("X-Content-Type-Options"), "nosniff", "{what}");
    }
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    // The pages keep working under that policy: no inline script or style, no javascript: link.
    for r in [&login, &home, &drugs, &missing] {
        // Scripts only from the site's own files (`<script src="/static/…">`), none inline.
        for tag in r.body.split("<script").skip(1) {
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            assert!(
                tag.contains(" src=\"/static/"),
                "an inline script: <script{tag}>"
            );
        }
        assert!(!r.body.contains("style="), "{}", r.body);
        assert!(!r.body.contains("javascript:"), "{}", r.body);
    }
    // The stylesheet may be cached.
    let css = call(
        &*app,
        TestRequest::get().uri("/static/site.css"),
        None,
        addr(1),
    )
    .await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.header("Cache-Control").contains("max-age"));
    assert!(!css.header("Cache-Control").contains("no-store"));
}

on_both_databases!(
    demo: logout_ends_the_session_server_side,
    a_password_reset_ends_every_session_and_token,
    sessions_end_when_idle_and_at_their_absolute_lifetime,
    the_last_request_is_written_at_most_once_a_minute,
    concurrent_wrong_passwords_get_at_most_the_limit_of_checks,
    a_locked_username_still_opens_from_another_address_and_after_a_reset,
    unknown_usernames_are_throttled_per_address,
    forwarded_for_is_honoured_only_from_trusted_proxies,
    long_usernames_are_refused_before_anything_is_stored,
    the_purge_job_removes_old_failures_and_sessions,
    metrics_are_bounded_and_need_the_token,
    metrics_count_every_worker_alike,
    the_language_switch_is_a_post_that_stays_on_this_site,
    pages_and_api_carry_the_security_headers,
);
