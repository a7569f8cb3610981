//! Bids come from the maker, on both databases: a distribution enterprise does not bid (unless
//! it is an imported product's national agent), nobody bids with another maker's product, the
//! form offers only the bidder's own products, a price above the lot's ceiling is confirmed
//! before it is sealed; and a lot's bids over the API for center staff and experts, within what
//! the tender's state allows. Each through the pages and the API.

mod common;

use actix_web::http::StatusCode;
use chrono::Duration;
use serde_json::{json, Value};

use common::{app, state_with_demo, supplier_user, token_for, Client, Resp, TestDb};
use jicai::domain::paging::PageRequest;
use jicai::domain::tender::BidStatus;
use jicai::store::{catalog, parties, tenders as ts};
use jicai::web::AppState;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

/// The demo's makers and products this file bids with.
const JIKANG: &str = "91340100MA2N0Q1X1R"; // the demo `supplier`: makes D0006 and D0012
const HENGKANG: &str = "91340100MA2N0Q6N7H"; // another maker of D0012
const JIUZHOU: &str = "91341500MA2P1R3K4N"; // a maker with no D0012 product
const KANGDA: &str = "91341500MA2P1T2RA1"; // a distribution enterprise
const HUADONG: &str = "91340100MA2N0R1Q9L"; // a distributor, national agent of the import
const HELVETIA: &str = "91340100MA2N0T5H3Q"; // the foreign maker of the import
const JIKANG_D0012: &str = "国药准字H34020888";
const JIKANG_D0006: &str = "国药准字H34020407";
const HENGKANG_D0012: &str = "国药准字H34020814";
const BAICAO_D0006: &str = "国药准字H34020370";
const IMPORTED_D0006: &str = "国药准字J20260001";

/// The demo's tender open for bids and its two lots (D0006: max 3.00, 1 unit a package;
/// D0012: max 1.80, 30 units a package).
#[derive(Clone, Copy)]
struct Open {
    tender: i64,
    d0006: i64,
    d0012: i64,
}

fn open_tender(state: &AppState) -> Open {
    let mut c = state.store.conn().unwrap();
    let (tender, lots) = common::demo_open_tender(&mut c);
    let lot = |code: &str| lots.iter().find(|l| l.1 == code).unwrap().0.id;
    Open {
        tender,
        d0006: lot("D0006"),
        d0012: lot("D0012"),
    }
}

/// The API's address of a bid on the lot.
fn api_bid_path(lot: i64) -> String {
    format!("/api/v1/lots/{lot}/bid")
}

fn supplier(state: &AppState, uscc: &str) -> i64 {
    parties::supplier_by_uscc(&mut state.store.conn().unwrap(), uscc)
        .unwrap()
        .unwrap()
        .id
}

fn product(state: &AppState, approval: &str) -> i64 {
    let f = catalog::ProductFilter {
        q: approval.into(),
        ..Default::default()
    };
    catalog::list_products(
        &mut state.store.conn().unwrap(),
        &f,
        &PageRequest::new(Some(1), Some(5)),
    )
    .unwrap()
    .items
    .into_iter()
    .find(|p| p.approval_number == approval)
    .unwrap()
    .id
}

/// The active bids of a lot, by supplier.
fn active_bids(state: &AppState, lot: i64) -> Vec<(i64, i32)> {
    ts::bids_of_lot(&mut state.store.conn().unwrap(), lot)
        .unwrap()
        .into_iter()
        .filter(|b| b.status == BidStatus::Active)
        .map(|b| (b.supplier_id, b.version))
        .collect()
}

/// The code of a refusal: a page's `data-code`, or the API's field code or reason.
fn code(r: &Resp) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(&r.body) {
        let e = &v["error"];
        return match e["fields"].get(0) {
            Some(f) => f["code"].as_str().unwrap().to_string(),
            None => e["reason"].as_str().unwrap_or_default().to_string(),
        };
    }
    let i = r.body.find("data-code=\"").expect("a data-code") + "data-code=\"".len();
    let j = r.body[i..].find('"').unwrap() + i;
    r.body[i..j].to_string()
}

