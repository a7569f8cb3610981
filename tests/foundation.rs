//! The foundation over HTTP, on both databases: login, CSRF, throttling, each role's refusals,
//! API tokens, identifier validation, imports, audit chain, health, OpenAPI.

mod common;

use actix_web::http::StatusCode;
use common::{app, state_with_demo, token_for, user_id, Client, TestDb, PW};
use diesel::prelude::*;
use jicai::domain::catalog::SupplierKind;
use jicai::domain::paging::PageRequest;
use jicai::store::{audit, catalog, parties, users};
use jicai::web::AppState;

fn conn(state: &AppState) -> jicai::store::Conn {
    state.store.conn().unwrap()
}

fn drug_count(state: &AppState) -> i64 {
    catalog::count_drugs(&mut conn(state)).unwrap()
}

/// The first supplier of the list (of this kind, if one is given).
fn first_supplier(state: &AppState, kind: Option<SupplierKind>) -> parties::Supplier {
    parties::list_suppliers(
        &mut conn(state),
        &jicai::domain::roles::Scope::All,
        "",
        kind,
        &PageRequest::new(None, None),
    )
    .unwrap()
    .items
    .remove(0)
}

/// The new supplier form filled in for a manufacturer named 测试药业有限公司 with this USCC.
fn new_supplier_form(uscc: &str) -> [(&'static str, &str); 6] {
    [
        ("uscc", uscc),
        ("name", "测试药业有限公司"),
        ("kind", "manufacturer"),
        ("region_code", "340000"),
        ("credit_status", "good"),
        ("emails", ""),
    ]
}

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

async fn login_is_throttled_after_repeated_failures(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut c = Client::new(app);
    for _ in 0..state.config.login_max_failures {
        assert_eq!(
            c.login("regulator", "wrong-password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // Even the right password is refused while the lock lasts.
    let r = c.login("regulator", PW).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(c.get("/home").await.status, StatusCode::SEE_OTHER);
    // Other users are not locked.
    assert_eq!(c.login("center", PW).await.status, StatusCode::SEE_OTHER);
    // After the lock period, the right password works again.
    state.clock.advance(chrono::Duration::minutes(
        state.config.login_lock_minutes + 1,
    ));
    let mut c2 = Client::new(common::app(state.clone()).await);
    assert_eq!(
        c2.login("regulator", PW).await.status,
        StatusCode::SEE_OTHER
    );
}

async fn form_without_csrf_token_is_refused(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut c = Client::logged_in(app, "center", "/drugs/new").await;
    let before = drug_count(&state);
    let form = [
        ("code", "X0001"),
        ("name_zh", "测试片"),
        ("inn", "Testine"),
        ("dosage_form", "片剂"),
        ("strength", "1mg"),
        ("unit", "tablet"),
        ("origin", "national"),
        ("category", "chemical"),
    ];
    let r = c.post_raw("/drugs", &form).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut bad = form.to_vec();
    bad.push(("csrf", "forged-token"));
    assert_eq!(
        c.post_raw("/drugs", &bad).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(drug_count(&state), before, "nothing created");
    // The same form with the page's token goes through.
    let r = c.post("/drugs", &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(drug_count(&state), before + 1);
    // Logging in also needs the token.
    let mut anon = Client::new(common::app(state.clone()).await);
    let r = anon
        .post_raw("/login", &[("username", "center"), ("password", PW)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn regulator_reads_everything_and_writes_nothing(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut c = Client::new(app);
    c.login("regulator", PW).await;
    for page in [
        "/drugs",
        "/products",
        "/institutions",
        "/suppliers",
        "/regions",
        "/audit",
    ] {
        assert_eq!(c.get(page).await.status, StatusCode::OK, "{page}");
    }
    for page in ["/drugs/new", "/users", "/tokens", "/import"] {
        assert_eq!(c.get(page).await.status, StatusCode::FORBIDDEN, "{page}");
    }
    let before = drug_count(&state);
    let r = c
        .post(
            "/drugs",
            &[
                ("code", "R1"),
                ("name_zh", "x"),
                ("inn", "x"),
                ("dosage_form", "片剂"),
                ("strength", "1mg"),
                ("unit", "tablet"),
                ("origin", "national"),
                ("category", "chemical"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(drug_count(&state), before);
    let sid = first_supplier(&state, None).id;
    let r = c
        .post(
            &format!("/suppliers/{sid}/licences"),
            &[
                ("kind", "gmp"),
                ("number", "X"),
                ("expires_on", "2030-01-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn supplier_sees_and_edits_only_its_own(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let own = users::by_username(&mut conn(&state), "supplier")
        .unwrap()
        .unwrap()
        .supplier_id
        .unwrap();
    let all = parties::list_suppliers(
        &mut conn(&state),
        &jicai::domain::roles::Scope::All,
        "",
        None,
        &PageRequest::new(None, Some(100)),
    )
    .unwrap();
    let other = all.items.iter().find(|s| s.id != own).unwrap().id;
    let mut c = Client::new(app);
    c.login("supplier", PW).await;
    assert_eq!(
        c.get(&format!("/suppliers/{own}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        c.get(&format!("/suppliers/{other}")).await.status,
        StatusCode::NOT_FOUND
    );
    let list = c.get("/suppliers").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        !list
            .body
            .contains(&all.items.iter().find(|s| s.id == other).unwrap().uscc),
        "another supplier is not listed"
    );
    // Its own licences: may add; another's: 404 and nothing written.
    let before = parties::licences_of(&mut conn(&state), other)
        .unwrap()
        .len();
    let r = c
        .post(
            &format!("/suppliers/{other}/licences"),
            &[
                ("kind", "gmp"),
                ("number", "FAKE-1"),
                ("expires_on", "2031-01-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        parties::licences_of(&mut conn(&state), other)
            .unwrap()
            .len(),
        before
    );
    let r = c
        .post(
            &format!("/suppliers/{own}/licences"),
            &[
                ("kind", "gmp"),
                ("number", "AH2026-0099"),
                ("expires_on", "2031-01-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(parties::licences_of(&mut conn(&state), own)
        .unwrap()
        .iter()
        .any(|l| l.number == "AH2026-0099"));
    let r = c
        .post(
            &format!("/suppliers/{other}/contacts"),
            &[("emails", "evil@x.cn")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Not its business: institutions, users, administration.
    for page in ["/institutions", "/users", "/import", "/audit", "/drugs/new"] {
        assert_eq!(c.get(page).await.status, StatusCode::FORBIDDEN, "{page}");
    }
}

async fn institution_user_sees_own_and_its_village_clinics(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let own = users::by_username(&mut conn(&state), "institution")
        .unwrap()
        .unwrap()
        .institution_id
        .unwrap();
    let kids = parties::children_of(&mut conn(&state), own).unwrap();
    assert!(
        !kids.is_empty(),
        "the demo township center has village clinics"
    );
    let all = parties::list_institutions(
        &mut conn(&state),
        &jicai::domain::roles::Scope::All,
        "",
        None,
        &PageRequest::new(None, Some(200)),
    )
    .unwrap();
    let stranger = all
        .items
        .iter()
        .find(|i| i.id != own && !kids.contains(&i.id))
        .unwrap()
        .id;
    let mut c = Client::new(app);
    c.login("institution", PW).await;
    assert_eq!(
        c.get(&format!("/institutions/{own}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        c.get(&format!("/institutions/{}", kids[0])).await.status,
        StatusCode::OK
    );
    assert_eq!(
        c.get(&format!("/institutions/{stranger}")).await.status,
        StatusCode::NOT_FOUND
    );
    let list = c.get("/institutions?per_page=200").await;
    assert!(list.body.contains(&format!("/institutions/{}\"", kids[0])));
    assert!(!list.body.contains(&format!("/institutions/{stranger}\"")));
    // May change a clinic's contacts (acts for it), not a stranger's.
    let r = c
        .post(
            &format!("/institutions/{}/contacts", kids[0]),
            &[("emails", "clinic@demo.jicai.test")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        parties::get_institution(&mut conn(&state), kids[0])
            .unwrap()
            .emails,
        "clinic@demo.jicai.test"
    );
    let before = parties::get_institution(&mut conn(&state), stranger)
        .unwrap()
        .emails;
    let r = c
        .post(
            &format!("/institutions/{stranger}/contacts"),
            &[("emails", "x@y.cn")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        parties::get_institution(&mut conn(&state), stranger)
            .unwrap()
            .emails,
        before
    );
    assert_eq!(c.get("/suppliers").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        c.get(&format!("/institutions/{own}/edit")).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn api_tokens_authenticate_and_revocation_ends_them(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut center = Client::logged_in(app.clone(), "center", "/tokens").await;
    let sup_user = user_id(&state, "supplier");
    let r = center
        .post(
            "/tokens",
            &[
                ("user_id", &sup_user.to_string()),
                ("token_name", "ERP link"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let secret = r
        .body
        .split("<p>")
        .find_map(|p| p.strip_prefix("jc_").map(|s| format!("jc_{}", &s[..48])))
        .expect("the secret is shown once");
    // Stored hashed: the secret itself is nowhere in the database.
    let stored = users::tokens(&mut conn(&state)).unwrap();
    assert!(stored.iter().all(|t| t.token_hash != secret
        && t.token_hash == jicai::security::token_hash(&secret)
        || t.user_id != sup_user));
    let mut api = Client::new(app.clone());
    let me = api.api_get("/api/v1/me", &secret).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.json()["username"], "supplier");
    let r = api.api("GET", "/api/v1/me", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"]["code"], "unauthenticated");
    assert_eq!(
        api.api_get_status("/api/v1/me", "jc_not-a-token").await,
        StatusCode::UNAUTHORIZED
    );
    // Revoke it: the same secret no longer works.
    let tid = stored.iter().find(|t| t.user_id == sup_user).unwrap().id;
    center.get(&format!("/tokens/{tid}/revoke")).await;
    let r = center.post(&format!("/tokens/{tid}/revoke"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        api.api_get_status("/api/v1/me", &secret).await,
        StatusCode::UNAUTHORIZED
    );
}

async fn api_enforces_roles_and_ownership(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut c = Client::new(app);
    let reg = token_for(&state, "regulator");
    let sup = token_for(&state, "supplier");
    let inst = token_for(&state, "institution");
    let center = token_for(&state, "center");
    let drug = serde_json::json!({"code": "API1", "name_zh": "测试胶囊", "inn": "Testamycin", "dosage_form": "胶囊", "strength": "0.25g", "unit": "capsule", "origin": "national", "category": "chemical"});
    let before = drug_count(&state);
    for t in [&reg, &sup, &inst] {
        let r = c.api_post("/api/v1/drugs", t, Some(drug.clone())).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert_eq!(r.json()["error"]["code"], "forbidden");
    }
    assert_eq!(drug_count(&state), before);
    let r = c
        .api_post("/api/v1/drugs", &center, Some(drug.clone()))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(drug_count(&state), before + 1);
    // A bad identifier in JSON: 422 naming the field, nothing written.
    let mut bad = drug.clone();
    bad["code"] = "API2".into();
    bad["unit"] = "box".into();
    let r = c.api_post("/api/v1/drugs", &center, Some(bad)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["fields"][0]["field"], "unit");
    let r = c.api_post("/api/v1/drugs", &center, None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    // Suppliers: a supplier sees only itself.
    let own = users::by_username(&mut conn(&state), "supplier")
        .unwrap()
        .unwrap()
        .supplier_id
        .unwrap();
    let r = c.api_get("/api/v1/suppliers", &sup).await;
    assert_eq!(r.json()["total"], 1);
    assert_eq!(r.json()["items"][0]["id"], own);
    let other = own + 1;
    assert_eq!(
        c.api_get_status(&format!("/api/v1/suppliers/{other}"), &sup)
            .await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.api_get_status(&format!("/api/v1/suppliers/{other}/licences"), &sup)
            .await,
        StatusCode::NOT_FOUND
    );
    let r = c
        .api(
            "PUT",
            &format!("/api/v1/suppliers/{other}/contacts"),
            Some(&sup),
            Some(serde_json::json!({"emails": "x@y.cn"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = c
        .api(
            "PUT",
            &format!("/api/v1/suppliers/{own}/contacts"),
            Some(&sup),
            Some(serde_json::json!({"emails": "sales@jk.cn"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        parties::get_supplier(&mut conn(&state), own)
            .unwrap()
            .emails,
        "sales@jk.cn"
    );
    assert_eq!(
        c.api_get_status("/api/v1/institutions", &sup).await,
        StatusCode::FORBIDDEN
    );
    // Institutions: own and its clinics only; regulator reads all but writes nothing.
    let own_inst = users::by_username(&mut conn(&state), "institution")
        .unwrap()
        .unwrap()
        .institution_id
        .unwrap();
    let kids = parties::children_of(&mut conn(&state), own_inst).unwrap();
    let r = c.api_get("/api/v1/institutions", &inst).await;
    assert_eq!(r.json()["total"], 1 + kids.len());
    let all = c.api_get("/api/v1/institutions?per_page=200", &reg).await;
    let stranger = all.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .find(|id| *id != own_inst && !kids.contains(id))
        .unwrap();
    assert_eq!(
        c.api_get_status(&format!("/api/v1/institutions/{stranger}"), &inst)
            .await,
        StatusCode::NOT_FOUND
    );
    let r = c
        .api(
            "PUT",
            &format!("/api/v1/institutions/{stranger}/contacts"),
            Some(&reg),
            Some(serde_json::json!({"emails": "x@y.cn"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn identifiers_are_validated_with_the_field_named(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut c = Client::logged_in(app, "center", "/suppliers/new").await;
    let r = c
        .post("/suppliers", &new_supplier_form("91340100MA2N0Q1X3A"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The center's staff read Chinese: the error is in their language, next to the field.
    assert!(r.body.contains("校验码错误"), "{}", r.body);
    assert!(
        parties::supplier_by_uscc(&mut conn(&state), "91340100MA2N0Q1X3A")
            .unwrap()
            .is_none()
    );
    let good = format!(
        "91340100MA2N0Q1X3{}",
        jicai::domain::ids::uscc_check_char("91340100MA2N0Q1X3").unwrap()
    );
    let r = c.post("/suppliers", &new_supplier_form(&good)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let drug = catalog::search_drugs(&mut conn(&state), "", None, &PageRequest::new(None, None))
        .unwrap()
        .items[0]
        .code
        .clone();
    c.get("/products/new").await;
    let r = c
        .post(
            "/products",
            &[
                ("drug_code", &drug),
                ("manufacturer_uscc", &good),
                ("approval_number", "国药准字X1234567"),
                ("units_per_package", "24"),
                ("gtin", "6901234567893"),
                ("reference_price", "12.5"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("应为国药准字加 H、Z、S 或 J 及 8 位数字"),
        "{}",
        r.body
    );
    assert!(r.body.contains("校验位错误"), "{}", r.body);
    let r = c
        .post(
            "/products",
            &[
                ("drug_code", &drug),
                ("manufacturer_uscc", &good),
                ("approval_number", "国药准字H34029999"),
                ("units_per_package", "24"),
                ("gtin", "6901234567892"),
                ("reference_price", "12.5"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

fn drug_csv(rows: &[&str]) -> Vec<u8> {
    let mut s =
        String::from("code,name_zh,inn,dosage_form,strength,unit,origin,category,atc_code\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s.into_bytes()
}

async fn csv_import_is_all_or_nothing_with_a_row_report(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut c = Client::logged_in(app, "center", "/import").await;
    let before = drug_count(&state);
    let bad = drug_csv(&[
        "N0001,甲药片,Alphadine,片剂,10mg,tablet,national,chemical,",
        "N0002,,Betadine,片剂,10mg,tablet,national,chemical,",
        "N0003,丙药胶囊,Gammadine,胶囊,0.25g,box,national,chemical,J01CA04",
        "N0001,甲药片,Alphadine,片剂,20mg,tablet,national,chemical,",
    ]);
    let r = c.upload("/import/drugs", "drugs.csv", &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // The cells without their phone labels (`data-label`).
    let cells = r
        .body
        .split(" data-label=\"")
        .enumerate()
        .map(|(i, s)| {
            if i == 0 {
                s
            } else {
                &s[s.find('"').unwrap() + 1..]
            }
        })
        .collect::<String>();
    for needle in [
        "<td class=\"num\">3</td><td>name_zh",
        "<td class=\"num\">4</td><td>unit",
        "<td class=\"num\">5</td><td>code",
    ] {
        assert!(cells.contains(needle), "report names {needle}: {}", r.body);
    }
    assert_eq!(drug_count(&state), before, "nothing half-imported");
    let good = drug_csv(&[
        "N0001,甲药片,Alphadine,片剂,10mg,tablet,national,chemical,",
        "N0002,乙药片,Betadine,片剂,10mg,片,省增补,化学药品,",
    ]);
    let r = c.upload("/import/drugs", "drugs.csv", &good).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(drug_count(&state), before + 2);
    // The same file again: every code exists now, nothing imported.
    let r = c.upload("/import/drugs", "drugs.csv", &good).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(drug_count(&state), before + 2);
}

async fn xlsx_import_of_products(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let maker = first_supplier(&state, Some(SupplierKind::Manufacturer)).uscc;
    let drug = catalog::search_drugs(&mut conn(&state), "", None, &PageRequest::new(None, None))
        .unwrap()
        .items[0]
        .clone();
    let sheet = |rows: &[[&str; 6]]| {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (j, h) in [
            "药品编码",
            "生产企业统一社会信用代码",
            "批准文号",
            "包装数量",
            "商品条码",
            "参考价",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string(0, j as u16, *h).unwrap();
        }
        for (i, r) in rows.iter().enumerate() {
            for (j, v) in r.iter().enumerate() {
                if j == 3 {
                    ws.write_number(i as u32 + 1, j as u16, v.parse::<f64>().unwrap())
                        .unwrap();
                } else {
                    ws.write_string(i as u32 + 1, j as u16, *v).unwrap();
                }
            }
        }
        wb.save_to_buffer().unwrap()
    };
    let mut c = Client::logged_in(app, "center", "/import").await;
    let count = |s: &AppState| {
        catalog::list_products(
            &mut conn(s),
            &Default::default(),
            &PageRequest::new(None, None),
        )
        .unwrap()
        .total
    };
    let before = count(&state);
    let bad = sheet(&[
        [&drug.code, &maker, "国药准字H34021111", "24", "", "3.5"],
        [
            "NOPE",
            &maker,
            "国药准字H3402",
            "0",
            "6901234567893",
            "1.23456",
        ],
    ]);
    let r = c.upload("/import/products", "products.xlsx", &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("approval_number")
            && r.body.contains("gtin")
            && r.body.contains("units_per_package")
            && r.body.contains("reference_price"),
        "{}",
        r.body
    );
    assert_eq!(count(&state), before);
    let unknown = sheet(&[["NOPE", &maker, "国药准字H34021111", "24", "", "3.5"]]);
    let r = c
        .upload("/import/products", "products.xlsx", &unknown)
        .await;
    assert!(r.body.contains("没有编码为“NOPE”的药品"), "{}", r.body);
    let good = sheet(&[
        [
            &drug.code,
            &maker,
            "国药准字H34021111",
            "24",
            "6901234567892",
            "3.5",
        ],
        [
            &drug.code,
            &maker,
            "国药准字H34021111",
            "100",
            "",
            "12.0001",
        ],
    ]);
    let r = c.upload("/import/products", "products.xlsx", &good).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(count(&state), before + 2);
    let r = c
        .upload(
            "/import/products",
            "products.xlsx",
            b"PK\x03\x04 this is not a workbook",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("XLSX"), "{}", r.body);
}

async fn money_sums_and_sorts_exactly_in_sql(db: TestDb) {
    let state = state_with_demo(&db);
    let mut c = conn(&state);
    let act = jicai::store::Act::new("test", chrono::Utc::now());
    let maker = first_supplier(&state, Some(SupplierKind::Manufacturer)).uscc;
    let d = catalog::create_drug(
        &mut c,
        &act,
        &jicai::domain::catalog::DrugForm {
            code: "M1".into(),
            name_zh: "金额测试片".into(),
            inn: "Moneyine".into(),
            dosage_form: "片剂".into(),
            strength: "1mg".into(),
            unit: "tablet".into(),
            origin: "national".into(),
            category: "chemical".into(),
            atc_code: "".into(),
        }
        .validate()
        .unwrap(),
    )
    .unwrap();
    // An amount that enters is at most 10,000,000 yuan (domain::money::Money::MAX_ENTERED):
    // one near the i64 limit of the stored count is refused, naming the field.
    let too_large = jicai::domain::catalog::ProductForm {
        drug_code: "M1".into(),
        manufacturer_uscc: maker.clone(),
        approval_number: "国药准字H99000099".into(),
        units_per_package: "10".into(),
        reference_price: "922337203685.4775".into(),
        ..Default::default()
    }
    .validate()
    .unwrap_err();
    assert_eq!(too_large[0].field, "reference_price", "{too_large:?}");
    let prices = ["0.0001", "9999999.9998", "0.1", "0.2"];
    for (i, p) in prices.iter().enumerate() {
        let f = jicai::domain::catalog::ProductForm {
            drug_code: "M1".into(),
            manufacturer_uscc: maker.clone(),
            approval_number: format!("国药准字H9900000{i}"),
            units_per_package: "10".into(),
            reference_price: p.to_string(),
            ..Default::default()
        };
        catalog::create_product(&mut c, &act, &f.validate().unwrap()).unwrap();
    }
    // 0.1 + 0.2 is exactly 0.3 here, and the largest sum keeps its last digit.
    assert_eq!(
        catalog::reference_price_total(&mut c, d.id)
            .unwrap()
            .to_string(),
        "10000000.2999"
    );
    let sorted = catalog::list_products(
        &mut c,
        &catalog::ProductFilter {
            drug_id: Some(d.id),
            by_price: true,
            ..Default::default()
        },
        &PageRequest::new(None, None),
    )
    .unwrap();
    let got: Vec<String> = sorted
        .items
        .iter()
        .map(|p| p.reference_price.unwrap().to_string())
        .collect();
    assert_eq!(got, vec!["0.0001", "0.10", "0.20", "9999999.9998"]);
}

async fn audit_chain_verifies_and_detects_tampering(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut c = Client::logged_in(app, "center", "/regions/new").await;
    let r = c
        .post(
            "/regions",
            &[
                ("code", "340999"),
                ("name_zh", "测试县"),
                ("name_en", "Test County"),
                ("level", "county"),
                ("parent_code", "340100"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let v = audit::verify(&mut conn(&state)).unwrap();
    assert!(v.broken.is_none(), "{:?}", v.broken);
    assert!(v.records > 100);
    let last = audit::recent(&mut conn(&state), Some("region"), 1)
        .unwrap()
        .remove(0);
    assert_eq!(last.actor, "center");
    assert_eq!(last.action, "create");
    assert!(last.after.contains("340999"));
    let page = c.get("/audit").await;
    assert!(page.body.contains(&v.records.to_string()));
    // Someone edits a record behind the platform's back.
    diesel::sql_query("UPDATE audit_log SET after_json = '{\"code\":\"340998\"}' WHERE id = 5")
        .execute(&mut conn(&state))
        .unwrap();
    let v = audit::verify(&mut conn(&state)).unwrap();
    assert_eq!(v.broken.as_ref().map(|b| b.id), Some(5), "{:?}", v.broken);
    // The command says so and fails.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jicai"))
        .args(["audit", "verify"])
        .env("JICAI_DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("broken at record 5"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Audit records are written with their transaction and chained by the sealer: a failed
/// transaction leaves none, a savepoint rolled back leaves none of its own, and writers on
/// several connections with two sealers running at once leave one unbroken chain with every
/// record, each once.
async fn audit_records_follow_their_transaction(db: TestDb) {
    use jicai::store::{write_tx, Act, StoreError};
    let state = state_with_demo(&db);
    let before = audit::verify(&mut conn(&state)).unwrap().records;
    let act = Act::new("tester", chrono::Utc::now());
    let failed: Result<(), StoreError> = write_tx(&mut conn(&state), |c| {
        audit::append(c, &act, "try", "thing", 1, None::<&()>, Some(&"one"))?;
        Err(StoreError::NotFound(
            jicai::domain::Code::RecordNotFound.into(),
        ))
    });
    assert!(failed.is_err());
    assert_eq!(audit::verify(&mut conn(&state)).unwrap().records, before);
    write_tx(&mut conn(&state), |c| {
        audit::append(c, &act, "outer", "thing", 2, None::<&()>, Some(&"kept"))?;
        let inner: Result<(), StoreError> = write_tx(c, |c| {
            audit::append(c, &act, "inner", "thing", 3, None::<&()>, Some(&"dropped"))?;
            Err(StoreError::NotFound(
                jicai::domain::Code::RecordNotFound.into(),
            ))
        });
        assert!(inner.is_err());
        write_tx(c, |c| {
            audit::append(c, &act, "inner", "thing", 4, None::<&()>, Some(&"kept too"))
        })
    })
    .unwrap();
    let v = audit::verify(&mut conn(&state)).unwrap();
    assert!(v.broken.is_none(), "{:?}", v.broken);
    assert_eq!(v.records, before + 2);
    let ids: Vec<String> = audit::recent(&mut conn(&state), Some("thing"), 10)
        .unwrap()
        .into_iter()
        .map(|e| e.entity_id)
        .collect();
    assert_eq!(ids, vec!["4", "2"]);
    // Four writers at once, 25 transactions of two records each, while two sealers run.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sealers: Vec<_> = (0..2)
        .map(|_| {
            let (store, stop) = (state.store.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut c = store.conn().unwrap();
                let mut sealed = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    sealed += audit::seal(&mut c).unwrap();
                }
                sealed
            })
        })
        .collect();
    let threads: Vec<_> = (0..4)
        .map(|w| {
            let store = state.store.clone();
            std::thread::spawn(move || {
                let mut c = store.conn().unwrap();
                for k in 0..25 {
                    let act = Act::new(format!("writer{w}"), chrono::Utc::now());
                    write_tx(&mut c, |c| {
                        audit::append(c, &act, "a", "many", k, None::<&()>, Some(&w))?;
                        audit::append(c, &act, "b", "many", k, None::<&()>, Some(&w))
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let by_sealers: usize = sealers.into_iter().map(|t| t.join().unwrap()).sum();
    assert!(by_sealers <= 200, "{by_sealers}");
    let v = audit::verify(&mut conn(&state)).unwrap();
    assert!(v.broken.is_none(), "{:?}", v.broken);
    assert_eq!(v.records, before + 2 + 200);
    let many = audit::recent(&mut conn(&state), Some("many"), 1000).unwrap();
    let mut seen: Vec<(String, String, String)> = many
        .into_iter()
        .map(|e| (e.actor, e.action, e.entity_id))
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 200, "each record once");
}

async fn health_readiness_metrics_and_openapi(db: TestDb) {
    let mut state = state_with_demo(&db);
    state.config.metrics_token = Some("metrics-token-for-tests".into());
    let app = app(state.clone()).await;
    let mut c = Client::new(app);
    assert_eq!(c.get("/healthz").await.status, StatusCode::OK);
    let r = c.get("/readyz").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "ready"));
    // The metrics need their bearer token (tests/security.rs has the rest).
    assert_eq!(c.get("/metrics").await.status, StatusCode::UNAUTHORIZED);
    let m = c.api_get("/metrics", "metrics-token-for-tests").await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(m.body.contains("jicai_http_requests_total"), "{}", m.body);
    let doc = c.get("/api/openapi.json").await.json();
    let paths: Vec<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    for p in [
        "/api/v1/drugs",
        "/api/v1/drugs/{id}",
        "/api/v1/me",
        "/api/v1/institutions",
        "/api/v1/suppliers/{id}/licences",
    ] {
        assert!(paths.iter().any(|x| x == p), "{p} documented: {paths:?}");
    }
    // Every documented GET answers (not 404 for an unknown route) with a token.
    let token = token_for(&state, "center");
    for p in &paths {
        if doc["paths"][p].get("get").is_none() {
            continue;
        }
        let r = c
            .api_get(&p.replace("{id}", "1").replace("{lot}", "1"), &token)
            .await;
        // A tender's custody file is its custodians' alone (center staff who are not are
        // refused: tests/quorum.rs fetches it as a custodian).
        if p == "/api/v1/tenders/{id}/custody" {
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{p}: {}", r.body);
            assert!(r.body.contains("not_a_custodian"), "{}", r.body);
            continue;
        }
        assert!(r.status == StatusCode::OK, "{p}: {} {}", r.status, r.body);
    }
}

async fn search_and_paging_of_the_catalog(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut c = Client::new(app);
    let token = token_for(&state, "institution");
    let r = c.api_get("/api/v1/drugs?q=AMOX", &token).await;
    let j = r.json();
    assert!(
        j["total"].as_i64().unwrap() >= 1,
        "case-insensitive INN search: {j}"
    );
    assert!(j["items"].as_array().unwrap().iter().all(|d| d["inn"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("amox")));
    let r = c
        .api_get("/api/v1/drugs?per_page=7&page=2", &token)
        .await
        .json();
    assert_eq!(r["items"].as_array().unwrap().len(), 7);
    assert_eq!(r["page"], 2);
    let r = c.api_get("/api/v1/drugs?q=%25", &token).await.json();
    assert_eq!(r["total"], 0, "a typed % is not a wildcard");
    c.login("center", PW).await;
    let page = c
        .get(&format!("/drugs?q={}", urlencoding::encode("阿莫西林")))
        .await;
    assert!(page.body.contains("阿莫西林"));
    let page = c.get("/drugs?page=2").await;
    assert!(page.body.contains("rel=\"prev\""));
}

async fn language_follows_browser_and_switch(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    let r = c.get("/login").await;
    assert!(r.body.contains("登录"));
    let resp = actix_web::test::call_service(
        &*app,
        actix_web::test::TestRequest::get()
            .uri("/login")
            .insert_header(("Accept-Language", "en-US,en;q=0.9"))
            .to_request(),
    )
    .await;
    let body = String::from_utf8(actix_web::test::read_body(resp).await.to_vec()).unwrap();
    assert!(body.contains("Log in"), "{body}");
    c.login("center", PW).await;
    // A POST of the header's form (a GET changes nothing).
    assert_ne!(c.get("/lang/en").await.status, StatusCode::SEE_OTHER);
    c.get("/home").await;
    let r = c.post("/lang/en", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(c.get("/home").await.body.contains("Welcome"));
    assert_eq!(
        users::by_username(&mut conn(&state), "center")
            .unwrap()
            .unwrap()
            .language,
        "en"
    );
    assert_eq!(c.post("/lang/fr", &[]).await.status, StatusCode::NOT_FOUND);
}

/// A role, a supplier's kind or a region's level that the database holds but the program does
/// not know (written behind its back) is an error when read: that user cannot act (the API and
/// the login answer 500 without the word) rather than acting in some default role.
async fn an_unknown_stored_role_or_kind_is_an_error_not_a_default(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    let regulator = common::token_for(&state, "regulator");
    let center = common::token_for(&state, "center");
    let set = |sql: &str| {
        diesel::sql_query(sql).execute(&mut conn(&state)).unwrap();
    };
    set("UPDATE users SET role = 'admin' WHERE username = 'regulator'");
    let e = users::by_username(&mut conn(&state), "regulator").unwrap_err();
    assert!(
        e.to_string()
            .ends_with("the database holds \"admin\", which is not a word of Role"),
        "{e}"
    );
    let r = c.api_get("/api/v1/me", &regulator).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
    assert!(!r.body.contains("admin"), "{}", r.body);
    let r = c.login("regulator", PW).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!r.body.contains("admin"), "{}", r.body);
    // Everyone else goes on as before.
    let r = c.api_get("/api/v1/me", &center).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["role"], "center");

    let supplier = first_supplier(&state, None).id;
    set(&format!(
        "UPDATE suppliers SET kind = 'wholesaler' WHERE id = {supplier}"
    ));
    assert!(parties::get_supplier(&mut conn(&state), supplier).is_err());
    let r = c.api_get("/api/v1/suppliers", &center).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
    assert!(!r.body.contains("wholesaler"), "{}", r.body);

    set("UPDATE regions SET level = 'District' WHERE level = 'county'");
    assert!(jicai::store::regions::all(&mut conn(&state)).is_err());
    let r = c.api_get("/api/v1/regions", &center).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
    assert!(!r.body.contains("District"), "{}", r.body);
}

on_both_databases!(
    demo: login_logout_and_home,
    an_unknown_stored_role_or_kind_is_an_error_not_a_default,
    wrong_password_is_refused,
    login_is_throttled_after_repeated_failures,
    form_without_csrf_token_is_refused,
    regulator_reads_everything_and_writes_nothing,
    supplier_sees_and_edits_only_its_own,
    institution_user_sees_own_and_its_village_clinics,
    api_tokens_authenticate_and_revocation_ends_them,
    api_enforces_roles_and_ownership,
    identifiers_are_validated_with_the_field_named,
    csv_import_is_all_or_nothing_with_a_row_report,
    xlsx_import_of_products,
    money_sums_and_sorts_exactly_in_sql,
    audit_chain_verifies_and_detects_tampering,
    audit_records_follow_their_transaction,
    health_readiness_metrics_and_openapi,
    search_and_paging_of_the_catalog,
    language_follows_browser_and_switch,
);
