//! Forms people can work with, on both databases: bad input ("abc", "1,000", empty, a name no
//! record has) renders the same form again (422) with the error next to its field in the
//! reader's language and everything typed kept, and nothing is written; pickers take a name;
//! a tender's lots are table rows (add a row without script); a sealed bid lands on its
//! receipt, which only its supplier (and staff) can open again.

mod common;

use actix_web::http::StatusCode;
use chrono::Duration;

use common::{app, state_with_demo, supplier_user, Client, Resp, TestDb, PW};
use jicai::domain::tender::TenderState;
use jicai::store::{catalog, tenders as ts};
use jicai::web::AppState;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

/// The refusal shown next to the input named `name`: (its code, its words), from the input to
/// the end of its label (or table cell).
fn field_error(r: &Resp, name: &str) -> Option<(String, String)> {
    let at = r.body.find(&format!("name=\"{name}\""))?;
    let rest = &r.body[at..];
    let end = ["</label>", "</td>"]
        .iter()
        .filter_map(|e| rest.find(e))
        .min()?;
    let scope = &rest[..end];
    let i =
        scope.find("<em class=\"error\" data-code=\"")? + "<em class=\"error\" data-code=\"".len();
    let j = scope[i..].find('"')? + i;
    let k = scope[j..].find('>')? + j + 1;
    let l = scope[k..].find("</em>")? + k;
    Some((scope[i..j].to_string(), scope[k..l].to_string()))
}

/// Asserts the refusal next to `name` has `code` and contains `words`.
fn assert_error(r: &Resp, name: &str, code: &str, words: &str) {
    match field_error(r, name) {
        Some((c, w)) => {
            assert_eq!(c, code, "{name}: {w}");
            assert!(w.contains(words), "{name}: {w:?} lacks {words:?}");
        }
        None => panic!("no error next to {name}: {}", r.body),
    }
}

/// Asserts every typed value is in the page again.
fn assert_kept(r: &Resp, typed: &[&str]) {
    for v in typed {
        let shown = v.replace('&', "&amp;").replace('"', "&quot;");
        assert!(
            r.body.contains(&format!("value=\"{shown}\"")) || r.body.contains(&shown),
            "{v:?} is not kept: {}",
            r.body
        );
    }
}

async fn logged_in<S, B>(app: std::rc::Rc<S>, user: &str, lang: &str) -> Client<S>
where
    S: common::TestService<B>,
    B: actix_web::body::MessageBody,
{
    let mut c = Client::logged_in(app, user, "/home").await;
    let r = c.post(&format!("/lang/{lang}"), &[]).await;
    assert!(r.status.is_redirection(), "{}", r.body);
    c.get("/home").await;
    c
}

fn product_count(state: &AppState) -> i64 {
    use diesel::prelude::*;
    jicai::store::schema::products::table
        .count()
        .get_result(&mut state.store.conn().unwrap())
        .unwrap()
}

fn count_of(state: &AppState, table: &str) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}"))
        .get_result::<N>(&mut state.store.conn().unwrap())
        .unwrap()
        .n
}