fn bid_json(product: i64, price: &str) -> Value {
    json!({"product_id": product, "annual_capacity": 5_000_000, "package_price": price})
}

fn form(product: i64, price: &str) -> Vec<(&'static str, String)> {
    vec![
        ("product_id", product.to_string()),
        ("annual_capacity", "5000000".into()),
        ("package_price", price.into()),
    ]
}

macro_rules! login {
    ($app:expr, $user:expr) => {{
        Client::logged_in($app.clone(), &$user, "/home").await
    }};
}

macro_rules! post_bid {
    ($c:expr, $path:expr, $fields:expr) => {{
        let f: Vec<(&str, String)> = $fields;
        let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        $c.multipart(&$path, &refs, &[("documents", "gmp.pdf", PDF)])
            .await
    }};
}

async fn distributors_bid_only_as_national_agents(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let o = open_tender(&state);
    let kangda = supplier_user(&state, supplier(&state, KANGDA));
    let mut page = login!(app, kangda);
    let path = format!("/tenders/{}/lots/{}/bid", o.tender, o.d0012);
    let own = product(&state, HENGKANG_D0012);
    let before = active_bids(&state, o.d0012);

    // A distribution enterprise: no form, no bid, on the page and over the API.
    let r = page.get(&path).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(code(&r), "distributors_do_not_bid");
    let r = post_bid!(page, path, form(own, "30.00"));
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(code(&r), "distributors_do_not_bid");
    let token = token_for(&state, &kangda);
    let r = page
        .api_post(&api_bid_path(o.d0012), &token, Some(bid_json(own, "30.00")))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(code(&r), "distributors_do_not_bid");
    assert_eq!(active_bids(&state, o.d0012), before, "nothing was written");
    let products = format!("/api/v1/lots/{}/products", o.d0012);
    let r = page.api_get(&products, &token).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(code(&r), "distributors_do_not_bid");

    // The national agent of an imported product bids with it (and only with it).
    let huadong_id = supplier(&state, HUADONG);
    let huadong = supplier_user(&state, huadong_id);
    let mut agent = login!(app, huadong);
    let r = agent
        .get(&format!("/tenders/{}/lots/{}/bid", o.tender, o.d0006))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains(IMPORTED_D0006), "{}", r.body);
    assert!(!r.body.contains(BAICAO_D0006), "{}", r.body);
    let token = token_for(&state, &huadong);
    let lot_bid = api_bid_path(o.d0006);
    let imported = product(&state, IMPORTED_D0006);
    let r = agent
        .api_post(&lot_bid, &token, Some(bid_json(imported, "2.50")))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(active_bids(&state, o.d0006).contains(&(huadong_id, 1)));
    let other = product(&state, BAICAO_D0006);
    let r = agent
        .api_post(&lot_bid, &token, Some(bid_json(other, "2.50")))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(code(&r), "not_own_product");

    // The foreign maker of the import does not bid with it: its agent does.
    let helvetia = supplier_user(&state, supplier(&state, HELVETIA));
    let token = token_for(&state, &helvetia);
    let r = agent
        .api_post(&lot_bid, &token, Some(bid_json(imported, "2.40")))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(code(&r), "not_own_product");
}

async fn a_bid_with_another_makers_product_is_refused(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let o = open_tender(&state);
    let jikang = supplier(&state, JIKANG);
    let mut page = login!(app, "supplier");
    let theirs = product(&state, HENGKANG_D0012);
    let path = format!("/tenders/{}/lots/{}/bid", o.tender, o.d0012);
    let r = post_bid!(page, path, form(theirs, "30.00"));
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(code(&r), "not_own_product");
    assert!(
        r.body.contains("f-product_id"),
        "the form again: {}",
        r.body
    );
    let token = token_for(&state, "supplier");
    let r = page
        .api_post(
            &api_bid_path(o.d0012),
            &token,
            Some(bid_json(theirs, "30.00")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["fields"][0]["field"], "product_id");
    assert_eq!(code(&r), "not_own_product");
    assert!(
        !active_bids(&state, o.d0012).iter().any(|b| b.0 == jikang),
        "nothing was written"
    );
    // Its own product is taken.
    let own = product(&state, JIKANG_D0012);
    let r = post_bid!(page, path, form(own, "30.00"));
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        r.location().unwrap().ends_with("/receipt"),
        "{:?}",
        r.location()
    );
    assert!(active_bids(&state, o.d0012).contains(&(jikang, 1)));
}

