//! One rule, two doors: for each role, a refusal through the page and through the API comes
//! from the same rule of the application layer (`src/app/`) — the same status and the same code
//! — and is written in the reader's language. On both databases.

mod common;

use actix_web::http::StatusCode;
use serde_json::json;

use common::{app, state_with_demo, token_for, Client, Resp, TestDb};

/// The code a page shows its refusal with (`data-code` of the error page or of a field's error).
fn page_code(r: &Resp) -> String {
    let i = r
        .body
        .find("data-code=\"")
        .unwrap_or_else(|| panic!("no data-code in the page: {}", r.body))
        + "data-code=\"".len();
    let j = r.body[i..].find('"').unwrap() + i;
    r.body[i..j].to_string()
}

/// The code an API error carries: the field's code for `invalid`, else the reason.
fn api_code(r: &Resp) -> String {
    let e = &r.json()["error"];
    match e["fields"].get(0) {
        Some(f) => f["code"].as_str().unwrap().to_string(),
        None => e["reason"].as_str().unwrap_or_default().to_string(),
    }
}

/// The ids of a list of the API as the token's holder sees it.
async fn ids<S, B>(api: &mut Client<S>, path: &str, token: &str) -> Vec<i64>
where
    S: common::TestService<B>,
    B: actix_web::body::MessageBody,
{
    let r = api.api_get(&format!("{path}?per_page=100"), token).await;
    r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

fn same(page: &Resp, api: &Resp, status: StatusCode, code: &str) {
    assert_eq!(page.status, status, "page: {}", page.body);
    assert_eq!(api.status, status, "API: {}", api.body);
    assert_eq!(page_code(page), code, "page: {}", page.body);
    assert_eq!(api_code(api), code, "API: {}", api.body);
}

fn bad_drug() -> [(&'static str, &'static str); 9] {
    [
        ("code", "T0001"),
        ("name_zh", "测试片"),
        ("inn", "Testine"),
        ("dosage_form", "片剂"),
        ("strength", "10mg"),
        ("unit", "tablet"),
        ("origin", "national"),
        ("category", "chemical"),
        ("atc_code", "XYZ"),
    ]
}

fn bad_drug_json() -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (k, v) in bad_drug() {
        m.insert(k.into(), json!(v));
    }
    serde_json::Value::Object(m)
}

async fn same_refusal_through_page_and_api_for_every_role(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut tokens = std::collections::HashMap::new();
    for who in ["center", "expert", "supplier", "institution", "regulator"] {
        tokens.insert(who, token_for(&state, who));
    }
    // Each session's form token, as a page carries it.
    let login = |who: &'static str| Client::logged_in(app.clone(), who, "/account/alerts");
    let mut api = Client::new(app.clone());
    let me = |r: Resp, k: &str| r.json()[k].as_i64();
    let own_supplier = me(
        api.api_get("/api/v1/me", &tokens["supplier"]).await,
        "supplier_id",
    )
    .unwrap();
    let suppliers = ids(&mut api, "/api/v1/suppliers", &tokens["center"]).await;
    let other_supplier = *suppliers.iter().find(|id| **id != own_supplier).unwrap();
    let mine = ids(&mut api, "/api/v1/institutions", &tokens["institution"]).await;
    let all = ids(&mut api, "/api/v1/institutions", &tokens["center"]).await;
    let other_institution = *all.iter().find(|id| !mine.contains(id)).unwrap();
    let contacts = [("emails", "a@example.org")];
    let contacts_json = json!({"emails": "a@example.org"});

    // Center staff: a drug with a bad ATC code is refused by the one validation, field named.
    let mut c = login("center").await;
    let page = c.post("/drugs", &bad_drug()).await;
    let via_api = api
        .api_post("/api/v1/drugs", &tokens["center"], Some(bad_drug_json()))
        .await;
    same(
        &page,
        &via_api,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_an_atc_code",
    );
    assert_eq!(via_api.json()["error"]["fields"][0]["field"], "atc_code");
    // … and only the receiving institution confirms a delivery (the page said "not allowed"
    // and the API "only the receiving institution" before they shared the rule).
    let page = c.post("/delivery-lines/1/accept", &[]).await;
    let via_api = api
        .api_post(
            "/api/v1/delivery-lines/1/confirm",
            &tokens["center"],
            Some(json!({"outcome": "accepted"})),
        )
        .await;
    same(
        &page,
        &via_api,
        StatusCode::FORBIDDEN,
        "only_receiver_confirms",
    );

    // An expert does not keep the catalog.
    let mut c = login("expert").await;
    let page = c.post("/drugs", &bad_drug()).await;
    let via_api = api
        .api_post("/api/v1/drugs", &tokens["expert"], Some(bad_drug_json()))
        .await;
    same(&page, &via_api, StatusCode::FORBIDDEN, "not_allowed");

    // A supplier's user: another supplier does not exist for it.
    let mut c = login("supplier").await;
    let page = c
        .post(&format!("/suppliers/{other_supplier}/contacts"), &contacts)
        .await;
    let via_api = api
        .api(
            "PUT",
            &format!("/api/v1/suppliers/{other_supplier}/contacts"),
            Some(&tokens["supplier"]),
            Some(contacts_json.clone()),
        )
        .await;
    same(&page, &via_api, StatusCode::NOT_FOUND, "supplier_not_found");

    // An institution's user: an institution outside its own and its clinics does not exist for it.
    let mut c = login("institution").await;
    let page = c
        .post(
            &format!("/institutions/{other_institution}/contacts"),
            &contacts,
        )
        .await;
    let via_api = api
        .api(
            "PUT",
            &format!("/api/v1/institutions/{other_institution}/contacts"),
            Some(&tokens["institution"]),
            Some(contacts_json.clone()),
        )
        .await;
    same(
        &page,
        &via_api,
        StatusCode::NOT_FOUND,
        "institution_not_found",
    );
    // … and does not read the province's shortage records (the page said "not allowed").
    let page = c.get("/shortages").await;
    let via_api = api
        .api_get("/api/v1/shortages", &tokens["institution"])
        .await;
    same(
        &page,
        &via_api,
        StatusCode::FORBIDDEN,
        "shortage_list_staff_only",
    );

    // A supplier's user does not report shortages: institutions do.
    let mut c = login("supplier").await;
    let page = c
        .post("/shortage-reports", &[("drug_code", "D0001"), ("note", "")])
        .await;
    let via_api = api
        .api_post(
            "/api/v1/shortage-reports",
            &tokens["supplier"],
            Some(json!({"drug": "D0001"})),
        )
        .await;
    same(
        &page,
        &via_api,
        StatusCode::FORBIDDEN,
        "only_institutions_report_shortages",
    );

    // A regulator reads every supplier and changes none.
    let mut c = login("regulator").await;
    let page = c
        .post(&format!("/suppliers/{own_supplier}/contacts"), &contacts)
        .await;
    let via_api = api
        .api(
            "PUT",
            &format!("/api/v1/suppliers/{own_supplier}/contacts"),
            Some(&tokens["regulator"]),
            Some(contacts_json.clone()),
        )
        .await;
    same(&page, &via_api, StatusCode::FORBIDDEN, "not_allowed");

    // The words: zh-CN by default, English when the caller asks for it; the code stays.
    assert_eq!(via_api.json()["error"]["message"], "您无权执行此操作");
    let en = api
        .api_with_header(
            "PUT",
            &format!("/api/v1/suppliers/{own_supplier}/contacts"),
            Some(&tokens["regulator"]),
            ("Accept-Language", "en"),
            Some(contacts_json),
        )
        .await;
    assert_eq!(
        en.json()["error"]["message"],
        "you are not allowed to do this"
    );
    assert_eq!(en.json()["error"]["reason"], "not_allowed");
}

