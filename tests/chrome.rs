//! What every page shares, on both databases: the grouped menu with the current page marked,
//! tables that turn into labelled cards, the confirmation before an irreversible action, the
//! notice after every action (carried across its redirect, shown once), words of closed sets
//! in the page's language, compressed answers.

mod common;

use std::collections::BTreeSet;
use std::io::Read;

use actix_web::http::StatusCode;
use common::{app, state_with_demo, Client, TestDb, PW};

/// The `href`s of the menu's links, in order.
fn menu_links(body: &str) -> Vec<String> {
    let Some(i) = body.find("<details class=\"menu\"") else {
        return vec![];
    };
    let menu = &body[i..i + body[i..].find("</details>").unwrap()];
    menu.split("<a href=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].replace("&amp;", "&"))
        .collect()
}

/// The `href`s marked `aria-current="page"`.
fn current(body: &str) -> Vec<String> {
    body.split("<a href=\"")
        .skip(1)
        .filter(|s| s[..s.find('>').unwrap()].contains("aria-current=\"page\""))
        .map(|s| s[..s.find('"').unwrap()].replace("&amp;", "&"))
        .collect()
}

/// The notice of the page (`role="status"`), if any.
fn notice(body: &str) -> Option<String> {
    let i = body.find("role=\"status\"")?;
    let rest = &body[i..];
    let start = rest.find('>')? + 1;
    Some(rest[start..rest.find("</p>")?].to_string())
}

async fn the_menu_is_grouped_and_marks_the_current_page(db: TestDb) {
    let state = state_with_demo(&db);
    let mut c = Client::new(app(state.clone()).await);
    c.login("institution", PW).await;
    let r = c.get("/orders").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("<details class=\"menu\" id=\"menu\">"),
        "{}",
        r.body
    );
    assert!(r.body.contains("<summary>菜单"), "{}", r.body);
    for group in ["订单与供应", "采购", "短缺", "目录与主体", "账户"] {
        assert!(
            r.body.contains(&format!("<p class=\"glabel\">{group}</p>")),
            "group {group}"
        );
    }
    assert_eq!(current(&r.body), ["/orders"]);
    // A page under a menu link marks that link; the closed menu names it.
    let r = c.get("/orders/new").await;
    assert_eq!(current(&r.body), ["/orders"], "{}", r.body);
    assert!(r.body.contains("<span class=\"here\"> · 订单</span>"));
    // The longest match wins: the own institution's page, not the list of institutions.
    let own = menu_links(&r.body)
        .into_iter()
        .find(|h| h.starts_with("/institutions/"))
        .expect("a link to the own institution");
    let r = c.get(&own).await;
    assert_eq!(current(&r.body), std::slice::from_ref(&own));
    // Home: the brand and the first link.
    let r = c.get("/home").await;
    assert_eq!(current(&r.body), ["/home"]);

    // Each role's menu: every link answers 200, is marked on its own page, once.
    for user in ["center", "expert", "supplier", "institution", "regulator"] {
        let mut c = Client::new(app(state.clone()).await);
        c.login(user, PW).await;
        let links = menu_links(&c.get("/home").await.body);
        assert!(links.len() >= 4, "{user}: {links:?}");
        let distinct: BTreeSet<&String> = links.iter().collect();
        assert_eq!(
            distinct.len(),
            links.len(),
            "{user}: a link twice: {links:?}"
        );
        for href in &links {
            let r = c.get(href).await;
            assert_eq!(r.status, StatusCode::OK, "{user} {href}");
            assert_eq!(
                current(&r.body),
                std::slice::from_ref(href),
                "{user} {href}"
            );
        }
    }
    // Public pages have no menu, only their few links.
    let mut anon = Client::new(app(state).await);
    let r = anon.get("/login").await;
    assert!(!r.body.contains("<details class=\"menu\""));
    assert!(r.body.contains("name=\"viewport\""));
}

