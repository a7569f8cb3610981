//! Faults from inside: a panic in a write transaction loses nothing that follows it.

mod common;

use actix_web::http::StatusCode;
use common::*;
use diesel::prelude::*;
use serde_json::json;

use jicai::store::{self, catalog, shortages as ss, users, write_tx, Act, Store};

/// Counts rows through a connection of its own, outside the application's pool.
fn fresh_count(db: &TestDb, table: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let q = format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}");
    let mut c = Store::open(&db.url, 1).unwrap().conn().unwrap();
    diesel::sql_query(q).get_result::<N>(&mut *c).unwrap().n
}

/// Nobody holds the database's write lock: a write from a connection of its own, told not to
/// wait for locks at all, goes through.
fn write_without_waiting(db: &TestDb) {
    let store = Store::open(&db.url, 1).unwrap();
    let mut c = store.conn().unwrap();
    let wait_none = match store.backend {
        store::Backend::Sqlite => "PRAGMA busy_timeout = 0",
        store::Backend::Postgres => "SET lock_timeout = '1ms'",
    };
    diesel::connection::SimpleConnection::batch_execute(&mut *c, wait_none).unwrap();
    diesel::sql_query("UPDATE users SET language = language")
        .execute(&mut *c)
        .expect("no lock is left behind by the panicked transaction");
}

async fn panic_inside_a_write_transaction_rolls_back_and_later_writes_are_stored(db: TestDb) {
    let mut state = state_with_demo(&db);
    // One connection: the one the panic went through would be the only one to reuse.
    state.store = Store::open(&db.url, 1).unwrap();
    let uid = users::by_username(&mut state.store.conn().unwrap(), "institution")
        .unwrap()
        .unwrap()
        .id;
    let lang_before = users::get(&mut state.store.conn().unwrap(), uid)
        .unwrap()
        .language;
    let other = if lang_before == "en" { "zh-CN" } else { "en" };
    let now = state.clock.now();

    // A write, then a panic, inside one transaction, run the way every handler runs its work.
    let r: Result<(), _> = jicai::web::db(&state, move |c| {
        write_tx(c, |c| {
            users::set_language(c, &Act::new("test", now), uid, other)?;
            panic!("injected fault inside a write transaction");
        })
    })
    .await;
    assert!(r.is_err(), "a panicked transaction is not answered as done");
    assert_eq!(
        users::get(&mut state.store.conn().unwrap(), uid)
            .unwrap()
            .language,
        lang_before,
        "the write before the panic was rolled back"
    );
    write_without_waiting(&db);

    // The writes that follow, through the real server code, are committed when answered 201.
    let code = catalog::get_drug(&mut state.store.conn().unwrap(), 1)
        .unwrap()
        .code;
    let token = token_for(&state, "institution");
    let app = app(state.clone()).await;
    let mut c = Client::new(app);
    let before = fresh_count(&db, "shortage_reports");
    for i in 0..8 {
        let r = c
            .api_post(
                "/api/v1/shortage-reports",
                &token,
                Some(json!({"drug": code, "note": format!("report {i}")})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    assert_eq!(fresh_count(&db, "shortage_reports"), before + 8);
    assert_eq!(
        ss::reports(&mut state.store.conn().unwrap(), None, 100)
            .unwrap()
            .iter()
            .filter(|(r, _, _)| r.note.starts_with("report "))
            .count(),
        8
    );
    write_without_waiting(&db);
}

on_both_databases!(demo: panic_inside_a_write_transaction_rolls_back_and_later_writes_are_stored);

/// Runs the binary with the test's database, key files and jobs; `serve` is stopped if it is
/// still running after `limit` (it should have refused to start).
fn jicai(db: &TestDb, dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jicai"))
        .args(args)
        .env("JICAI_DATABASE_URL", &db.url)
        .env("JICAI_MASTER_KEY_FILE", dir.join("master.key"))
        .env("JICAI_SECRET_FILE", dir.join("secret.key"))
        .env("JICAI_MAIL_DIR", dir.join("mail"))
        .env(
            "JICAI_JOBS_DIR",
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs"),
        )
        .env("JICAI_BIND", "127.0.0.1:0")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let limit = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > limit {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
async fn key_files_are_owner_only_and_a_lost_master_key_stops_start_up(db: TestDb) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (master, secret) = (dir.path().join("master.key"), dir.path().join("secret.key"));
    let (code, out) = jicai(&db, dir.path(), &["demo"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(mode(&master), 0o600);
    // The demo's 2027 tender holds sealed bids.
    let sealed = jicai::store::tenders::sealed_tenders(&mut db.store().conn().unwrap()).unwrap();
    assert!(!sealed.is_empty());
    // The session key, as `serve` makes it.
    let mut env = std::collections::BTreeMap::new();
    env.insert(
        "JICAI_SECRET_FILE".to_string(),
        secret.to_string_lossy().to_string(),
    );
    jicai::config::Config::from_sources(&env)
        .unwrap()
        .session_key()
        .unwrap();
    assert_eq!(mode(&secret), 0o600);
    let original = std::fs::read(&master).unwrap();

    // Missing: refused, saying what to restore; no new key is made in its place.
    std::fs::remove_file(&master).unwrap();
    let (code, out) = jicai(&db, dir.path(), &["serve"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("is missing"), "{out}");
    assert!(out.contains("restore this file"), "{out}");
    assert!(out.contains(&format!("tender {}", sealed[0].id)), "{out}");
    assert!(!master.exists(), "no new key replaces the lost one");

    // Another key: refused too.
    std::fs::write(&master, "11".repeat(32)).unwrap();
    let (code, out) = jicai(&db, dir.path(), &["serve"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("is not the key that sealed the bids"), "{out}");

    // The right key back, readable by others: accepted, with a warning.
    std::fs::write(&master, &original).unwrap();
    std::fs::set_permissions(&master, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, out) = jicai(&db, dir.path(), &["demo"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("chmod 600"), "{out}");
}

#[cfg(unix)]
on_both_databases!(empty: key_files_are_owner_only_and_a_lost_master_key_stops_start_up);
