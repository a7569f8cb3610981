//! The JSON API tells the truth, on both databases: every error under `/api/` is the JSON
//! error object (bad path and query values, unknown paths, wrong methods), and the OpenAPI
//! document declares every error status each operation answers, with the JSON error body,
//! and the closed sets of words as enums.

mod common;

use actix_web::http::StatusCode;
use common::{app, state_with_demo, token_for, Client, TestDb};
use jicai::store::{orders as os, tenders as ts, users};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Every operation of the API and the error statuses it must declare (besides its successes).
/// 401: the bearer token (every operation but the public OCDS ones); 400: an unreadable body or
/// query; 404: a path id of nothing; 403: a role or ownership refusal; 409: a conflict with
/// what is stored; 422: a value that breaks a rule.
const OPERATIONS: &[(&str, &str, &[u16])] = &[
    ("get", "/api/v1/me", &[401]),
    ("get", "/api/v1/drugs", &[400, 401, 422]),
    ("post", "/api/v1/drugs", &[400, 401, 403, 409, 422]),
    ("get", "/api/v1/drugs/{id}", &[401, 404]),
    ("get", "/api/v1/products", &[400, 401]),
    ("get", "/api/v1/regions", &[401]),
    ("get", "/api/v1/institutions", &[400, 401, 403]),
    ("get", "/api/v1/institutions/{id}", &[401, 403, 404]),
    (
        "put",
        "/api/v1/institutions/{id}/contacts",
        &[400, 401, 403, 404, 422],
    ),
    ("get", "/api/v1/suppliers", &[400, 401, 403]),
    ("get", "/api/v1/suppliers/{id}", &[401, 403, 404]),
    ("get", "/api/v1/suppliers/{id}/licences", &[401, 403, 404]),
    (
        "put",
        "/api/v1/suppliers/{id}/contacts",
        &[400, 401, 403, 404, 422],
    ),
    ("get", "/api/v1/tenders", &[401]),
    ("post", "/api/v1/tenders", &[400, 401, 403, 404, 409, 422]),
    ("get", "/api/v1/tenders/{id}", &[401, 404]),
    ("get", "/api/v1/tenders/{id}/ocds", &[404]),
    (
        "post",
        "/api/v1/tenders/{id}/actions/{action}",
        &[401, 403, 404, 409, 422],
    ),
    ("get", "/api/v1/ocds", &[]),
    ("post", "/api/v1/demand", &[400, 401, 403, 409, 422]),
    (
        "post",
        "/api/v1/demand/{id}/reports",
        &[400, 401, 403, 404, 409, 422],
    ),
    (
        "post",
        "/api/v1/demand/{id}/close",
        &[401, 403, 404, 409, 422],
    ),
    ("get", "/api/v1/demand/{id}/totals", &[401, 403, 404]),
    (
        "post",
        "/api/v1/lots/{id}/bid",
        &[400, 401, 403, 404, 409, 422],
    ),
    (
        "delete",
        "/api/v1/lots/{id}/bid",
        &[401, 403, 404, 409, 422],
    ),
    ("get", "/api/v1/lots/{id}/products", &[401, 403, 404]),
    (
        "get",
        "/api/v1/tenders/{id}/lots/{lot}/bids",
        &[401, 403, 404, 409],
    ),
    (
        "post",
        "/api/v1/lots/{id}/objections",
        &[400, 401, 403, 404, 409, 422],
    ),
    ("get", "/api/v1/lots/{id}/objections", &[401, 403, 404]),
    ("get", "/api/v1/bids/{id}", &[401, 404]),
    (
        "post",
        "/api/v1/bids/{id}/score",
        &[400, 401, 403, 404, 409, 422],
    ),
    (
        "post",
        "/api/v1/objections/{id}/answer",
        &[400, 401, 403, 404, 409, 422],
    ),
    ("get", "/api/v1/contracts", &[401]),
    (
        "post",
        "/api/v1/contracts/{id}/distributors",
        &[400, 401, 403, 404, 409, 422],
    ),
    ("get", "/api/v1/orders", &[400, 401, 403, 422]),
    ("post", "/api/v1/orders", &[400, 401, 403, 404, 409, 422]),
    ("get", "/api/v1/orders/{id}", &[401, 403, 404]),
    ("get", "/api/v1/orders/{id}/deliveries", &[401, 403, 404]),
    (
        "post",
        "/api/v1/orders/{id}/acknowledge",
        &[401, 403, 404, 409, 422],
    ),
    (
        "post",
        "/api/v1/orders/{id}/cancel",
        &[401, 403, 404, 409, 422],
    ),
    (
        "post",
        "/api/v1/orders/{id}/deliveries",
        &[400, 401, 403, 404, 409, 422],
    ),
    (
        "post",
        "/api/v1/order-lines/{id}/decline",
        &[400, 401, 403, 404, 409, 422],
    ),
    (
        "post",
        "/api/v1/delivery-lines/{id}/confirm",
        &[400, 401, 403, 404, 409, 422],
    ),
    ("get", "/api/v1/payables", &[401, 403]),
    ("get", "/api/v1/commitments", &[400, 401, 403]),
    (
        "post",
        "/api/v1/payables/{id}/paid",
        &[401, 403, 404, 409, 422],
    ),
    ("get", "/api/v1/shortages", &[400, 401, 403, 422]),
    ("get", "/api/v1/shortages/{id}", &[401, 403, 404]),
    (
        "post",
        "/api/v1/shortage-reports",
        &[400, 401, 403, 409, 422],
    ),
    (
        "post",
        "/api/v1/supply-interruptions",
        &[400, 401, 403, 409, 422],
    ),
    (
        "post",
        "/api/v1/shortages/{id}/responses",
        &[400, 401, 403, 404, 409, 422],
    ),
    (
        "post",
        "/api/v1/shortage-responses/{id}/withdraw",
        &[401, 403, 404, 409],
    ),
    ("put", "/api/v1/custodian-key", &[400, 401, 403, 422]),
    (
        "post",
        "/api/v1/tenders/{id}/custodians",
        &[400, 401, 403, 404, 409, 422],
    ),
    ("get", "/api/v1/tenders/{id}/custodians", &[401, 404]),
    ("get", "/api/v1/tenders/{id}/custody", &[401, 403, 404]),
    (
        "post",
        "/api/v1/tenders/{id}/dealing",
        &[400, 401, 403, 404, 409, 422],
    ),
    (
        "post",
        "/api/v1/tenders/{id}/contributions",
        &[400, 401, 403, 404, 409, 413, 422],
    ),
    ("get", "/api/v1/tenders/{id}/envelope-digests", &[401, 404]),
];

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];