async fn the_bid_form_offers_only_the_bidders_own_products(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let o = open_tender(&state);
    let mut page = login!(app, "supplier");
    let r = page
        .get(&format!("/tenders/{}/lots/{}/bid", o.tender, o.d0012))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains(JIKANG_D0012), "{}", r.body);
    assert_eq!(r.body.matches("<option ").count(), 1, "{}", r.body);
    for theirs in [HENGKANG_D0012, "国药准字H34020851"] {
        assert!(!r.body.contains(theirs), "{theirs}: {}", r.body);
    }
    // The ceiling per package is shown beside the product: 1.80 × 30 units.
    assert!(r.body.contains("¥54.00"), "{}", r.body);
    let r = page
        .get(&format!("/tenders/{}/lots/{}/bid", o.tender, o.d0006))
        .await;
    assert!(r.body.contains(JIKANG_D0006) && !r.body.contains(IMPORTED_D0006));

    // A maker with no product of the lot's drug gets a message, not a form.
    let jiuzhou = supplier_user(&state, supplier(&state, JIUZHOU));
    let mut other = login!(app, jiuzhou);
    let r = other
        .get(&format!("/tenders/{}/lots/{}/bid", o.tender, o.d0012))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!r.body.contains("f-product_id"), "{}", r.body);
    assert!(
        r.body.contains("you cannot bid on this lot") || r.body.contains("不能对本标包投标"),
        "{}",
        r.body
    );

    // Over the API: a supplier's own products; center staff see every product of the drug.
    let products = format!("/api/v1/lots/{}/products", o.d0012);
    let mine = token_for(&state, "supplier");
    let r = page.api_get(&products, &mine).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let approvals: Vec<Value> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["approval_number"].clone())
        .collect();
    assert_eq!(approvals, vec![json!(JIKANG_D0012)]);
    let center = token_for(&state, "center");
    let r = page.api_get(&products, &center).await;
    assert_eq!(r.json().as_array().unwrap().len(), 3, "{}", r.body);
}

