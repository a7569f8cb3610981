//! A whole tender over HTTP, on both databases: demand collection, a tender with a lot, three
//! suppliers (one disqualified), a replaced bid, a bid after the deadline, sealed prices,
//! technical review, opening, provisional award, an objection, the final award, contracts, and
//! the public results; and the refusals along the way.

mod common;

use actix_web::http::StatusCode;
use chrono::Duration;
use common::{app, d0012_bidders, state_with_demo, supplier_user, token_for, Client, TestDb, PW};
use jicai::domain::paging::PageRequest;
use jicai::domain::roles::Scope;
use jicai::domain::tender::{BidStatus, TechnicalResult, TenderState};
use jicai::domain::Code;
use jicai::store::{audit, catalog, parties, tenders as ts, users, Act};
use jicai::web::AppState;

fn conn(state: &AppState) -> jicai::store::Conn {
    state.store.conn().unwrap()
}

fn id_from(location: Option<&str>) -> i64 {
    location
        .and_then(|l| l.rsplit('/').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no id in {location:?}"))
}

fn local(state: &AppState, d: Duration) -> String {
    (state.clock.now() + d)
        .with_timezone(&state.config.time_zone)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Validates an OCDS release package against the schema in ../shared/ocds-1.1.5 (offline).
fn assert_valid_ocds(pkg: &serde_json::Value) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/ocds-1.1.5");
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap()
    };
    let release = read("release-schema.json");
    let package = read("release-package-schema.json");
    let v = jsonschema::options()
        .with_resource(
            "https://standard.open-contracting.org/schema/1__1__5/release-schema.json",
            jsonschema::Resource::from_contents(release).unwrap(),
        )
        .build(&package)
        .unwrap();
    let errors: Vec<String> = v
        .iter_errors(pkg)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "OCDS package invalid: {errors:#?}\n{pkg:#}"
    );
}

/// The fields of the bid page's form: the product, an annual capacity of 100,000 and the
/// package price as typed.
fn bid_fields<'a>(product: &'a str, price: &'a str) -> [(&'static str, &'a str); 3] {
    [
        ("product_id", product),
        ("annual_capacity", "100000"),
        ("package_price", price),
    ]
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

struct Setup {
    drug_code: String,
    /// (supplier id, product id) of two qualified manufacturers and one whose GMP has expired.
    good: Vec<(i64, i64)>,
    expired: (i64, i64),
    township: i64,
    clinic_code: String,
}

fn setup(state: &AppState) -> Setup {
    let (good, expired) = d0012_bidders(state);
    let mut c = conn(state);
    assert!(
        good.len() >= 2,
        "two qualified manufacturers of D0012 in the demo"
    );
    let inst = users::by_username(&mut c, "institution")
        .unwrap()
        .unwrap()
        .institution_id
        .unwrap();
    let kids = parties::children_of(&mut c, inst).unwrap();
    let clinic = parties::get_institution(&mut c, kids[0]).unwrap();
    Setup {
        drug_code: "D0012".into(),
        good,
        expired,
        township: inst,
        clinic_code: clinic.code,
    }
}