async fn tables_label_their_cells_for_phones(db: TestDb) {
    let state = state_with_demo(&db);
    common::token_for(&state, "center");
    let mut c = Client::new(app(state).await);
    c.login("center", PW).await;
    for path in ["/drugs", "/suppliers", "/orders", "/tokens", "/performance"] {
        let r = c.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        let table = &r.body[r.body.find("<table").expect(path)..];
        let table = &table[..table.find("</table>").unwrap()];
        let heads: Vec<&str> = table
            .split("<th scope=\"col\">")
            .skip(1)
            .map(|s| &s[..s.find("</th>").unwrap()])
            .collect();
        let first_row = &table[table.find("<tbody>").unwrap()..];
        let first_row = &first_row[..first_row.find("</tr>").unwrap()];
        let labels: Vec<&str> = first_row
            .split("data-label=\"")
            .skip(1)
            .map(|s| &s[..s.find('"').unwrap()])
            .collect();
        assert_eq!(labels, heads, "{path}");
        assert!(r.body.contains("<div class=\"table-box\">"), "{path}");
    }
}

async fn irreversible_actions_ask_first(db: TestDb) {
    let state = state_with_demo(&db);
    let mut c = Client::new(app(state.clone()).await);
    c.login("center", PW).await;
    // A user's page: deactivating is behind a disclosure; the form is inside it.
    let uid = {
        let mut conn = state.store.conn().unwrap();
        jicai::store::users::by_username(&mut conn, "expert")
            .unwrap()
            .unwrap()
            .id
    };
    let r = c.get(&format!("/users/{uid}")).await;
    let i = r
        .body
        .find("<details class=\"confirm")
        .expect("a confirmation");
    let details = &r.body[i..i + r.body[i..].find("</details>").unwrap()];
    assert!(details.contains("<summary class=\"danger\">"), "{details}");
    assert!(details.contains("此操作不可撤销。"), "{details}");
    assert!(
        details.contains(&format!("action=\"/users/{uid}/deactivate\"")),
        "{details}"
    );
    assert!(details.contains("确认："), "{details}");
    // Without the second tap nothing was sent: the user is still active.
    assert!(
        jicai::store::users::by_username(&mut state.store.conn().unwrap(), "expert")
            .unwrap()
            .unwrap()
            .active
    );
    // A page that is itself the confirmation shows it open, with what will happen.
    let tok = common::token_for(&state, "center");
    assert!(!tok.is_empty());
    let r = c.get("/tokens").await;
    let revoke = r
        .body
        .split("href=\"")
        .map(|s| &s[..s.find('"').unwrap_or(0)])
        .find(|h| h.ends_with("/revoke"))
        .expect("a revoke link")
        .to_string();
    let r = c.get(&revoke).await;
    assert!(
        r.body.contains("<details class=\"confirm\" open>"),
        "{}",
        r.body
    );
    assert!(r
        .body
        .contains("使用此令牌的程序将立即无法访问接口。 此操作不可撤销。"));
}

