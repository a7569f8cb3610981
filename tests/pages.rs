//! Pages in the reader's language, on both databases: a path no route answers gets a 404 page
//! (localized, in the site's layout, with the viewport tag) in a browser and the JSON error
//! under /api; words of closed sets passed into messages (a region level, an order state) are
//! shown in Chinese on zh-CN pages, not as the English word.

mod common;

use actix_web::http::StatusCode;
use common::{app, state_with_demo, Client, TestDb, PW};

async fn an_unknown_path_answers_a_localized_404_page(db: TestDb) {
    let state = state_with_demo(&db);
    let mut c = Client::new(app(state).await);
    // Not logged in, a Chinese browser.
    let r = c.get("/no-such-page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("<meta name=\"viewport\""), "{}", r.body);
    assert!(r.body.contains("没有这个页面：/no-such-page"), "{}", r.body);
    assert!(
        r.body.contains("class=\"top\""),
        "the site's layout: {}",
        r.body
    );
    // Logged in: the navigation is there too.
    c.login("center", PW).await;
    let r = c.get("/tenders/oops/nothing").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("href=\"/commitments\""), "{}", r.body);
    // In English when the session says so.
    let r = c.post("/lang/en", &[]).await;
    assert!(r.status.is_redirection(), "{}", r.body);
    let r = c.get("/nowhere").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        r.body.contains("there is no page at /nowhere"),
        "{}",
        r.body
    );
    // Under /api: the JSON error.
    let r = c.api("GET", "/api/v1/nowhere", None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["code"], "not_found");
}

async fn closed_set_words_in_messages_are_translated(db: TestDb) {
    let state = state_with_demo(&db);
    let mut c = Client::new(app(state.clone()).await);
    c.login("center", PW).await;
    let township: String = {
        use diesel::prelude::*;
        use jicai::domain::catalog::RegionLevel;
        use jicai::store::schema::regions;
        regions::table
            .filter(regions::level.eq(RegionLevel::Township))
            .select(regions::code)
            .first(&mut state.store.conn().unwrap())
            .unwrap()
    };
    c.get("/regions/new").await;
    let r = c
        .post(
            "/regions",
            &[
                ("code", "349999001"),
                ("name_zh", "测试村"),
                ("name_en", "Test Village"),
                ("level", "township"),
                ("parent_code", &township),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("“乡镇/街道”级区域下不能再有区域"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("“township”"), "{}", r.body);
}

on_both_databases!(
    demo: an_unknown_path_answers_a_localized_404_page,
    closed_set_words_in_messages_are_translated,
);