fn error_body_declared(doc: &Value, method: &str, path: &str, status: u16) -> Result<(), String> {
    let r = &doc["paths"][path][method]["responses"][status.to_string()];
    if r.is_null() {
        return Err(format!("{method} {path}: {status} is not declared"));
    }
    let schema = &r["content"]["application/json"]["schema"]["$ref"];
    if schema != "#/components/schemas/ErrorBody" {
        return Err(format!(
            "{method} {path}: {status} does not declare the JSON ErrorBody: {r}"
        ));
    }
    Ok(())
}

async fn openapi_declares_every_error_status(db: TestDb) {
    let state = state_with_demo(&db);
    let mut c = Client::new(app(state).await);
    let r = c.get("/api/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();

    // The table and the document name the same operations.
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| (m.to_string(), p.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let table: BTreeSet<(String, String)> = OPERATIONS
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, table, "every operation is in the table");

    let mut wrong = vec![];
    for (method, path, statuses) in OPERATIONS {
        for s in *statuses {
            if let Err(e) = error_body_declared(&doc, method, path, *s) {
                wrong.push(e);
            }
        }
        // Every declared response has a body of JSON, or none (204).
        for (status, resp) in doc["paths"][*path][*method]["responses"]
            .as_object()
            .unwrap()
        {
            match resp.get("content").and_then(Value::as_object) {
                Some(content) => {
                    let types: Vec<&String> = content.keys().collect();
                    if types != ["application/json"] {
                        wrong.push(format!("{method} {path} {status}: {types:?}"));
                    }
                }
                None if status == "204" => {}
                None => wrong.push(format!("{method} {path} {status}: no content declared")),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // Closed sets of words are enums, from the domain's own lists.
    let schemas = &doc["components"]["schemas"];
    let words = |v: &Value| -> Vec<String> {
        v["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("not an enum: {v}"))
            .iter()
            .filter_map(|w| w.as_str().map(str::to_string))
            .collect()
    };
    assert_eq!(
        words(&schemas["TenderOut"]["properties"]["state"]).len(),
        jicai::domain::tender::TenderState::ALL.len()
    );
    assert!(words(&schemas["Me"]["properties"]["role"]).contains(&"institution".to_string()));
    assert!(words(&schemas["Drug"]["properties"]["category"]).contains(&"chinese_patent".into()));
    assert!(words(&schemas["ShortageOut"]["properties"]["level"]).contains(&"critical".into()));
    assert_eq!(
        schemas["OrderLineOut"]["properties"]["declined_reason"]["enum"]
            .as_array()
            .unwrap()
            .last(),
        Some(&Value::Null),
        "a nullable word may be null"
    );
    let orders = &doc["paths"]["/api/v1/orders"]["get"]["parameters"];
    let state = orders
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "state")
        .unwrap();
    assert!(words(&state["schema"]).contains(&"partially_received".into()));
    let action = doc["paths"]["/api/v1/tenders/{id}/actions/{action}"]["post"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "action")
        .unwrap()
        .clone();
    assert!(words(&action["schema"]).contains(&"open_commercial".into()));
    // No tuple is left as a list of schemas under `items` (OpenAPI 3.1 refuses it).
    let text = doc.to_string();
    assert!(!text.contains("\"items\":["), "a tuple left under items");
    assert!(!text.contains("prefixItems"), "prefixItems left");
}

/// What the server really answers agrees with the document: without a token every secured
/// operation answers 401 as JSON; with a path value that is not a number every operation with an
/// id answers 404 as JSON. Both statuses are declared where they happen.
async fn documented_errors_are_what_the_server_answers(db: TestDb) {
    let state = state_with_demo(&db);
    let token = token_for(&state, "center");
    let mut c = Client::new(app(state).await);
    let doc = c.get("/api/openapi.json").await.json();
    for (method, path, statuses) in OPERATIONS {
        let secured = statuses.contains(&401);
        let body = doc["paths"][*path][*method]
            .get("requestBody")
            .map(|_| json!({}));
        let concrete = path.replace("{id}", "1").replace("{action}", "publish");
        let r = c
            .api(&method.to_uppercase(), &concrete, None, body.clone())
            .await;
        if secured {
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path}: {}",
                r.body
            );
            assert_eq!(
                r.json()["error"]["code"],
                "unauthenticated",
                "{method} {path}"
            );
            assert_eq!(r.headers.get("WWW-Authenticate").unwrap(), "Bearer");
        } else {
            assert_ne!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} is public"
            );
        }
        if path.contains("{id}") {
            let bad = path.replace("{id}", "abc").replace("{action}", "publish");
            let r = c
                .api(&method.to_uppercase(), &bad, Some(&token), body)
                .await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "{method} {bad}: {}",
                r.body
            );
            assert_eq!(
                r.headers.get("content-type").unwrap(),
                "application/json",
                "{method} {bad}"
            );
            let e = r.json();
            assert_eq!(e["error"]["code"], "not_found", "{method} {bad}");
            assert!(
                e["error"]["message"].as_str().unwrap().contains("abc"),
                "{method} {bad}: {e}"
            );
            assert!(
                statuses.contains(&404),
                "{method} {path}: 404 not in the table"
            );
        }
    }
}