async fn a_notice_follows_every_action_once(db: TestDb) {
    let state = state_with_demo(&db);
    let mut c = Client::new(app(state.clone()).await);
    let r = c.login("institution", PW).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Logging in is not an action that needs a notice.
    let r = c.get("/home").await;
    assert_eq!(notice(&r.body), None, "{}", r.body);
    // A handler that says nothing gets the generic notice.
    c.get("/account/alerts").await;
    let r = c.post("/account/alerts", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = c.get(r.location().unwrap()).await;
    assert_eq!(notice(&r.body).as_deref(), Some("已保存"), "{}", r.body);
    // Once.
    let r = c.get("/account/alerts").await;
    assert_eq!(notice(&r.body), None);
    // In the reader's language.
    c.post("/lang/en", &[]).await;
    let r = c.get("/home").await;
    assert_eq!(notice(&r.body), None, "switching the language says nothing");
    c.post("/account/alerts", &[]).await;
    let r = c.get("/account/alerts").await;
    assert_eq!(notice(&r.body).as_deref(), Some("Saved"));

    // A handler's own notice is kept, not replaced by the generic one.
    let mut c = Client::logged_in(app(state).await, "center", "/users/new").await;
    let r = c
        .post(
            "/users",
            &[
                ("username", "nurse.li"),
                ("display_name", "李护士"),
                ("role", "expert"),
                ("email", "li@example.cn"),
                ("password", "a-long-enough-password-1"),
                ("language", "zh-CN"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = c.get(r.location().unwrap()).await;
    assert_eq!(
        notice(&r.body).as_deref(),
        Some("已创建用户 nurse.li"),
        "{}",
        r.body
    );
    // A refused POST (422) leaves no notice for later.
    let r = c.post("/users", &[("username", "")]).await;
    assert!(r.status.is_client_error(), "{}", r.status);
    let r = c.get("/users").await;
    assert_eq!(notice(&r.body), None);
}

async fn error_pages_fit_a_phone(db: TestDb) {
    let state = state_with_demo(&db);
    let mut c = Client::new(app(state).await);
    c.login("institution", PW).await;
    for (path, status) in [
        ("/users", StatusCode::FORBIDDEN),
        ("/orders/999999999", StatusCode::NOT_FOUND),
    ] {
        let r = c.get(path).await;
        assert_eq!(r.status, status, "{path}");
        assert!(
            r.body.contains(
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            ),
            "{path}: {}",
            r.body
        );
        assert!(r.body.contains("lang=\"zh-CN\""), "{path}");
    }
}

/// Every word of every closed set as stored (`in_force`, `withdrawn`…).
fn raw_words() -> BTreeSet<&'static str> {
    use jicai::domain::roles::Role;
    use jicai::domain::Word;
    use jicai::domain::*;
    fn all<W: Word>() -> Vec<&'static str> {
        W::ALL.iter().map(|w| w.as_str()).collect()
    }
    [
        all::<alerts::AlertKind>(),
        all::<award::PolicyKind>(),
        all::<catalog::Category>(),
        all::<catalog::CreditStatus>(),
        all::<catalog::InstitutionKind>(),
        all::<catalog::LicenceKind>(),
        all::<catalog::ListOrigin>(),
        all::<catalog::RegionLevel>(),
        all::<catalog::SupplierKind>(),
        all::<jobs::JobKind>(),
        all::<mail::MailStatus>(),
        all::<orders::CreditEventKind>(),
        all::<orders::DeclineReason>(),
        all::<orders::OrderState>(),
        all::<orders::ReceiptOutcome>(),
        all::<orders::RejectReason>(),
        all::<roles::Role>(),
        all::<shortage::Change>(),
        all::<shortage::EventKind>(),
        all::<shortage::Level>(),
        all::<shortage::ResponseKind>(),
        all::<shortage::Scope>(),
        all::<shortage::ShortageStatus>(),
        all::<supply::ContractKind>(),
        all::<tender::BidStatus>(),
        all::<tender::ContractStatus>(),
        all::<tender::LotStatus>(),
        all::<tender::TechnicalResult>(),
        all::<tender::TenderAction>(),
        all::<tender::TenderState>(),
        all::<tender::WindowStatus>(),
    ]
    .into_iter()
    .flatten()
    // The demo's usernames are the roles' words (`center`…): roles are not checked here.
    .filter(|w| Role::parse("role", w).is_err())
    .collect()
}

/// The texts of the cells and values of a page (`<td>`, `<dd>`), links unwrapped.
fn cell_texts(body: &str) -> Vec<String> {
    let mut out = vec![];
    for (open, close) in [("<td", "</td>"), ("<dd", "</dd>")] {
        for part in body.split(open).skip(1) {
            let Some(gt) = part.find('>') else { continue };
            let Some(end) = part.find(close) else {
                continue;
            };
            let mut inner = part[gt + 1..end].to_string();
            while let (Some(a), Some(b)) = (inner.find('<'), inner.find('>')) {
                if b < a {
                    break;
                }
                inner.replace_range(a..=b, "");
            }
            out.push(inner.trim().to_string());
        }
    }
    out
}

async fn words_of_closed_sets_are_never_raw_on_chinese_pages(db: TestDb) {
    let state = state_with_demo(&db);
    let words = raw_words();
    let mut found: Vec<String> = vec![];
    for user in ["center", "expert", "supplier", "institution", "regulator"] {
        let mut c = Client::new(app(state.clone()).await);
        c.login(user, PW).await;
        let links = menu_links(&c.get("/home").await.body);
        let mut pages: Vec<String> = links.clone();
        // And the first records of each list.
        for href in &links {
            let r = c.get(href).await;
            let mut n = 0;
            for part in r.body.split("<td").skip(1) {
                if let Some(i) = part.find("<a href=\"") {
                    let h = &part[i + 9..];
                    let h = h[..h.find('"').unwrap()].replace("&amp;", "&");
                    if h.starts_with('/') && !pages.contains(&h) && n < 2 {
                        pages.push(h);
                        n += 1;
                    }
                }
            }
        }
        for page in pages {
            let r = c.get(&page).await;
            for text in cell_texts(&r.body) {
                if words.contains(text.as_str()) {
                    found.push(format!("{user} {page}: {text}"));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "raw words on zh-CN pages:\n{}",
        found.join("\n")
    );
}

async fn answers_are_compressed_when_the_client_accepts_it(db: TestDb) {
    let state = state_with_demo(&db);
    let mut c = Client::new(app(state.clone()).await);
    c.login("center", PW).await;
    let token = common::token_for(&state, "center");
    for (path, api) in [
        ("/static/site.css", false),
        ("/drugs", false),
        ("/api/v1/drugs", true),
    ] {
        let tok = api.then_some(token.as_str());
        let plain = c.api("GET", path, tok, None).await;
        assert_eq!(plain.status, StatusCode::OK, "{path}");
        assert!(plain.headers.get("Content-Encoding").is_none(), "{path}");
        // Brotli when the client takes it (browsers do over HTTPS), gzip otherwise.
        for encoding in ["br", "gzip"] {
            let zipped = c
                .api_with_header("GET", path, tok, ("Accept-Encoding", encoding), None)
                .await;
            assert_eq!(zipped.status, StatusCode::OK, "{path}");
            assert_eq!(
                zipped.headers.get("Content-Encoding").unwrap(),
                encoding,
                "{path}"
            );
            assert!(
                zipped.bytes.len() * 2 < plain.bytes.len(),
                "{path} {encoding}: {} of {}",
                zipped.bytes.len(),
                plain.bytes.len()
            );
            let mut unzipped = String::new();
            if encoding == "br" {
                brotli_decompressor::Decompressor::new(&zipped.bytes[..], 4096)
                    .read_to_string(&mut unzipped)
                    .unwrap();
            } else {
                flate2::read::GzDecoder::new(&zipped.bytes[..])
                    .read_to_string(&mut unzipped)
                    .unwrap();
            }
            if path == "/drugs" {
                // The same page, but for its CSRF token and the session it is in.
                assert!(unzipped.contains("<table"), "{unzipped}");
                assert!(unzipped.len().abs_diff(plain.body.len()) < 64, "{path}");
            } else {
                assert_eq!(unzipped, plain.body, "{path} {encoding}");
            }
        }
    }
    // A client that takes both gets brotli.
    let both = c
        .api_with_header(
            "GET",
            "/static/site.css",
            None,
            ("Accept-Encoding", "gzip, deflate, br"),
            None,
        )
        .await;
    assert_eq!(both.headers.get("Content-Encoding").unwrap(), "br");
}

on_both_databases!(
    demo: the_menu_is_grouped_and_marks_the_current_page,
    tables_label_their_cells_for_phones,
    irreversible_actions_ask_first,
    a_notice_follows_every_action_once,
    error_pages_fit_a_phone,
    words_of_closed_sets_are_never_raw_on_chinese_pages,
    answers_are_compressed_when_the_client_accepts_it,
);