async fn product_form_picks_by_name_and_keeps_what_was_typed(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let before = product_count(&state);
    let form = |drug: &'static str, price: &'static str| {
        vec![
            ("drug_code", drug),
            ("manufacturer_uscc", ""),
            ("approval_number", "国药准字H34029999"),
            ("units_per_package", "1,000"),
            ("reference_price", price),
        ]
    };
    for (lang, unknown, units) in [
        ("zh-CN", "没有与", "整数"),
        ("en", "nothing matches", "whole number"),
    ] {
        let mut c = logged_in(app.clone(), "center", lang).await;
        let r = c.get("/products/new").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.body.contains("<datalist id=\"dl-drug_code\">"),
            "{}",
            r.body
        );
        assert!(r.body.contains("inputmode=\"numeric\""), "{}", r.body);
        let r = c.post("/products", &form("没有这种药", "abc")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_error(&r, "drug_code", "pick_unknown", unknown);
        assert_error(&r, "units_per_package", "not_a_whole_number", units);
        assert!(field_error(&r, "manufacturer_uscc").is_some(), "{}", r.body);
        assert!(field_error(&r, "reference_price").is_some(), "{}", r.body);
        assert_kept(&r, &["没有这种药", "国药准字H34029999", "1,000", "abc"]);
    }
    assert_eq!(product_count(&state), before, "nothing was written");

    // A name that more than one drug has is refused as ambiguous; the code, a label or a
    // name only one drug has is taken.
    let (drug, maker) = {
        let mut c = state.store.conn().unwrap();
        let d = catalog::drug_by_code(&mut c, "D0012").unwrap().unwrap();
        let all = catalog::all_drugs(&mut c).unwrap();
        let unique = all.iter().filter(|x| x.name_zh == d.name_zh).count() == 1;
        assert!(unique, "the demo's D0012 has a name of its own");
        let maker = jicai::store::parties::supplier_names(&mut c).unwrap()[0]
            .1
            .clone();
        (d, maker)
    };
    let mut c = logged_in(app.clone(), "center", "zh-CN").await;
    let r = c
        .post(
            "/products",
            &[
                ("drug_code", drug.name_zh.as_str()),
                ("manufacturer_uscc", maker.as_str()),
                ("approval_number", "国药准字H34029999"),
                ("units_per_package", "10"),
                ("reference_price", "12.50"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some(format!("/drugs/{}", drug.id).as_str()));
    assert_eq!(product_count(&state), before + 1);
}

async fn drug_form_keeps_what_was_typed(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let before = count_of(&state, "drugs");
    let mut c = logged_in(app.clone(), "center", "en").await;
    let r = c
        .post(
            "/drugs",
            &[
                ("code", ""),
                ("name_zh", "测试胶囊"),
                ("inn", "Testamycin"),
                ("dosage_form", "胶囊"),
                ("strength", "0.25g"),
                ("unit", "capsule"),
                ("origin", "national"),
                ("category", "chemical"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(field_error(&r, "code").is_some(), "{}", r.body);
    assert_kept(&r, &["测试胶囊", "Testamycin", "0.25g"]);
    assert_eq!(count_of(&state, "drugs"), before);
}

async fn institution_and_supplier_forms_pick_regions_and_parents_by_name(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let before = (
        count_of(&state, "institutions"),
        count_of(&state, "suppliers"),
    );
    for (lang, unknown) in [("zh-CN", "没有与"), ("en", "nothing matches")] {
        let mut c = logged_in(app.clone(), "center", lang).await;
        let r = c.get("/institutions/new").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.body.contains("<select name=\"region_code\""),
            "{}",
            r.body
        );
        let r = c
            .post(
                "/institutions",
                &[
                    ("code", "INST-T1"),
                    ("name", "测试卫生室"),
                    ("kind", "village_clinic"),
                    ("region_code", ""),
                    ("parent_code", "谁也不是的卫生院"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_error(&r, "parent_code", "pick_unknown", unknown);
        assert!(field_error(&r, "region_code").is_some(), "{}", r.body);
        assert_kept(&r, &["INST-T1", "测试卫生室", "谁也不是的卫生院"]);

        let r = c
            .post(
                "/suppliers",
                &[
                    ("uscc", "abc"),
                    ("name", "测试药业"),
                    ("kind", "manufacturer"),
                    ("region_code", ""),
                    ("credit_status", "good"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(field_error(&r, "uscc").is_some(), "{}", r.body);
        assert!(field_error(&r, "region_code").is_some(), "{}", r.body);
        assert_kept(&r, &["abc", "测试药业"]);
    }
    assert_eq!(
        (
            count_of(&state, "institutions"),
            count_of(&state, "suppliers")
        ),
        before
    );
}

async fn region_form_keeps_what_was_typed(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let before = count_of(&state, "regions");
    for lang in ["zh-CN", "en"] {
        let mut c = logged_in(app.clone(), "center", lang).await;
        let r = c.get("/regions/new").await;
        assert!(
            r.body.contains("<select name=\"parent_code\""),
            "{}",
            r.body
        );
        let r = c
            .post(
                "/regions",
                &[
                    ("code", "abc"),
                    ("name_zh", "测试县"),
                    ("name_en", "Test County"),
                    ("level", "county"),
                    ("parent_code", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(field_error(&r, "code").is_some(), "{}", r.body);
        assert_kept(&r, &["abc", "测试县", "Test County"]);
    }
    assert_eq!(count_of(&state, "regions"), before);
}

async fn demand_report_picks_the_drug_and_keeps_what_was_typed(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    // Center staff open a window (its form keeps what was typed too).
    let mut center = logged_in(app.clone(), "center", "en").await;
    let r = center
        .post("/demand", &[("title", "2028 demand"), ("closes_at", "abc")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(field_error(&r, "closes_at").is_some(), "{}", r.body);
    assert_kept(&r, &["2028 demand", "abc"]);
    let closes = (state.clock.now() + Duration::days(10))
        .with_timezone(&state.config.time_zone)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let r = center
        .post(
            "/demand",
            &[("title", "2028 demand"), ("closes_at", &closes)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let window = r.location().unwrap().to_string();
    let before = count_of(&state, "demand_reports");
    for (lang, unknown, whole) in [
        ("zh-CN", "没有与", "整数"),
        ("en", "nothing matches", "whole number"),
    ] {
        let mut c = logged_in(app.clone(), "institution", lang).await;
        let r = c.get(&window).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("list=\"dl-drug_code\""), "{}", r.body);
        let r = c
            .post(
                &format!("{window}/report"),
                &[("drug_code", "没有这种药"), ("quantity", "1,000")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_error(&r, "drug_code", "pick_unknown", unknown);
        assert_error(&r, "quantity", "not_a_whole_number", whole);
        assert_kept(&r, &["没有这种药", "1,000"]);
    }
    assert_eq!(
        count_of(&state, "demand_reports"),
        before,
        "nothing written"
    );
    // The drug by its code (or its label) is taken.
    let mut c = logged_in(app.clone(), "institution", "zh-CN").await;
    c.get(&window).await;
    let r = c
        .post(
            &format!("{window}/report"),
            &[("drug_code", "D0012"), ("quantity", "1000")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(count_of(&state, "demand_reports"), before + 1);
}

/// The demo's window with demand, as the new tender's form starts from it.
fn window_with_demand(state: &AppState) -> (i64, String) {
    let mut c = state.store.conn().unwrap();
    for w in ts::windows(&mut c).unwrap() {
        let d = ts::demand_totals(&mut c, w.id).unwrap();
        if let Some(first) = d.first() {
            return (w.id, first.1.clone());
        }
    }
    panic!("the demo has a window with demand")
}

async fn tender_lots_are_rows_added_without_script_and_refused_per_row(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let (window, code) = window_with_demand(&state);
    let window = window.to_string();
    let deadline = (state.clock.now() + Duration::days(5))
        .with_timezone(&state.config.time_zone)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let before = count_of(&state, "tenders");
    for (lang, money) in [("zh-CN", "最高有效单价"), ("en", "max_unit_price")] {
        let mut c = logged_in(app.clone(), "center", lang).await;
        let r = c.get(&format!("/tenders/new?window_id={window}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("name=\"lot-0-drug\""), "{}", r.body);
        // The drug choices name the drug in the reader's language.
        let d = catalog::drug_by_code(&mut state.store.conn().unwrap(), &code)
            .unwrap()
            .unwrap();
        let name = if lang == "en" { &d.inn } else { &d.name_zh };
        assert!(
            r.body
                .contains(&format!("{name} · {} · {code}", d.strength)),
            "{lang}: {}",
            r.body
        );
        assert!(
            !r.body.contains("<textarea"),
            "no CSV text area: {}",
            r.body
        );
        // "Add a row" sends the form: the same form with one more row, what was typed kept,
        // a removed row gone.
        let head = [
            ("title", "Rows tender"),
            ("window_id", window.as_str()),
            ("bid_deadline", deadline.as_str()),
            ("contract_months", "12"),
        ];
        let mut f: Vec<(&str, &str)> = head.to_vec();
        f.extend([
            ("lot-0-drug", code.as_str()),
            ("lot-0-max_unit_price", "abc"),
            ("lot-0-policy", "lowest_price"),
            ("lot-0-min_bidders", "2"),
            ("lot-0-consistency", "yes"),
            ("lot-0-agreed_share", "70"),
            ("lot-0-technical_weight", "40"),
            ("lot-1-drug", code.as_str()),
            ("lot-1-max_unit_price", "9.99"),
            ("lot-1-remove", "yes"),
        ]);
        let mut add = f.clone();
        add.push(("add_row", "1"));
        let r = c.post("/tenders", &add).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(
            r.body.contains("name=\"lot-1-drug\""),
            "a new row: {}",
            r.body
        );
        assert!(!r.body.contains("name=\"lot-2-drug\""), "{}", r.body);
        assert!(
            !r.body.contains("value=\"9.99\""),
            "the removed row: {}",
            r.body
        );
        assert_kept(&r, &["Rows tender", "abc"]);
        // Submitted with a bad price: 422, the error in the row, the values kept.
        let r = c.post("/tenders", &f).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_error(&r, "lot-0-max_unit_price", "lot_line_max_price", money);
        assert_kept(&r, &["Rows tender", "abc", deadline.as_str()]);
        assert!(r.body.contains("id=\"lots-error\""), "{}", r.body);
        // An empty table.
        let r = c.post("/tenders", &head).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("data-code") || r.body.contains("lots-error"));
    }
    assert_eq!(count_of(&state, "tenders"), before, "nothing written");
    // Good rows: the draft, with its lots, through the same service as the API.
    let mut c = logged_in(app.clone(), "center", "en").await;
    let r = c
        .post(
            "/tenders",
            &[
                ("title", "Rows tender"),
                ("window_id", window.as_str()),
                ("bid_deadline", deadline.as_str()),
                ("contract_months", "12"),
                ("lot-0-drug", code.as_str()),
                ("lot-0-max_unit_price", "1.25"),
                ("lot-0-policy", "composite_score"),
                ("lot-0-min_bidders", "3"),
                ("lot-0-agreed_share", "60"),
                ("lot-0-technical_weight", "30"),
                ("lot-1-drug", ""),
                ("lot-1-max_unit_price", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(count_of(&state, "tenders"), before + 1);
    let id: i64 = r
        .location()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let lots = ts::lots_of(&mut state.store.conn().unwrap(), id).unwrap();
    assert_eq!(lots.len(), 1, "the blank row is skipped");
    assert_eq!(lots[0].min_bidders, 3);
    assert!(!lots[0].consistency_required, "the box was not ticked");
    assert_eq!(lots[0].agreed_share_bp, 6000);
    assert_eq!(lots[0].max_unit_price, 12_500);
}

/// The demo's open tender and its lot of D0012, and the demo supplier's product of it.
fn open_lot(state: &AppState) -> (i64, i64, i64) {
    let mut c = state.store.conn().unwrap();
    let (tender, lots) = common::demo_open_tender(&mut c);
    let lot = lots.iter().find(|l| l.1 == "D0012").unwrap().0.id;
    let f = catalog::ProductFilter {
        q: "国药准字H34020888".into(),
        ..Default::default()
    };
    let p = catalog::list_products(
        &mut c,
        &f,
        &jicai::domain::paging::PageRequest::new(Some(1), Some(5)),
    )
    .unwrap()
    .items[0]
        .id;
    (tender, lot, p)
}

async fn a_bid_keeps_what_was_typed_and_lands_on_its_receipt(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let (tender, lot, product) = open_lot(&state);
    let path = format!("/tenders/{tender}/lots/{lot}/bid");
    let product = product.to_string();
    let before = count_of(&state, "bids");
    for (lang, words, whole) in [("zh-CN", "金额", "整数"), ("en", "amount", "whole number")] {
        let mut c = logged_in(app.clone(), "supplier", lang).await;
        let r = c.get(&path).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains("inputmode=\"decimal\""), "{}", r.body);
        let r = c
            .multipart(
                &path,
                &[
                    ("product_id", &product),
                    ("annual_capacity", "5,000.5"),
                    ("package_price", "abc"),
                ],
                &[("documents", "gmp.pdf", PDF)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let (code, text) = field_error(&r, "package_price").unwrap_or_else(|| panic!("{}", r.body));
        assert!(text.contains(words), "{code}: {text}");
        assert_error(&r, "annual_capacity", "not_a_whole_number", whole);
        assert_kept(&r, &["5,000.5", "abc"]);
        assert!(
            r.body
                .contains(&format!("<option value=\"{product}\" selected")),
            "the product stays chosen: {}",
            r.body
        );
    }
    assert_eq!(count_of(&state, "bids"), before, "nothing written");

    // A good price: sealed, on to the receipt's own address.
    let mut c = logged_in(app.clone(), "supplier", "en").await;
    let r = c
        .multipart(
            &path,
            &[
                ("product_id", &product),
                ("annual_capacity", "5000"),
                ("package_price", "45.00"),
            ],
            &[("documents", "gmp.pdf", PDF)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let receipt = r.location().unwrap().to_string();
    assert!(receipt.starts_with("/bids/") && receipt.ends_with("/receipt"));
    let bid_id: i64 = receipt.split('/').nth(2).unwrap().parse().unwrap();
    let bid = ts::bid(&mut state.store.conn().unwrap(), bid_id).unwrap();
    let r = c.get(&receipt).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for shown in [
        bid.technical_digest.as_str(),
        bid.commercial_digest.as_str(),
        "国药准字H34020888",
        "data-print",
        "/static/formui-print.js",
    ] {
        assert!(r.body.contains(shown), "{shown}: {}", r.body);
    }
    assert!(
        !r.body.contains("45.00"),
        "the price stays sealed: {}",
        r.body
    );
    // The print view: the same receipt without the menu (no script needed).
    let r = c.get(&format!("{receipt}?print=1")).await;
    assert!(r.body.contains("print-view"), "{}", r.body);
    let r = c.get("/static/formui-print.js").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("window.print()"));
    // Reopened from the tender's page.
    let r = c.get(&format!("/tenders/{tender}")).await;
    assert!(
        r.body.contains(&format!("href=\"{receipt}\"")),
        "{}",
        r.body
    );
    // In Chinese too.
    c.post("/lang/zh-CN", &[]).await;
    let r = c.get(&receipt).await;
    assert!(r.body.contains("打印"), "{}", r.body);

    // Another supplier, an institution, an expert: no such receipt. Staff read it.
    let other = {
        let mut conn = state.store.conn().unwrap();
        jicai::store::parties::supplier_by_uscc(&mut conn, "91340100MA2N0Q6N7H")
            .unwrap()
            .unwrap()
            .id
    };
    let other = supplier_user(&state, other);
    for user in [other.as_str(), "institution", "expert"] {
        let mut c = Client::new(app.clone());
        c.login(user, PW).await;
        let r = c.get(&receipt).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{user}: {}", r.body);
        assert!(!r.body.contains(&bid.commercial_digest));
    }
    let mut c = Client::new(app.clone());
    c.login("center", PW).await;
    assert_eq!(c.get(&receipt).await.status, StatusCode::OK);
}

async fn direct_listing_form_keeps_what_was_typed(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let before = count_of(&state, "direct_listings");
    for (lang, words) in [("zh-CN", "金额"), ("en", "amount")] {
        let mut c = logged_in(app.clone(), "supplier", lang).await;
        c.get("/direct-listings").await;
        let r = c
            .post(
                "/direct-listings",
                &[
                    ("response_id", ""),
                    ("product_id", ""),
                    ("unit_price", "abc"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(field_error(&r, "response_id").is_some(), "{}", r.body);
        assert!(field_error(&r, "product_id").is_some(), "{}", r.body);
        let (_, text) = field_error(&r, "unit_price").unwrap();
        assert!(text.contains(words), "{text}");
        assert_kept(&r, &["abc"]);
        assert!(r.body.contains("<select name=\"product_id\""), "{}", r.body);
    }
    assert_eq!(count_of(&state, "direct_listings"), before);
}

async fn user_and_token_forms_pick_by_name_and_keep_what_was_typed(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let before = (count_of(&state, "users"), count_of(&state, "api_tokens"));
    for (lang, unknown, choose) in [
        ("zh-CN", "没有与", "请选择用户"),
        ("en", "nothing matches", "choose a user"),
    ] {
        let mut c = logged_in(app.clone(), "center", lang).await;
        let r = c.get("/users/new").await;
        assert!(
            r.body.contains("list=\"dl-institution_code\""),
            "{}",
            r.body
        );
        assert!(
            r.body.contains("<select name=\"supplier_uscc\""),
            "{}",
            r.body
        );
        let r = c
            .post(
                "/users",
                &[
                    ("username", "nurse.wang"),
                    ("display_name", "王护士"),
                    ("role", "institution"),
                    ("password", "a-long-password-1"),
                    ("email", "wang@example.com"),
                    ("supplier_uscc", ""),
                    ("institution_code", "不存在的卫生室"),
                    ("language", "zh-CN"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_error(&r, "institution_code", "pick_unknown", unknown);
        assert_kept(
            &r,
            &["nurse.wang", "王护士", "wang@example.com", "不存在的卫生室"],
        );

        c.get("/tokens").await;
        let r = c
            .post("/tokens", &[("user_id", ""), ("token_name", "ERP link")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_error(&r, "user_id", "choose_user", choose);
        assert_kept(&r, &["ERP link"]);
    }
    assert_eq!(
        (count_of(&state, "users"), count_of(&state, "api_tokens")),
        before
    );
}

/// The forms on a supplier's and an institution's own page (licence, contacts) come back on
/// that page (422) with the error by its field and what was typed; a licence is removed from
/// its confirmation on the page, by the supplier's own user only.
async fn party_page_forms_keep_what_was_typed(db: TestDb) {
    use jicai::store::parties;
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let own = jicai::store::users::by_username(&mut state.store.conn().unwrap(), "supplier")
        .unwrap()
        .unwrap()
        .supplier_id
        .unwrap();
    let licences = |state: &AppState| -> Vec<(i64, String)> {
        parties::licences_of(&mut state.store.conn().unwrap(), own)
            .unwrap()
            .into_iter()
            .map(|l| (l.id, l.number))
            .collect()
    };
    let before = licences(&state);
    for (lang, not_date, not_email) in [
        ("zh-CN", "不是日期", "不是电子邮件地址"),
        ("en", "is not a date", "is not an e-mail address"),
    ] {
        let mut c = logged_in(app.clone(), "supplier", lang).await;
        c.get(&format!("/suppliers/{own}")).await;
        let r = c
            .post(
                &format!("/suppliers/{own}/licences"),
                &[
                    ("kind", "gmp"),
                    ("number", "AH-2031-0042"),
                    ("expires_on", "2031-02-30"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_error(&r, "expires_on", "not_a_date", not_date);
        assert_kept(&r, &["AH-2031-0042", "2031-02-30"]);
        assert!(
            r.body.contains("<option value=\"gmp\" selected"),
            "{}",
            r.body
        );

        let r = c
            .post(
                &format!("/suppliers/{own}/contacts"),
                &[("emails", "sales@example.com, not-an-address")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_error(&r, "emails", "not_email", not_email);
        assert_kept(&r, &["sales@example.com, not-an-address"]);
    }
    assert_eq!(licences(&state), before, "nothing written");

    // The township center's user: its own contacts form, refused on its page.
    let mut c = logged_in(app.clone(), "institution", "zh-CN").await;
    let home = c.get("/institutions").await;
    let at = home
        .body
        .find("href=\"/institutions/")
        .expect("an institution link");
    let id: String = home.body[at + "href=\"/institutions/".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    c.get(&format!("/institutions/{id}")).await;
    let r = c
        .post(
            &format!("/institutions/{id}/contacts"),
            &[("emails", "护士站")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_error(&r, "emails", "not_email", "不是电子邮件地址");
    assert_kept(&r, &["护士站"]);

    // Removing a licence: a confirmation on the supplier's page (no page of its own), then gone.
    let gone = before.first().expect("the demo supplier has a licence").0;
    let mut c = logged_in(app.clone(), "supplier", "en").await;
    let page = c.get(&format!("/suppliers/{own}")).await;
    let action = format!("/suppliers/{own}/licences/{gone}/remove");
    assert!(page.body.contains(&action), "{}", page.body);
    assert!(
        page.body.contains("the audit log keeps it"),
        "the confirmation says what happens: {}",
        page.body
    );
    // Another supplier's user cannot remove it (it does not exist for them).
    let other = supplier_user(&state, {
        let all = parties::supplier_names(&mut state.store.conn().unwrap()).unwrap();
        all.iter().find(|(id, _, _)| *id != own).unwrap().0
    });
    let mut o = logged_in(app.clone(), &other, "en").await;
    o.get("/home").await;
    assert_eq!(o.post(&action, &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(licences(&state), before);
    let r = c.post(&action, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(licences(&state).iter().all(|l| l.0 != gone));
    assert_eq!(licences(&state).len(), before.len() - 1);
}

/// Cancelling a tender without a reason, or with one too long, shows the tender's page again
/// (422) with the cancel form open, the error next to the reason and the reason kept; the
/// tender stays as it was.
async fn tender_cancel_keeps_the_reason_typed(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let (tender, _, _) = open_lot(&state);
    let path = format!("/tenders/{tender}/actions/cancel");
    let long = "理由".repeat(1001);
    for (lang, required, too_long) in [("zh-CN", "必填", "2000"), ("en", "is required", "2000")] {
        let mut c = logged_in(app.clone(), "center", lang).await;
        let r = c.post(&path, &[("reason", "   ")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_error(&r, "reason", "required", required);
        assert!(
            r.body.contains(&format!("action=\"{path}\"")),
            "the tender's page with its cancel form: {}",
            r.body
        );
        assert!(
            r.body.contains("<details class=\"confirm\" open>"),
            "the cancel form is shown open: {}",
            r.body
        );
        let r = c.post(&path, &[("reason", &long)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_error(&r, "reason", "too_long", too_long);
        assert_kept(&r, &[&long]);
    }
    let t = ts::tender(&mut state.store.conn().unwrap(), tender).unwrap();
    assert_eq!(t.state(), TenderState::Open, "nothing written");
    assert!(t.cancel_reason.is_none());
    // A good reason cancels it.
    let mut c = logged_in(app.clone(), "center", "en").await;
    let r = c.post(&path, &[("reason", "the catalog changed")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let t = ts::tender(&mut state.store.conn().unwrap(), tender).unwrap();
    assert_eq!(t.cancel_reason.as_deref(), Some("the catalog changed"));
}

on_both_databases!(
    demo: product_form_picks_by_name_and_keeps_what_was_typed,
    drug_form_keeps_what_was_typed,
    institution_and_supplier_forms_pick_regions_and_parents_by_name,
    region_form_keeps_what_was_typed,
    demand_report_picks_the_drug_and_keeps_what_was_typed,
    tender_lots_are_rows_added_without_script_and_refused_per_row,
    a_bid_keeps_what_was_typed_and_lands_on_its_receipt,
    direct_listing_form_keeps_what_was_typed,
    user_and_token_forms_pick_by_name_and_keep_what_was_typed,
    party_page_forms_keep_what_was_typed,
    tender_cancel_keeps_the_reason_typed,
);