async fn api_errors_are_json(db: TestDb) {
    let state = state_with_demo(&db);
    let token = token_for(&state, "center");
    let mut c = Client::new(app(state.clone()).await);
    let is_json_error = |r: &common::Resp, status: StatusCode, code: &str| {
        assert_eq!(r.status, status, "{}", r.body);
        assert_eq!(
            r.headers.get("content-type").unwrap(),
            "application/json",
            "{}",
            r.body
        );
        assert_eq!(r.json()["error"]["code"], code, "{}", r.body);
    };

    // A path value that is not of its type.
    let r = c.api_get("/api/v1/orders/abc", &token).await;
    is_json_error(&r, StatusCode::NOT_FOUND, "not_found");
    let r = c
        .api_get("/api/v1/orders/99999999999999999999", &token)
        .await;
    is_json_error(&r, StatusCode::NOT_FOUND, "not_found");
    // A query that cannot be read.
    let r = c.api_get("/api/v1/drugs?page=abc", &token).await;
    is_json_error(&r, StatusCode::BAD_REQUEST, "bad_request");
    assert!(r.body.contains("query"), "{}", r.body);
    // A query word that is not one of its set: 422 naming the field.
    for (q, field) in [
        ("/api/v1/orders?state=lost", "state"),
        ("/api/v1/shortages?level=", "level"),
        ("/api/v1/shortages?status=maybe", "status"),
        ("/api/v1/drugs?category=sweets", "category"),
    ] {
        let r = c.api_get(q, &token).await;
        is_json_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert_eq!(
            r.json()["error"]["fields"][0]["field"],
            field,
            "{q}: {}",
            r.body
        );
    }
    // Unknown paths under /api/, with or without a token.
    let r = c.api_get("/api", &token).await;
    is_json_error(&r, StatusCode::NOT_FOUND, "not_found");
    for p in [
        "/api/v1/nothing",
        "/api/v1/orders/1/nothing",
        "/api/nothing",
    ] {
        let r = c.api_get(p, &token).await;
        is_json_error(&r, StatusCode::NOT_FOUND, "not_found");
        let r = c.api("POST", p, None, None).await;
        is_json_error(&r, StatusCode::NOT_FOUND, "not_found");
    }
    // A known path and a method it does not have: 405 with the methods it has.
    for (m, p, allow) in [
        ("DELETE", "/api/v1/me", "GET"),
        ("PATCH", "/api/v1/orders/12", "GET"),
        ("PUT", "/api/v1/drugs", "GET, POST"),
        ("TRACE", "/api/v1/lots/3/bid", "POST, DELETE"),
        ("POST", "/api/openapi.json", "GET"),
    ] {
        let r = c.api(m, p, Some(&token), None).await;
        is_json_error(&r, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
        let mut got: Vec<&str> = r
            .headers
            .get("allow")
            .unwrap()
            .to_str()
            .unwrap()
            .split(", ")
            .collect();
        let mut want: Vec<&str> = allow.split(", ").collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{m} {p}");
    }
    let r = c.api("OPTIONS", "/api/v1/drugs", None, None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r
        .headers
        .get("allow")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("POST"));
    // An unreadable body is 400 as JSON.
    let r = c
        .api_post("/api/v1/orders", &token, Some(json!({"lines": "x"})))
        .await;
    is_json_error(&r, StatusCode::BAD_REQUEST, "bad_request");
    // Pages keep their HTML errors.
    let r = c.get("/orders/abc").await;
    assert_ne!(
        r.headers.get("content-type").map(|v| v.to_str().unwrap()),
        Some("application/json")
    );
}

/// JSON does not tell `5` from `5.0`; the document's `integer` admits both, and so does the
/// server. A reason that is not one of the words is refused even beside `accepted`.
async fn whole_floats_are_integers_and_confirm_reasons_are_words(db: TestDb) {
    let state = state_with_demo(&db);
    let ti = token_for(&state, "institution");
    let mut c = Client::new(app(state.clone()).await);
    let mut conn = state.store.conn().unwrap();
    let inst = users::by_username(&mut conn, "institution")
        .unwrap()
        .unwrap()
        .institution_id
        .unwrap();
    let k = ts::commitments_of_institution(&mut conn, inst).unwrap()[0]
        .0
        .id;
    let before = os::orders_for(&mut conn, Some(&[inst]), None)
        .unwrap()
        .len();
    let r = c
        .api_post(
            "/api/v1/orders",
            &ti,
            Some(
                serde_json::from_str(&format!(
                    r#"{{"lines": [{{"contract_id": {k}.0, "quantity": 5.0}}]}}"#
                ))
                .unwrap(),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["lines"][0]["quantity"], 5);
    let r = c
        .api_post(
            "/api/v1/orders",
            &ti,
            Some(json!({"lines": [{"contract_id": k, "quantity": 5.5}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(
        os::orders_for(&mut conn, Some(&[inst]), None)
            .unwrap()
            .len(),
        before + 1,
        "one order stored, not the refused one"
    );

    // The demo's received order has delivery lines: a confirm with a reason that is no word.
    let (order_id, dl) = os::orders_for(&mut conn, Some(&[inst]), None)
        .unwrap()
        .into_iter()
        .flat_map(|o| {
            os::delivery_lines_of(&mut conn, o.id)
                .unwrap()
                .into_iter()
                .map(move |d| (o.id, d))
        })
        .next()
        .expect("the demo has a delivery to this institution");
    let r = c
        .api_post(
            &format!("/api/v1/delivery-lines/{}/confirm", dl.id),
            &ti,
            Some(json!({"outcome": "accepted", "reason": "AAA"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["fields"][0]["field"], "reason");
    let after = os::delivery_lines_of(&mut conn, order_id).unwrap();
    let same = after.iter().find(|d| d.id == dl.id).unwrap();
    assert_eq!(
        (&same.receipt, &same.receipt_reason),
        (&dl.receipt, &dl.receipt_reason),
        "nothing changed"
    );
}

on_both_databases!(
    demo: openapi_declares_every_error_status,
    documented_errors_are_what_the_server_answers,
    api_errors_are_json,
    whole_floats_are_integers_and_confirm_reasons_are_words,
);