async fn a_whole_tender(db: TestDb) {
    let state = state_with_demo(&db);
    let s = setup(&state);
    let app = app(state.clone()).await;
    let mut center = Client::new(app.clone());
    assert_eq!(
        center.login("center", PW).await.status,
        StatusCode::SEE_OTHER
    );
    center.get("/home").await;

    // 1. Demand collection.
    let r = center
        .post(
            "/demand",
            &[
                ("title", "2027 essential drugs"),
                ("closes_at", &local(&state, Duration::days(1))),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let window = id_from(r.location());
    let mut inst = Client::logged_in(app.clone(), "institution", "/home").await;
    let r = inst.get(&format!("/demand/{window}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = inst
        .post(
            &format!("/demand/{window}/report"),
            &[
                ("institution_id", &s.township.to_string()),
                ("drug_code", &s.drug_code),
                ("quantity", "1000"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // A spreadsheet for the village clinic, with one bad row first: nothing is written.
    let bad = format!(
        "institution_code,drug_code,quantity\n{},{},500\n{},NOPE,5\n",
        s.clinic_code, s.drug_code, s.clinic_code
    );
    let r = inst
        .upload(
            &format!("/demand/{window}/upload"),
            "demand.csv",
            bad.as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains(r#"data-code="no_drug_with_code""#) && r.body.contains("NOPE"),
        "{}",
        r.body
    );
    let good = format!(
        "institution_code,drug_code,quantity\n{},{},500\n",
        s.clinic_code, s.drug_code
    );
    let r = inst
        .upload(
            &format!("/demand/{window}/upload"),
            "demand.csv",
            good.as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // An institution cannot report for another institution.
    let kids = parties::children_of(&mut conn(&state), s.township).unwrap();
    let others = parties::list_institutions(
        &mut conn(&state),
        &Scope::All,
        "",
        None,
        &PageRequest::new(Some(1), Some(200)),
    )
    .unwrap()
    .items;
    let other = others
        .iter()
        .find(|i| i.id != s.township && !kids.contains(&i.id))
        .unwrap();
    let r = inst
        .post(
            &format!("/demand/{window}/report"),
            &[
                ("institution_id", &other.id.to_string()),
                ("drug_code", &s.drug_code),
                ("quantity", "99"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = center.get(&format!("/demand/{window}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("1500"),
        "the center sees the total: {}",
        r.body
    );
    // The totals name the drug in the reader's language, its code beside it.
    let drug = jicai::store::catalog::drug_by_code(&mut conn(&state), &s.drug_code)
        .unwrap()
        .unwrap();
    let names = jicai::store::names::names_of(&drug);
    assert!(
        r.body
            .contains(&format!("{} ({})", names.label(true), s.drug_code)),
        "the totals by county name the drug: {}",
        r.body
    );
    assert!(
        r.body.contains(&format!(">{}</td>", names.label(true))),
        "the totals by drug name the drug: {}",
        r.body
    );
    center.post("/lang/en", &[]).await;
    let r = center.get(&format!("/demand/{window}")).await;
    assert!(
        r.body.contains(&format!(">{}</td>", names.label(false))),
        "in English: {}",
        r.body
    );
    center.post("/lang/zh-CN", &[]).await;
    let r = inst.get(&format!("/demand/{window}")).await;
    assert!(
        r.body.contains(&format!(">{}</td>", names.label(true))),
        "the institution's own reports name the drug: {}",
        r.body
    );
    // Suppliers do not see demand collection.
    let (sa, pa) = s.good[0];
    let (sb, pb) = s.good[1];
    let (sc, pc) = s.expired;
    let mut a = Client::logged_in(app.clone(), &supplier_user(&state, sa), "/home").await;
    let mut b = Client::logged_in(app.clone(), &supplier_user(&state, sb), "/home").await;
    let mut cc = Client::logged_in(app.clone(), &supplier_user(&state, sc), "/home").await;
    assert_eq!(
        a.get(&format!("/demand/{window}")).await.status,
        StatusCode::FORBIDDEN
    );

    // 2. The tender, in draft: suppliers see nothing of it.
    let lots = format!("{}, 2.00, lowest_price, 2, no, 70", s.drug_code);
    let r = center
        .post(
            "/tenders",
            &[
                ("title", "2027 tender"),
                ("window_id", &window.to_string()),
                ("bid_deadline", &local(&state, Duration::days(2))),
                ("contract_months", "12"),
                ("lots", &lots),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let tender = id_from(r.location());
    let lot = ts::lots_of(&mut conn(&state), tender).unwrap()[0].clone();
    assert_eq!(lot.reported_demand, 1500);
    assert_eq!(lot.agreed_volume, 1050);
    assert_eq!(
        a.get(&format!("/tenders/{tender}")).await.status,
        StatusCode::NOT_FOUND
    );
    let bid_path = format!("/tenders/{tender}/lots/{}/bid", lot.id);
    let bid = |product: i64, price: &'static str| (product.to_string(), price);
    let (p, price) = bid(pa, "30.00");
    let r = a.multipart(&bid_path, &bid_fields(&p, price), &[]).await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "a bid on a draft tender is refused: its lots do not exist for a supplier yet"
    );
    // Wrong role: a supplier cannot publish; the center cannot open envelopes of a draft.
    assert_eq!(
        a.post_status(&format!("/tenders/{tender}/actions/publish"), &[])
            .await,
        StatusCode::FORBIDDEN
    );
    let r = center
        .post(&format!("/tenders/{tender}/actions/open_commercial"), &[])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains(r#"data-code="cannot_open_commercial""#),
        "{}",
        r.body
    );
    assert_eq!(
        center
            .post_status(&format!("/tenders/{tender}/actions/publish"), &[])
            .await,
        StatusCode::SEE_OTHER
    );

    // 3. Bids: A bids then replaces (lower), B bids, C (expired GMP) bids; D, an institution, cannot.
    let r = a.get(&bid_path).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = a
        .multipart(
            &bid_path,
            &bid_fields(&pa.to_string(), "30.00"),
            &[("documents", "gmp.pdf", PDF)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let receipt = a.get(r.location().unwrap()).await;
    assert!(receipt.body.contains("SHA-256"), "{}", receipt.body);
    let r = a
        .multipart(
            &bid_path,
            &bid_fields(&pa.to_string(), "27.00"),
            &[("documents", "gmp.pdf", PDF)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = b
        .multipart(&bid_path, &bid_fields(&pb.to_string(), "28.50"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = cc
        .multipart(&bid_path, &bid_fields(&pc.to_string(), "20.00"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // A document that is not a PDF, and a price that is not a number, are refused.
    let r = b
        .multipart(
            &bid_path,
            &bid_fields(&pb.to_string(), "28.50"),
            &[("documents", "x.pdf", b"hello")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = b
        .multipart(&bid_path, &bid_fields(&pb.to_string(), "cheap"), &[])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("not an amount"), "{}", r.body);
    assert_eq!(
        inst.multipart(
            &bid_path,
            &[
                ("product_id", &pa.to_string()),
                ("annual_capacity", "1"),
                ("package_price", "1")
            ],
            &[]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    {
        let mut c = conn(&state);
        let bids = ts::bids_of_lot(&mut c, lot.id).unwrap();
        assert_eq!(bids.len(), 3);
        let ba = bids.iter().find(|x| x.supplier_id == sa).unwrap();
        assert_eq!(ba.version, 2);
        assert_eq!(
            ts::bid_versions_count(&mut c, ba.id).unwrap(),
            2,
            "every version is kept"
        );
        // Sealed: no price anywhere in the clear before the opening.
        for x in &bids {
            assert!(x.unit_price.is_none() && x.package_price.is_none());
            assert!(
                !x.commercial_sealed.contains("27.00") && !x.commercial_sealed.contains("28.50")
            );
        }
    }
    // The API: a supplier reads its own bid (no price), never another's; no award, no OCDS awards.
    let ta = token_for(&state, &format!("s{sa}"));
    let (bid_a, bid_b) = {
        let bids = ts::bids_of_lot(&mut conn(&state), lot.id).unwrap();
        (
            bids.iter().find(|x| x.supplier_id == sa).unwrap().id,
            bids.iter().find(|x| x.supplier_id == sb).unwrap().id,
        )
    };
    let r = a.api_get(&format!("/api/v1/bids/{bid_a}"), &ta).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.json()["unit_price"].is_null());
    assert_eq!(r.json()["version"], 2);
    assert_eq!(
        a.api_get_status(&format!("/api/v1/bids/{bid_b}"), &ta)
            .await,
        StatusCode::NOT_FOUND,
        "another supplier's bid"
    );
    let r = a.api_get(&format!("/api/v1/tenders/{tender}"), &ta).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["lots"][0]["award"].is_null());
    let r = a
        .api("GET", &format!("/api/v1/tenders/{tender}/ocds"), None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_valid_ocds(&r.json());
    assert!(
        r.json()["releases"][0].get("awards").is_none(),
        "no award before it is published"
    );
    assert!(
        !r.body.contains("27.0")
            && !r.body.contains("0.9")
            && r.json()["releases"][0].get("bids").is_none(),
        "no price in the open data"
    );
    // A bid over the API: one more replacement by A, with its receipt.
    let r = a
        .api_post(&format!("/api/v1/lots/{}/bid", lot.id), &ta, Some(serde_json::json!({"product_id": pa, "annual_capacity": 100000, "package_price": "27.00"})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["version"], 3);
    assert_eq!(r.json()["commercial_digest"].as_str().unwrap().len(), 64);

    // No price, in any page, for anyone, before the opening.
    for who in [&mut center, &mut a, &mut b] {
        let r = who.get(&format!("/tenders/{tender}")).await;
        assert_eq!(r.status, StatusCode::OK);
        for secret in ["27.00", "28.50", "0.90", "0.95", "20.00"] {
            assert!(
                !r.body.contains(secret),
                "price {secret} shown before the opening"
            );
        }
    }
    // Closing before the deadline is refused.
    let r = center
        .post(&format!("/tenders/{tender}/actions/close"), &[])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // 4. The deadline passes (server clock): late bids and withdrawals are refused.
    state
        .clock
        .advance(Duration::days(2) + Duration::minutes(1));
    let r = b
        .multipart(&bid_path, &bid_fields(&pb.to_string(), "10.00"), &[])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("deadline"), "{}", r.body);
    let r = b
        .post(&format!("/tenders/{tender}/lots/{}/withdraw", lot.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let r = a
        .api_post(&format!("/api/v1/lots/{}/bid", lot.id), &ta, Some(serde_json::json!({"product_id": pa, "annual_capacity": 100000, "package_price": "1.00"})))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "late over the API too"
    );

    // 5. Technical opening: C fails on its expired GMP; experts score nothing on a lowest-price lot.
    assert_eq!(
        center
            .post_status(&format!("/tenders/{tender}/actions/open_technical"), &[])
            .await,
        StatusCode::SEE_OTHER
    );
    let bc = ts::bids_of_lot(&mut conn(&state), lot.id)
        .unwrap()
        .into_iter()
        .find(|x| x.supplier_id == sc)
        .unwrap();
    assert_eq!(bc.technical_result, Some(TechnicalResult::Failed));
    assert!(
        bc.reason_msgs()
            .iter()
            .any(|m| m.code == Code::NoValidGmpCertificate),
        "{:?}",
        bc.reason_msgs()
    );
    let mut expert = Client::logged_in(app.clone(), "expert", "/home").await;
    let r = expert
        .post(&format!("/bids/{}/score", bc.id), &[("score", "80")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        a.post_status(&format!("/bids/{}/score", bc.id), &[("score", "80")])
            .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        center
            .post_status(&format!("/tenders/{tender}/actions/publish_technical"), &[])
            .await,
        StatusCode::SEE_OTHER
    );
    let r = cc.get(&format!("/tenders/{tender}")).await;
    assert!(
        r.body.contains("GMP"),
        "the supplier sees its own reasons: {}",
        r.body
    );
    let r = a.get(&format!("/tenders/{tender}")).await;
    assert!(!r.body.contains("GMP"), "…and no one else's");
    for secret in ["27.00", "0.90", "0.95"] {
        assert!(!center
            .get(&format!("/tenders/{tender}"))
            .await
            .body
            .contains(secret));
    }

    // 6. Commercial opening and the provisional award: A wins at 27.00 / 30 = 0.90 per tablet.
    assert_eq!(
        center
            .post_status(&format!("/tenders/{tender}/actions/open_commercial"), &[])
            .await,
        StatusCode::SEE_OTHER
    );
    let bc = ts::bid(&mut conn(&state), bc.id).unwrap();
    assert!(
        bc.unit_price.is_none(),
        "a disqualified bid's envelope stays sealed"
    );
    assert_eq!(
        center
            .post_status(&format!("/tenders/{tender}/actions/publish_award"), &[])
            .await,
        StatusCode::SEE_OTHER
    );
    let r = a.get(&format!("/tenders/{tender}")).await;
    assert!(r.body.contains("0.90"), "{}", r.body);
    let r = b
        .post(
            &format!("/tenders/{tender}/lots/{}/objection", lot.id),
            &[("text", "Our capacity was understated.")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = inst
        .post(
            &format!("/tenders/{tender}/lots/{}/objection", lot.id),
            &[("text", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = center
        .post(&format!("/tenders/{tender}/actions/finalize"), &[])
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not while the objection window is open"
    );
    let obj = ts::objections_of(&mut conn(&state), tender).unwrap()[0].id;
    assert_eq!(
        a.post_status(&format!("/objections/{obj}/answer"), &[("answer", "no")])
            .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        center
            .post_status(
                &format!("/objections/{obj}/answer"),
                &[("answer", "Capacity was checked; the review stands.")]
            )
            .await,
        StatusCode::SEE_OTHER
    );
    state.clock.advance(Duration::days(4));
    let r = b
        .post(
            &format!("/tenders/{tender}/lots/{}/objection", lot.id),
            &[("text", "late")],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "objections after the window are refused"
    );
    assert_eq!(
        center
            .post_status(&format!("/tenders/{tender}/actions/finalize"), &[])
            .await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        center
            .post_status(&format!("/tenders/{tender}/actions/contract"), &[])
            .await,
        StatusCode::SEE_OTHER
    );
    let r = center
        .post(
            &format!("/tenders/{tender}/actions/cancel"),
            &[("reason", "too late")],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a contracted tender cannot be cancelled"
    );

    // 7. Contracts: one, to A, at 0.90, 1050 units split 700 / 350.
    let contracts = ts::contracts_of_tender(&mut conn(&state), tender).unwrap();
    assert_eq!(contracts.len(), 1);
    let k = &contracts[0];
    assert_eq!(k.supplier_id, sa);
    assert_eq!(k.unit_price, 9_000);
    assert_eq!(k.committed_volume, 1050);
    let alloc = ts::allocations_of(&mut conn(&state), k.id).unwrap();
    let mut vols: Vec<i64> = alloc.iter().map(|x| x.1).collect();
    vols.sort();
    assert_eq!(vols, vec![350, 700]);
    let r = inst.get("/contracts").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("700") && r.body.contains("0.90"),
        "{}",
        r.body
    );
    assert_eq!(
        b.get(&format!("/contracts/{}", k.id)).await.status,
        StatusCode::NOT_FOUND,
        "another supplier's contract"
    );
    // A names a distributor for the county; B may not; a manufacturer is not a distributor.
    let county = ts::counties_of_contract(&mut conn(&state), k.id).unwrap()[0].0;
    let dists = ts::licensed_distributors(&mut conn(&state)).unwrap();
    let r = a
        .post(
            &format!("/contracts/{}/distributors", k.id),
            &[
                ("county_id", &county.to_string()),
                ("distributor_id", &dists[0].0.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = b
        .post(
            &format!("/contracts/{}/distributors", k.id),
            &[
                ("county_id", &county.to_string()),
                ("distributor_id", &dists[0].0.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = a
        .post(
            &format!("/contracts/{}/distributors", k.id),
            &[
                ("county_id", &county.to_string()),
                ("distributor_id", &sb.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        ts::distributors_of(&mut conn(&state), k.id).unwrap().len(),
        1
    );

    // 8. The public results, without logging in.
    let mut anon = Client::new(app.clone());
    let r = anon.get("/results").await;
    assert_eq!(r.status, StatusCode::OK);
    let winner = parties::get_supplier(&mut conn(&state), sa).unwrap().name;
    assert!(
        r.body.contains(&winner) && r.body.contains("0.90") && r.body.contains("1,050"),
        "{}",
        r.body
    );
    // In English the lots name their drugs by the generic name, on the results and on the
    // tender's own page.
    let lot_drug = ts::lots_with_drugs(&mut conn(&state), tender).unwrap()[0]
        .0
        .drug_id;
    let drug = jicai::store::catalog::get_drug(&mut conn(&state), lot_drug).unwrap();
    anon.post("/lang/en", &[]).await;
    let r = anon.get("/results").await;
    assert!(
        r.body
            .contains(&format!("{} {} {}", drug.code, drug.inn, drug.strength)),
        "{}",
        r.body
    );
    assert!(!r.body.contains(&drug.name_zh), "{}", r.body);

    // The OCDS package: valid, with the award and the contract.
    let r = anon.get(&format!("/api/v1/tenders/{tender}/ocds")).await;
    assert_eq!(r.status, StatusCode::OK);
    let pkg = r.json();
    assert_valid_ocds(&pkg);
    let rel = &pkg["releases"][0];
    assert_eq!(rel["awards"].as_array().unwrap().len(), 1);
    assert_eq!(rel["awards"][0]["items"][0]["quantity"], 1050);
    assert_eq!(rel["contracts"][0]["status"], "active");
    assert_eq!(rel["bids"]["statistics"][0]["value"], 3);
    let r = anon.get("/api/v1/ocds").await;
    assert_valid_ocds(&r.json());

    // 9. Every step is in the audit log, and the chain holds.
    let v = audit::verify(&mut conn(&state)).unwrap();
    assert!(v.broken.is_none());
    let entries = audit::recent(&mut conn(&state), Some("tender"), 100).unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "create",
        "publish",
        "open_technical",
        "publish_technical",
        "open_commercial",
        "publish_award",
        "finalize",
        "contract",
    ] {
        assert!(actions.contains(&a), "audit has {a}: {actions:?}");
    }
}

async fn the_demo_has_a_finished_and_an_open_tender(db: TestDb) {
    let state = state_with_demo(&db);
    let all = ts::tenders_list(&mut conn(&state)).unwrap();
    let states: Vec<TenderState> = all.iter().map(|t| t.state).collect();
    assert!(
        states.contains(&TenderState::Contracted) && states.contains(&TenderState::Open),
        "{states:?}"
    );
    let done = all
        .iter()
        .find(|t| t.state == TenderState::Contracted)
        .unwrap();
    let contracts = ts::contracts_of_tender(&mut conn(&state), done.id).unwrap();
    assert!(
        contracts.len() >= 4,
        "lowest price, three winners, composite: {} contracts",
        contracts.len()
    );
    for k in &contracts {
        let sum: i64 = ts::allocations_of(&mut conn(&state), k.id)
            .unwrap()
            .iter()
            .map(|a| a.1)
            .sum();
        assert_eq!(
            sum, k.committed_volume,
            "the institutions' parts sum to the committed volume"
        );
    }
    let app = app(state.clone()).await;
    let mut anon = Client::new(app);
    let r = anon.get("/api/v1/ocds").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_valid_ocds(&r.json());
    assert_eq!(r.json()["releases"].as_array().unwrap().len(), 2);
    assert!(anon.get("/results").await.body.contains("2026年度"));
}

/// A composite-score lot: publishing the technical results waits for the experts' scores, which
/// experts enter in the page; the better score wins over the lower price.
async fn experts_score_a_composite_lot(db: TestDb) {
    use jicai::domain::award::AwardPolicy;
    use jicai::domain::money::Money;
    use jicai::domain::tender::TenderAction;
    use jicai::store::tenders::{BidSubmission, LotSpec, TenderSpec};
    use rust_decimal::Decimal;
    let state = state_with_demo(&db);
    let s = setup(&state);
    let master = state.master.clone();
    let tz = state.config.time_zone;
    let now = state.clock.now();
    let act = Act::new("center", now);
    let tender_id;
    let lot_id;
    {
        let mut c = conn(&state);
        let province = jicai::store::regions::all(&mut c)
            .unwrap()
            .into_iter()
            .find(|r| r.parent_id.is_none())
            .unwrap();
        let w = ts::open_window(
            &mut c,
            &act,
            "composite demand",
            province.id,
            now + Duration::days(1),
        )
        .unwrap();
        let drug = catalog::drug_by_code(&mut c, &s.drug_code)
            .unwrap()
            .unwrap();
        ts::report_demand(&mut c, &act, w.id, s.township, drug.id, 1000).unwrap();
        let spec = TenderSpec {
            title: "composite".into(),
            region_id: province.id,
            window_id: w.id,
            bid_deadline: now + Duration::days(2),
            objection_days: 0,
            contract_months: 12,
            lots: vec![LotSpec {
                drug_id: drug.id,
                max_unit_price: Money::parse("m", "2.00").unwrap(),
                min_bidders: 2,
                consistency_required: false,
                policy: AwardPolicy::CompositeScore {
                    technical_weight: Decimal::new(6, 1),
                    price_weight: Decimal::new(4, 1),
                },
                agreed_share_bp: 7000,
            }],
        };
        let t = ts::create_tender(&mut c, &act, &master, &spec).unwrap();
        ts::apply_action(&mut c, &act, &master, tz, t.id, TenderAction::Publish, None).unwrap();
        let lot = ts::lots_of(&mut c, t.id).unwrap()[0].clone();
        for ((sid, pid), price) in [(s.good[0], "24.00"), (s.good[1], "27.00")] {
            let sub = BidSubmission {
                lot_id: lot.id,
                supplier_id: sid,
                product_id: pid,
                annual_capacity: 100_000,
                price: ts::PriceIn::Clear(Money::parse("p", price).unwrap()),
                documents: vec![],
                confirm_above_max: true,
            };
            ts::submit_bid(&mut c, &Act::new("supplier", now), &sub).unwrap();
        }
        state.clock.advance(Duration::days(3));
        ts::apply_action(
            &mut c,
            &Act::new("center", state.clock.now()),
            &master,
            tz,
            t.id,
            TenderAction::OpenTechnical,
            None,
        )
        .unwrap();
        tender_id = t.id;
        lot_id = lot.id;
    }
    let app = app(state.clone()).await;
    let mut center = Client::logged_in(app.clone(), "center", "/home").await;
    let r = center
        .post(
            &format!("/tenders/{tender_id}/actions/publish_technical"),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains(r#"data-code="lots_missing_scores""#),
        "{}",
        r.body
    );
    let mut expert = Client::logged_in(app.clone(), "expert", "/home").await;
    let page = expert.get(&format!("/tenders/{tender_id}")).await;
    assert!(
        page.body.contains("/score"),
        "the expert sees the score forms"
    );
    let bids = ts::bids_of_lot(&mut conn(&state), lot_id).unwrap();
    let ba = bids
        .iter()
        .find(|b| b.supplier_id == s.good[0].0)
        .unwrap()
        .id;
    let bb = bids
        .iter()
        .find(|b| b.supplier_id == s.good[1].0)
        .unwrap()
        .id;
    assert_eq!(
        expert
            .post_status(&format!("/bids/{ba}/score"), &[("score", "101")])
            .await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        center
            .post_status(&format!("/bids/{ba}/score"), &[("score", "50")])
            .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        expert
            .post_status(&format!("/bids/{ba}/score"), &[("score", "50")])
            .await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        expert
            .post_status(&format!("/bids/{bb}/score"), &[("score", "95")])
            .await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        center
            .post_status(
                &format!("/tenders/{tender_id}/actions/publish_technical"),
                &[]
            )
            .await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        expert
            .post_status(&format!("/bids/{bb}/score"), &[("score", "99")])
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "scores are closed once published"
    );
    assert_eq!(
        center
            .post_status(
                &format!("/tenders/{tender_id}/actions/open_commercial"),
                &[]
            )
            .await,
        StatusCode::SEE_OTHER
    );
    // A: 0.6 × 50 + 0.4 × 100 = 70; B: 0.6 × 95 + 0.4 × (0.80 ÷ 0.90 × 100) = 92.5556.
    let award = ts::lot(&mut conn(&state), lot_id)
        .unwrap()
        .result()
        .unwrap();
    assert_eq!(award.winners()[0].bid_id, bb);
    assert_eq!(award.winners()[0].score, Some(Decimal::new(925556, 4)));
}

/// One supplier's bid sent twice at the same moment (two threads, two connections): both are
/// taken, one as the replacement of the other; no error, nothing lost.
async fn a_bid_submitted_twice_at_once_counts_twice(db: TestDb) {
    use jicai::domain::money::Money;
    use jicai::store::tenders::BidSubmission;
    let state = state_with_demo(&db);
    let s = setup(&state);
    let open = ts::tenders_list(&mut conn(&state))
        .unwrap()
        .into_iter()
        .find(|t| t.state == TenderState::Open)
        .unwrap();
    let drug = catalog::drug_by_code(&mut conn(&state), &s.drug_code)
        .unwrap()
        .unwrap();
    let lot = ts::lots_of(&mut conn(&state), open.id)
        .unwrap()
        .into_iter()
        .find(|l| l.drug_id == drug.id)
        .unwrap();
    let (sid, pid) = s.good[1];
    let before = ts::bids_of_lot(&mut conn(&state), lot.id)
        .unwrap()
        .into_iter()
        .find(|b| b.supplier_id == sid)
        .map(|b| b.version)
        .unwrap_or(0);
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let handles: Vec<_> = ["21.00", "22.00"]
        .into_iter()
        .map(|price| {
            let store = state.store.clone();
            let barrier = barrier.clone();
            let now = state.clock.now();
            std::thread::spawn(move || {
                let mut c = store.conn().unwrap();
                let sub = BidSubmission {
                    lot_id: lot.id,
                    supplier_id: sid,
                    product_id: pid,
                    annual_capacity: 1_000_000,
                    price: ts::PriceIn::Clear(Money::parse("p", price).unwrap()),
                    documents: vec![],
                    confirm_above_max: true,
                };
                barrier.wait();
                ts::submit_bid(&mut c, &Act::new("supplier", now), &sub)
            })
        })
        .collect();
    let receipts: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().unwrap().expect("both submissions are taken"))
        .collect();
    let mut versions: Vec<i32> = receipts
        .iter()
        .map(|r| r.receipt.as_ref().expect("sealed").version)
        .collect();
    versions.sort();
    assert_eq!(versions, vec![before + 1, before + 2]);
    let b = ts::bids_of_lot(&mut conn(&state), lot.id)
        .unwrap()
        .into_iter()
        .find(|b| b.supplier_id == sid)
        .unwrap();
    assert_eq!(b.version, before + 2);
    assert_eq!(
        ts::bid_versions_count(&mut conn(&state), b.id).unwrap(),
        (before + 2) as i64
    );
}

/// A batch written in one transaction: new bids, a replacement, a refused one and the same bid
/// twice each get their own result; the refused one changes nothing; the audit chain holds.
/// Then many submissions at once through the bid writer: every one answered and stored once.
async fn bids_are_written_in_batches(db: TestDb) {
    use jicai::domain::money::Money;
    use jicai::store::tenders::BidSubmission;
    let state = state_with_demo(&db);
    let open = ts::tenders_list(&mut conn(&state))
        .unwrap()
        .into_iter()
        .find(|t| t.state == TenderState::Open)
        .unwrap();
    let lots = ts::lots_of(&mut conn(&state), open.id).unwrap();
    let now = state.clock.now();
    let mut pairs = vec![];
    for l in &lots {
        let f = catalog::ProductFilter {
            drug_id: Some(l.drug_id),
            ..Default::default()
        };
        for p in catalog::list_products(&mut conn(&state), &f, &PageRequest::new(Some(1), Some(50)))
            .unwrap()
            .items
        {
            // The bidder: the maker, or an imported product's national agent.
            pairs.push((l.id, p.national_agent_id.unwrap_or(p.manufacturer_id), p.id));
        }
    }
    assert!(pairs.len() >= 4, "{pairs:?}");
    let sub = |(lot_id, supplier_id, product_id): (i64, i64, i64), price: &str| BidSubmission {
        lot_id,
        supplier_id,
        product_id,
        annual_capacity: 1_000_000,
        price: ts::PriceIn::Clear(Money::parse("p", price).unwrap()),
        documents: vec![],
        confirm_above_max: true,
    };
    let act = Act::new("supplier", now);
    let before = ts::bids_of_lot(&mut conn(&state), pairs[0].0).unwrap();
    let existing_v = before
        .iter()
        .find(|b| b.supplier_id == pairs[0].1)
        .map(|b| b.version)
        .unwrap_or(0);
    let wrong_product = (
        pairs[0].0,
        pairs[1].1,
        lots.iter()
            .find(|l| l.id != pairs[0].0)
            .map(|l| pairs.iter().find(|p| p.0 == l.id).unwrap().2)
            .unwrap(),
    );
    let items = [
        (act.clone(), sub(pairs[0], "10.00")),
        (act.clone(), sub(pairs[1], "11.00")),
        (act.clone(), sub(wrong_product, "12.00")),
        (act.clone(), sub(pairs[0], "13.00")),
        (act.clone(), sub(pairs[2], "0")),
    ];
    let refs: Vec<(&Act, &BidSubmission)> = items.iter().map(|(a, s)| (a, s)).collect();
    let results = ts::submit_bids(&mut conn(&state), &refs).unwrap();
    let first = results[0].as_ref().unwrap().receipt.as_ref().unwrap();
    assert_eq!(first.version, existing_v + 1);
    assert!(results[1].is_ok());
    assert!(
        matches!(&results[2], Err(jicai::store::StoreError::Invalid(e)) if e[0].code() == Code::ProductNotOfLotDrug),
        "{:?}",
        results[2]
    );
    assert!(
        matches!(&results[3], Err(jicai::store::StoreError::Conflict(_))),
        "the same bid twice in one batch"
    );
    assert!(results[4].is_err(), "a zero price");
    assert!(audit::verify(&mut conn(&state)).unwrap().broken.is_none());

    // Through the writer, all at once: every pair, twice (a submission and a replacement).
    let writer = state.bids.clone();
    let futs = pairs.iter().chain(pairs.iter()).enumerate().map(|(k, p)| {
        let w = writer.clone();
        let s = sub(*p, &format!("{}.00", 20 + k));
        let a = Act::new("supplier", now);
        async move { w.submit(a, s).await }
    });
    let receipts = futures_util::future::join_all(futs).await;
    assert!(
        receipts.iter().all(|r| r.is_ok()),
        "{:?}",
        receipts.iter().filter(|r| r.is_err()).collect::<Vec<_>>()
    );
    for p in &pairs {
        let b = ts::bids_of_lot(&mut conn(&state), p.0)
            .unwrap()
            .into_iter()
            .find(|b| b.supplier_id == p.1)
            .unwrap();
        assert_eq!(
            ts::bid_versions_count(&mut conn(&state), b.id).unwrap(),
            b.version as i64,
            "every version kept once"
        );
    }
    let v = audit::verify(&mut conn(&state)).unwrap();
    assert!(v.broken.is_none(), "{:?}", v.broken);
}

/// The whole course over the JSON API only: window, demand, a multiple-winners tender, bids from
/// three suppliers, every step, an objection, contracts, a distributor; and the API's refusals.
async fn a_whole_tender_over_the_api(db: TestDb) {
    use serde_json::json;
    let state = state_with_demo(&db);
    let s = setup(&state);
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    let center = token_for(&state, "center");
    let inst = token_for(&state, "institution");
    let expert = token_for(&state, "expert");
    let rfc = |d: Duration| (state.clock.now() + d).to_rfc3339();
    let r = c
        .api_post(
            "/api/v1/demand",
            &center,
            Some(json!({"title": "API window", "closes_at": rfc(Duration::days(1))})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let window = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        c.api_post_status(
            "/api/v1/demand",
            &inst,
            Some(json!({"title": "x", "closes_at": rfc(Duration::days(1))}))
        )
        .await,
        StatusCode::FORBIDDEN
    );
    let r = c.api_post(&format!("/api/v1/demand/{window}/reports"), &inst, Some(json!([{"drug_code": s.drug_code, "quantity": 900}, {"institution_code": s.clinic_code, "drug_code": s.drug_code, "quantity": 600}, {"drug_code": "D0003", "quantity": 300}]))).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = c
        .api_get(&format!("/api/v1/demand/{window}/totals"), &center)
        .await;
    let by_drug = r.json()["by_drug"].clone();
    assert!(
        by_drug
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d[0] == s.drug_code.as_str() && d[2] == 1500),
        "{}",
        r.body
    );
    assert!(
        by_drug
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d[0] == "D0003" && d[2] == 300),
        "{}",
        r.body
    );
    assert_eq!(
        c.api_get_status(&format!("/api/v1/demand/{window}/totals"), &inst)
            .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        c.api_post_status(&format!("/api/v1/demand/{window}/close"), &center, None)
            .await,
        StatusCode::NO_CONTENT
    );
    // A tender with a bad lot is refused whole; then a good one.
    let bad = json!({"title": "API tender", "window_id": window, "bid_deadline": rfc(Duration::days(2)), "lots": [{"drug_code": "NOPE", "max_unit_price": "2", "policy": {"kind": "lowest_price"}}]});
    let r = c.api_post("/api/v1/tenders", &center, Some(bad)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("NOPE"));
    let good = json!({"title": "API tender", "window_id": window, "bid_deadline": rfc(Duration::days(2)),
        "lots": [{"drug_code": s.drug_code, "max_unit_price": "2.00", "consistency_required": false, "policy": {"kind": "multiple_winners", "max_winners": 3}},
                  {"drug_code": "D0003", "max_unit_price": "1.00", "policy": {"kind": "lowest_price"}}]});
    let r = c.api_post("/api/v1/tenders", &center, Some(good)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let tender = r.json()["id"].as_i64().unwrap();
    let lot = r.json()["lots"][0]["id"].as_i64().unwrap();
    assert_eq!(r.json()["state"], "draft");
    let step = |a: &str| format!("/api/v1/tenders/{tender}/actions/{a}");
    let r = c.api_post(&step("publish"), &center, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "open");
    let (sa, pa) = s.good[0];
    let (sb, pb) = s.good[1];
    let (sc, pc) = s.expired;
    let ta = token_for(&state, &supplier_user(&state, sa));
    let tb = token_for(&state, &supplier_user(&state, sb));
    let tc = token_for(&state, &supplier_user(&state, sc));
    assert_eq!(
        c.api_post_status(&step("open_technical"), &ta, None).await,
        StatusCode::FORBIDDEN
    );
    let lot_bid = format!("/api/v1/lots/{lot}/bid");
    for (t, p, price) in [(&ta, pa, "27.00"), (&tb, pb, "30.00"), (&tc, pc, "20.00")] {
        let r = c
            .api_post(
                &lot_bid,
                t,
                Some(json!({"product_id": p, "annual_capacity": 100000, "package_price": price})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    // B withdraws, then bids again: three versions, the last counts.
    assert_eq!(
        c.api_status("DELETE", &lot_bid, Some(&tb), None).await,
        StatusCode::NO_CONTENT
    );
    let b_bid = ts::bids_of_lot(&mut conn(&state), lot)
        .unwrap()
        .into_iter()
        .find(|b| b.supplier_id == sb)
        .unwrap();
    assert_eq!(b_bid.status, BidStatus::Withdrawn);
    assert_eq!(
        c.api_status("DELETE", &lot_bid, Some(&tb), None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "nothing left to withdraw"
    );
    let r = c
        .api_post(
            &lot_bid,
            &tb,
            Some(json!({"product_id": pb, "annual_capacity": 100000, "package_price": "30.00"})),
        )
        .await;
    assert_eq!(r.json()["version"], 3, "{}", r.body);
    state.clock.advance(Duration::days(3));
    for a in ["open_technical", "publish_technical", "open_commercial"] {
        let r = c.api_post(&step(a), &center, None).await;
        assert_eq!(r.status, StatusCode::OK, "{a}: {}", r.body);
    }
    let bid_c = ts::bids_of_lot(&mut conn(&state), lot)
        .unwrap()
        .into_iter()
        .find(|b| b.supplier_id == sc)
        .unwrap()
        .id;
    // C reads why its bid failed: each reason's code, its arguments and its words.
    let r = c.api_get(&format!("/api/v1/bids/{bid_c}"), &tc).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["technical_result"], "failed", "{}", r.body);
    let gmp = r.json()["technical_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["code"] == "no_valid_gmp_certificate")
        .cloned()
        .unwrap_or_else(|| panic!("no GMP reason: {}", r.body));
    assert!(gmp["args"]["deadline"].is_string(), "{gmp}");
    assert!(gmp["message"].as_str().unwrap().contains("GMP"), "{gmp}");
    let r = c
        .api_post(
            &format!("/api/v1/bids/{bid_c}/score"),
            &expert,
            Some(json!({"score": 80})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not while the prices are open"
    );
    assert_eq!(
        c.api_post_status(&step("publish_award"), &center, None)
            .await,
        StatusCode::OK
    );
    // Two winners (0.90 and 1.00 per unit, within 1.8 × the lowest); C was disqualified.
    let r = c.api_get(&format!("/api/v1/tenders/{tender}"), &tb).await;
    assert_eq!(
        r.json()["lots"][1]["award"]["outcome"]["outcome"],
        "failed",
        "a lot without bids fails: {}",
        r.body
    );
    let award = &r.json()["lots"][0]["award"];
    assert_eq!(
        award["outcome"]["winners"].as_array().unwrap().len(),
        2,
        "{}",
        r.body
    );
    let r = c
        .api_post(
            &format!("/api/v1/lots/{lot}/objections"),
            &tc,
            Some(json!({"text": "Our GMP certificate was renewed."})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let obj = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        c.api_post_status(&step("finalize"), &center, None).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        c.api_post_status(
            &format!("/api/v1/objections/{obj}/answer"),
            &tc,
            Some(json!({"text": "x"}))
        )
        .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        c.api_post_status(
            &format!("/api/v1/objections/{obj}/answer"),
            &center,
            Some(json!({"text": "The certificate had expired on the deadline."}))
        )
        .await,
        StatusCode::NO_CONTENT
    );
    state.clock.advance(Duration::days(4));
    assert_eq!(
        c.api_post_status(&step("finalize"), &center, None).await,
        StatusCode::OK
    );
    let r = c.api_post(&step("contract"), &center, None).await;
    assert_eq!(r.json()["state"], "contracted");
    let r = c.api_get("/api/v1/contracts", &ta).await;
    let mine: Vec<serde_json::Value> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["tender_id"] == tender)
        .cloned()
        .collect();
    assert_eq!(mine.len(), 1, "{}", r.body);
    assert_eq!(mine[0]["unit_price"], "0.90");
    let k = mine[0]["id"].as_i64().unwrap();
    let county = ts::counties_of_contract(&mut conn(&state), k).unwrap()[0].0;
    let dist = ts::licensed_distributors(&mut conn(&state)).unwrap()[0].0;
    let r = c
        .api_post(
            &format!("/api/v1/contracts/{k}/distributors"),
            &ta,
            Some(json!({"county_id": county, "distributor_id": dist})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(
        c.api_post_status(
            &format!("/api/v1/contracts/{k}/distributors"),
            &tb,
            Some(json!({"county_id": county, "distributor_id": dist}))
        )
        .await,
        StatusCode::NOT_FOUND
    );
    let r = c.api_get("/api/v1/contracts", &inst).await;
    let committed: i64 = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["tender_id"] == tender)
        .map(|x| x["committed_volume"].as_i64().unwrap())
        .sum();
    assert!(committed > 0, "{}", r.body);
    let r = c
        .api_post(&step("cancel"), &center, Some(json!({"reason": "late"})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        c.api_post_status(&step("fly"), &center, None).await,
        StatusCode::NOT_FOUND
    );
}

/// A word the tender states do not have, written into the column behind the program's back, is
/// an error when read (the page and the API answer 500 without showing it), not some state.
async fn an_unknown_stored_tender_state_is_an_error_not_a_default(db: TestDb) {
    use diesel::RunQueryDsl;
    let state = state_with_demo(&db);
    let all = ts::tenders_list(&mut conn(&state)).unwrap();
    let t = all
        .iter()
        .find(|t| t.state == TenderState::Open)
        .unwrap()
        .id;
    let lot = ts::lots_of(&mut conn(&state), t).unwrap()[0].id;
    diesel::sql_query(format!(
        "UPDATE tenders SET state = 'bogus_state' WHERE id = {t}"
    ))
    .execute(&mut conn(&state))
    .unwrap();
    match ts::tender(&mut conn(&state), t) {
        // The log says what and where; the reader below is told only that the server failed.
        Err(e @ jicai::store::StoreError::Db(diesel::result::Error::DeserializationError(_))) => {
            assert_eq!(
                e.to_string(),
                "database error: Error deserializing field 'state': the database holds \
             \"bogus_state\", which is not a word of TenderState"
            )
        }
        other => panic!("read as {other:?}"),
    }
    assert!(ts::tenders_list(&mut conn(&state)).is_err());
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    let center = token_for(&state, "center");
    for path in [
        format!("/api/v1/tenders/{t}"),
        "/api/v1/tenders".to_string(),
    ] {
        let r = c.api_get(&path, &center).await;
        assert_eq!(
            r.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{path}: {}",
            r.body
        );
        assert_eq!(r.json()["error"]["code"], "internal", "{}", r.body);
        assert!(!r.body.contains("bogus"), "{}", r.body);
    }
    let mut page = Client::new(app.clone());
    page.login("center", PW).await;
    let r = page.get(&format!("/tenders/{t}")).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!r.body.contains("bogus"), "{}", r.body);
    // The same for a lot's status, and a bid's.
    diesel::sql_query(format!("UPDATE tenders SET state = 'open' WHERE id = {t}"))
        .execute(&mut conn(&state))
        .unwrap();
    assert_eq!(
        ts::tender(&mut conn(&state), t).unwrap().state,
        TenderState::Open
    );
    diesel::sql_query(format!("UPDATE lots SET status = 'Open' WHERE id = {lot}"))
        .execute(&mut conn(&state))
        .unwrap();
    assert!(ts::lot(&mut conn(&state), lot).is_err());
    let r = c.api_get(&format!("/api/v1/tenders/{t}"), &center).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
}

/// `GET /api/v1/lots/{id}/objections`: center staff and regulators read every objection to a
/// lot with its answer, a bidder its own, experts and institutions none (403); a draft's lot
/// does not exist for a supplier.
async fn a_lots_objections_over_the_api_for_whom_may_read_them(db: TestDb) {
    use diesel::RunQueryDsl;
    use serde_json::json;
    let state = state_with_demo(&db);
    let all = ts::tenders_list(&mut conn(&state)).unwrap();
    let done = all
        .iter()
        .find(|t| t.state == TenderState::Contracted)
        .unwrap()
        .id;
    let open = all
        .iter()
        .find(|t| t.state == TenderState::Open)
        .unwrap()
        .id;
    let lot = ts::lots_of(&mut conn(&state), done).unwrap()[0].id;
    let mut bidders: Vec<i64> = ts::bids_of_lot(&mut conn(&state), lot)
        .unwrap()
        .iter()
        .map(|b| b.supplier_id)
        .collect();
    bidders.dedup();
    assert!(bidders.len() >= 2, "two bidders on the demo's lot");
    // The tender back in its objection window, behind the program's back.
    let until = (state.clock.now() + Duration::days(2)).format("%Y-%m-%d %H:%M:%S");
    diesel::sql_query(format!(
        "UPDATE tenders SET state = 'provisional', objection_deadline = '{until}' WHERE id = {done}"
    ))
    .execute(&mut conn(&state))
    .unwrap();
    let app = app(state.clone()).await;
    let mut c = Client::new(app);
    let a = token_for(&state, &supplier_user(&state, bidders[0]));
    let b = token_for(&state, &supplier_user(&state, bidders[1]));
    let path = format!("/api/v1/lots/{lot}/objections");
    let mut ids = vec![];
    for (t, text) in [(&a, "A objects"), (&b, "B objects")] {
        let r = c.api_post(&path, t, Some(json!({"text": text}))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(r.json()["id"].as_i64().unwrap());
    }
    let center = token_for(&state, "center");
    let r = c
        .api_post(
            &format!("/api/v1/objections/{}/answer", ids[0]),
            &center,
            Some(json!({"text": "Answered."})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    for who in ["center", "regulator"] {
        let r = c.api_get(&path, &token_for(&state, who)).await;
        assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.body);
        let list = r.json();
        let got: Vec<i64> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect();
        assert_eq!(got, ids, "{who} reads every objection: {}", r.body);
        assert_eq!(list[0]["answer"], "Answered.");
        assert!(list[0]["answered_at"].is_string());
        assert_eq!(list[1]["answer"], serde_json::Value::Null);
        assert_eq!(list[1]["supplier_id"], bidders[1]);
        assert_eq!(list[1]["text"], "B objects");
    }
    for (t, id, answer) in [(&a, ids[0], json!("Answered.")), (&b, ids[1], json!(null))] {
        let r = c.api_get(&path, t).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let list = r.json();
        assert_eq!(
            list.as_array().unwrap().len(),
            1,
            "its own only: {}",
            r.body
        );
        assert_eq!(list[0]["id"], id);
        assert_eq!(list[0]["answer"], answer);
    }
    for who in ["expert", "institution"] {
        let r = c.api_get(&path, &token_for(&state, who)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
        assert_eq!(
            r.json()["error"]["reason"],
            "objections_staff_and_lodgers_only"
        );
    }
    // A draft's lot is not there for a supplier; staff read it (no objections).
    diesel::sql_query(format!(
        "UPDATE tenders SET state = 'draft', published_at = NULL WHERE id = {open}"
    ))
    .execute(&mut conn(&state))
    .unwrap();
    let draft_lot = ts::lots_of(&mut conn(&state), open).unwrap()[0].id;
    let draft_path = format!("/api/v1/lots/{draft_lot}/objections");
    let r = c.api_get(&draft_path, &a).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = c.api_get(&draft_path, &center).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json(), json!([]));
    let r = c.api_get("/api/v1/lots/999999/objections", &center).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
}

on_both_databases!(
    demo: a_whole_tender_over_the_api,
    a_lots_objections_over_the_api_for_whom_may_read_them,
    an_unknown_stored_tender_state_is_an_error_not_a_default,
    a_whole_tender,
    the_demo_has_a_finished_and_an_open_tender,
    experts_score_a_composite_lot,
    a_bid_submitted_twice_at_once_counts_twice,
    bids_are_written_in_batches
);
