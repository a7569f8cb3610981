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
            .api(
                "POST",
                "/api/v1/shortage-reports",
                Some(&token),
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

on_both_databases!(panic_inside_a_write_transaction_rolls_back_and_later_writes_are_stored);