async fn a_price_above_the_ceiling_is_confirmed_before_it_is_sealed(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let o = open_tender(&state);
    let jikang = supplier(&state, JIKANG);
    let own = product(&state, JIKANG_D0012);
    let mut page = login!(app, "supplier");
    let path = format!("/tenders/{}/lots/{}/bid", o.tender, o.d0012);

    // 60.00 a package of 30 is 2.00 a unit, above the lot's 1.80: a warning, nothing sealed.
    let r = post_bid!(page, path, form(own, "60.00"));
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for shown in [
        "¥60.00",
        "¥2.00",
        "¥1.80",
        "name=\"confirm_above_max\" value=\"yes\"",
    ] {
        assert!(r.body.contains(shown), "{shown}: {}", r.body);
    }
    assert!(
        r.body.contains("name=\"package_price\" value=\"60.00\""),
        "the values are carried: {}",
        r.body
    );
    assert!(!active_bids(&state, o.d0012).iter().any(|b| b.0 == jikang));

    // "Submit anyway" posts the values again with the confirmation: sealed, with its receipt.
    let mut confirmed = form(own, "60.00");
    confirmed.push(("confirm_above_max", "yes".into()));
    let r = post_bid!(page, path, confirmed);
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // On to the receipt's own address: the lot's ceiling and the envelopes' digests (the
    // price itself is sealed).
    let r = page.get(r.location().unwrap()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for shown in ["¥1.80", "SHA-256"] {
        assert!(r.body.contains(shown), "{shown}: {}", r.body);
    }
    assert!(active_bids(&state, o.d0012).contains(&(jikang, 1)));
    // A price within the ceiling needs no confirmation.
    let r = post_bid!(page, path, form(own, "45.00"));
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(active_bids(&state, o.d0012).contains(&(jikang, 2)));

    // Over the API: refused with the warning's code until confirmed.
    let token = token_for(&state, "supplier");
    let api_path = api_bid_path(o.d0012);
    let r = page
        .api_post(&api_path, &token, Some(bid_json(own, "60.00")))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(code(&r), "bid_above_max_unconfirmed");
    let args = &r.json()["error"]["fields"][0]["args"];
    assert_eq!(
        (args["unit_price"].as_str(), args["max"].as_str()),
        (Some("2.00"), Some("1.80"))
    );
    assert!(
        active_bids(&state, o.d0012).contains(&(jikang, 2)),
        "unchanged"
    );
    let mut body = bid_json(own, "60.00");
    body["confirm_above_max"] = json!(true);
    let r = page.api_post(&api_path, &token, Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let j = r.json();
    assert_eq!(j["version"], 3);
    assert_eq!(j["unit_price"], "2.00");
    assert_eq!(j["max_unit_price"], "1.80");
    assert_eq!(j["above_max_unit_price"], true);
}

/// API tokens by demo username.
type Tokens = std::collections::HashMap<&'static str, String>;

/// The lot's bids as `token`'s holder reads them.
async fn read_bids<S, B>(c: &mut Client<S>, o: &Open, lot: i64, token: &str) -> Resp
where
    S: common::TestService<B>,
    B: actix_web::body::MessageBody,
{
    c.api_get(
        &format!("/api/v1/tenders/{}/lots/{lot}/bids", o.tender),
        token,
    )
    .await
}

fn bid_of(lot: &Value, supplier: i64) -> &Value {
    lot["bids"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["supplier_id"] == supplier)
        .unwrap_or_else(|| panic!("no bid of {supplier}: {lot}"))
}

/// The demo's maker of D0012 has bid already; the demo supplier bids within the ceiling on
/// D0012 (with a document) and above it, confirmed, on D0006.
async fn bid_within_and_above<S, B>(c: &mut Client<S>, state: &AppState, o: &Open, t: &Tokens)
where
    S: common::TestService<B>,
    B: actix_web::body::MessageBody,
{
    let mut within = bid_json(product(state, JIKANG_D0012), "45.00");
    within["documents"] = json!([{"name": "gmp.pdf", "content_base64": "JVBERi0xLjQKJSVFT0YK"}]);
    let mut above = bid_json(product(state, JIKANG_D0006), "3.50");
    above["confirm_above_max"] = json!(true);
    for (lot, body) in [(o.d0012, within), (o.d0006, above)] {
        let path = format!("/api/v1/lots/{lot}/bid");
        let r = c.api_post(&path, &t["supplier"], Some(body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
}

/// Before the technical opening: a refusal that says the bids are sealed, for staff and
/// experts alike; everyone else is refused for their role.
async fn sealed_before_the_technical_opening<S, B>(c: &mut Client<S>, o: &Open, t: &Tokens)
where
    S: common::TestService<B>,
    B: actix_web::body::MessageBody,
{
    for who in ["center", "expert"] {
        let r = read_bids(c, o, o.d0012, &t[who]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{who}: {}", r.body);
        assert_eq!(code(&r), "bids_sealed_until_technical_opening");
    }
    for who in ["supplier", "institution", "regulator"] {
        let r = read_bids(c, o, o.d0012, &t[who]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
        assert_eq!(code(&r), "only_center_and_experts_read_bids");
    }
    let wrong = Open {
        tender: o.tender + 1000,
        ..*o
    };
    let r = read_bids(c, &wrong, o.d0012, &t["center"]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
}

/// After the technical opening: the technical envelopes and the review, no price.
async fn technical_after_the_technical_opening<S, B>(
    c: &mut Client<S>,
    state: &AppState,
    o: &Open,
    t: &Tokens,
) where
    S: common::TestService<B>,
    B: actix_web::body::MessageBody,
{
    let jikang = supplier(state, JIKANG);
    for who in ["center", "expert"] {
        let r = read_bids(c, o, o.d0012, &t[who]).await;
        assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.body);
        let j = r.json();
        assert_eq!(j["stage"], "technical");
        assert_eq!(j["bids"].as_array().unwrap().len(), 2, "{j}");
        let tech = &bid_of(&j, jikang)["technical"];
        assert_eq!(tech["approval_number"], JIKANG_D0012);
        assert_eq!(tech["manufacturer_id"], jikang);
        assert_eq!(tech["annual_capacity"], 5_000_000);
        assert!(!tech["licences"].as_array().unwrap().is_empty(), "{tech}");
        assert_eq!(tech["documents"][0]["sha256"].as_str().unwrap().len(), 64);
        assert!(tech["result"].is_string(), "{tech}");
        let bids = j["bids"].as_array().unwrap();
        assert!(bids.iter().all(|b| b["commercial"].is_null()));
        assert!(
            !r.body.contains("45.00") && !r.body.contains("1.50"),
            "{}",
            r.body
        );
    }
    let r = read_bids(c, o, o.d0012, &t["regulator"]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// After the commercial opening: prices and ranks; a price above the ceiling is invalid.
async fn prices_after_the_commercial_opening<S, B>(
    c: &mut Client<S>,
    state: &AppState,
    o: &Open,
    t: &Tokens,
) where
    S: common::TestService<B>,
    B: actix_web::body::MessageBody,
{
    let (jikang, hengkang) = (supplier(state, JIKANG), supplier(state, HENGKANG));
    let r = read_bids(c, o, o.d0012, &t["expert"]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    assert_eq!(j["stage"], "commercial");
    let mine = &bid_of(&j, jikang)["commercial"];
    assert_eq!(mine["package_price"], "45.00");
    assert_eq!(mine["unit_price"], "1.50");
    let theirs = &bid_of(&j, hengkang)["commercial"];
    if mine["valid"] == true && theirs["valid"] == true {
        let mut ranks = [
            mine["rank"].as_i64().unwrap(),
            theirs["rank"].as_i64().unwrap(),
        ];
        ranks.sort();
        assert_eq!(ranks, [1, 2], "{j}");
    }
    let j = read_bids(c, o, o.d0006, &t["center"]).await.json();
    let above = &bid_of(&j, jikang)["commercial"];
    assert_eq!(above["unit_price"], "3.50", "{j}");
    assert_eq!(above["valid"], false, "{j}");
    assert_eq!(above["invalid_reason"], "bid_price_above_max", "{j}");
    assert!(above["rank"].is_null());
}

async fn a_lots_bids_are_read_by_staff_and_experts_within_the_tenders_state(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let o = open_tender(&state);
    let mut c = Client::new(app.clone());
    let t: Tokens = ["center", "expert", "supplier", "institution", "regulator"]
        .into_iter()
        .map(|w| (w, token_for(&state, w)))
        .collect();
    bid_within_and_above(&mut c, &state, &o, &t).await;
    sealed_before_the_technical_opening(&mut c, &o, &t).await;
    state.clock.advance(Duration::days(15));
    let act = |a: &str| format!("/api/v1/tenders/{}/actions/{a}", o.tender);
    let r = c
        .api_post(&act("open_technical"), &t["center"], Some(json!({})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    technical_after_the_technical_opening(&mut c, &state, &o, &t).await;
    for a in ["publish_technical", "open_commercial"] {
        let r = c.api_post(&act(a), &t["center"], Some(json!({}))).await;
        assert_eq!(r.status, StatusCode::OK, "{a}: {}", r.body);
    }
    prices_after_the_commercial_opening(&mut c, &state, &o, &t).await;
}

on_both_databases!(
    demo: distributors_bid_only_as_national_agents,
    a_bid_with_another_makers_product_is_refused,
    the_bid_form_offers_only_the_bidders_own_products,
    a_price_above_the_ceiling_is_confirmed_before_it_is_sealed,
    a_lots_bids_are_read_by_staff_and_experts_within_the_tenders_state,
);