/// The tender's stages: for each role one refusal, the same through the page and the API
/// (each comes from one `may_*` rule of `app::tenders`).
async fn same_tender_stage_refusal_through_page_and_api_for_every_role(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    // Each session's form token, as a page carries it.
    let login = |who: &'static str| Client::logged_in(app.clone(), who, "/account/alerts");
    let mut api = Client::new(app.clone());
    let token = |who: &str| token_for(&state, who);

    // Center staff do not object to an award: bidders do.
    let mut c = login("center").await;
    let page = c
        .post("/tenders/1/lots/1/objection", &[("text", "unfair")])
        .await;
    let via_api = api
        .api(
            "POST",
            "/api/v1/lots/1/objections",
            Some(&token("center")),
            Some(json!({"text": "unfair"})),
        )
        .await;
    same(
        &page,
        &via_api,
        StatusCode::FORBIDDEN,
        "only_suppliers_object",
    );

    // An expert does not move a tender on.
    let mut c = login("expert").await;
    let page = c.post("/tenders/1/actions/publish", &[]).await;
    let via_api = api
        .api(
            "POST",
            "/api/v1/tenders/1/actions/publish",
            Some(&token("expert")),
            None,
        )
        .await;
    same(&page, &via_api, StatusCode::FORBIDDEN, "only_center_staff");

    // A supplier's user does not report demand: institutions do.
    let mut c = login("supplier").await;
    let page = c
        .post(
            "/demand/1/report",
            &[("drug_code", "D0001"), ("quantity", "10")],
        )
        .await;
    let via_api = api
        .api(
            "POST",
            "/api/v1/demand/1/reports",
            Some(&token("supplier")),
            Some(json!([{"drug_code": "D0001", "quantity": 10}])),
        )
        .await;
    same(
        &page,
        &via_api,
        StatusCode::FORBIDDEN,
        "only_institutions_report_demand",
    );

    // An institution's user does not create tenders.
    let mut c = login("institution").await;
    let page = c
        .post(
            "/tenders",
            &[
                ("title", "ours"),
                ("window_id", "1"),
                ("bid_deadline", "2030-01-01 17:00"),
                ("contract_months", "12"),
                ("lots", "D0001, 1.00"),
            ],
        )
        .await;
    let via_api = api
        .api(
            "POST",
            "/api/v1/tenders",
            Some(&token("institution")),
            Some(json!({"title": "ours", "window_id": 1,
                "bid_deadline": "2030-01-01T17:00:00+08:00", "lots": []})),
        )
        .await;
    same(&page, &via_api, StatusCode::FORBIDDEN, "only_center_staff");

    // A regulator names no distributor: the winning supplier does.
    let mut c = login("regulator").await;
    let page = c
        .post(
            "/contracts/1/distributors",
            &[("county_id", "1"), ("distributor_id", "1")],
        )
        .await;
    let via_api = api
        .api(
            "POST",
            "/api/v1/contracts/1/distributors",
            Some(&token("regulator")),
            Some(json!({"county_id": 1, "distributor_id": 1})),
        )
        .await;
    same(
        &page,
        &via_api,
        StatusCode::FORBIDDEN,
        "only_suppliers_name_distributors",
    );
}

on_both_databases!(
    demo: same_refusal_through_page_and_api_for_every_role,
    same_tender_stage_refusal_through_page_and_api_for_every_role
);
