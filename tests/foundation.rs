//! The foundation over HTTP, on both databases: login, CSRF, throttling, roles, tokens.

mod common;

use actix_web::http::StatusCode;
use common::{app, state_with_demo, Client, TestDb, PW};

async fn login_logout_and_home(db: TestDb) {
    let app = app(state_with_demo(&db)).await;
    let mut c = Client::new(app.clone());
    let r = c.get("/home").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/login"));
    let r = c.login("center", PW).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/home"));
    let r = c.get("/home").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("王敏"), "home shows the user's name");
    let r = c.post("/logout", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(c.get("/home").await.status, StatusCode::SEE_OTHER);
}

async fn wrong_password_is_refused(db: TestDb) {
    let app = app(state_with_demo(&db)).await;
    let mut c = Client::new(app);
    let r = c.login("center", "not-the-password").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("login-error"));
    assert_eq!(c.get("/home").await.status, StatusCode::SEE_OTHER);
}

on_both_databases!(login_logout_and_home, wrong_password_is_refused);
