//! Key custody for people, over HTTP on both databases: the custodian's page (register the key,
//! the tenders and what each waits for, the custody file to download, the uploads with their
//! refusals next to the field), the tender page's custody section (appointment, progress, the
//! tender key, the opening waiting, the digest list after the deadline, the digests in OCDS),
//! the `sealing` job's e-mails (one per custodian and step, never twice), who may not see any of
//! it, and the label of tenders sealed by the server.

mod common;

use actix_web::http::StatusCode;
use chrono::Duration;
use common::{
    app, center_user, d0012_bidders, draft_tender_d0012, state_with_demo, supplier_user, token_for,
    user_id, Client, TestDb, PW,
};
use diesel::prelude::*;
use jicai::sealing::custodian::{self as cu, CustodyFile};
use jicai::sealing::quorum::{self, CustodianKey};
use jicai::store::schema::{bids, lots, outbox, tenders};
use serde_json::json;

const KEEPERS: usize = 3;

/// The outbox messages whose key starts with `prefix`: (key, recipient).
fn mails(state: &jicai::web::AppState, prefix: &str) -> Vec<(String, String)> {
    outbox::table
        .filter(outbox::dedup_key.like(format!("{prefix}%")))
        .order(outbox::id.asc())
        .select((outbox::dedup_key, outbox::recipient))
        .load(&mut state.store.conn().unwrap())
        .unwrap()
}

async fn a_custodian_works_through_the_pages_and_the_job_tells_each_once(db: TestDb) {
    let mut state = state_with_demo(&db);
    state.master =
        std::sync::Arc::new(common::demo_master_key().sealing(jicai::sealing::Mode::Quorum));
    let app = app(state.clone()).await;
    let mut api = Client::new(app.clone());
    let center = token_for(&state, "center");
    let jobs = common::repository_jobs(&state);
    let sealing = jobs.iter().find(|j| j.name == "sealing").unwrap().clone();
    let runner = common::job_runner(&state);

    // Three custodians; the first registers its key on its page (a wrong key first).
    let keys: Vec<CustodianKey> = (0..KEEPERS).map(|_| CustodianKey::generate()).collect();
    let names: Vec<String> = (0..KEEPERS)
        .map(|i| center_user(&state, &format!("keeper{i}")))
        .collect();
    let ids: Vec<i64> = names.iter().map(|n| user_id(&state, n)).collect();
    let tokens: Vec<String> = names.iter().map(|n| token_for(&state, n)).collect();
    let mut k0 = Client::new(app.clone());
    k0.login(&names[0], PW).await;
    let r = k0.get("/custody").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("no custodian key registered"), "{}", r.body);
    assert!(r.body.contains("jicai custodian keygen --key my.key"));
    assert!(
        r.body.contains("never leaves"),
        "says the secret stays home"
    );
    assert!(r.body.contains("href=\"/custody\""), "in the menu");
    let r = k0.post("/custody/key", &[("public_key", "00")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("data-code=\"custodian_key_invalid\""),
        "the error is next to the field: {}",
        r.body
    );
    let r = k0
        .post("/custody/key", &[("public_key", &keys[0].public_hex())])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(k0
        .get("/custody")
        .await
        .body
        .contains(&keys[0].public_hex()));
    for i in 1..KEEPERS {
        let r = api
            .api(
                "PUT",
                "/api/v1/custodian-key",
                Some(&tokens[i]),
                Some(json!({"public_key": keys[i].public_hex()})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    }

    // A draft tender; custodian 1 (center staff) appoints the three on the tender's page.
    let (tender, lot) = draft_tender_d0012(&mut api, &state, &center, "Custody tender").await;
    let mut k1 = Client::new(app.clone());
    k1.login(&names[1], PW).await;
    let page = format!("/tenders/{tender}");
    let r = k1.get(&page).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Key custody"), "{}", r.body);
    assert!(r.body.contains("No key custodians are appointed yet"));
    for id in &ids {
        assert!(
            r.body.contains(&format!("name=\"c{id}\"")),
            "a checkbox each"
        );
    }
    assert!(r
        .body
        .contains("name=\"quorum\" id=\"f-quorum\" value=\"3\""));
    let c = |i: usize| format!("c{}", ids[i]);
    let (c0, c1, c2) = (c(0), c(1), c(2));
    let r = k1
        .post(
            &format!("/tenders/{tender}/custodians"),
            &[(&c0, "true"), (&c1, "true"), (&c2, "true"), ("quorum", "4")],
        )
        .await;
    common::assert_refused_with_code(&r, "quorum_out_of_range");
    let r = k1
        .post(
            &format!("/tenders/{tender}/custodians"),
            &[(&c0, "true"), (&c1, "true"), (&c2, "true"), ("quorum", "2")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = k1.get(&page).await;
    assert!(
        r.body.contains("open with 2 of the 3 key custodians"),
        "{}",
        r.body
    );
    for n in &names {
        assert!(r.body.contains(&format!("Custodian {n}")));
    }
    assert!(r.body.contains("0 of 3 custodians have dealt"));

    // The job asks each custodian to deal, once.
    let out = runner.run(&sealing).await.unwrap();
    assert!(out.contains("3 new e-mails"), "{out}");
    let asked = mails(&state, "custody_deal:");
    assert_eq!(asked.len(), KEEPERS, "{asked:?}");
    let out = runner.run(&sealing).await.unwrap();
    assert!(out.contains("0 new e-mails"), "{out}");
    assert_eq!(mails(&state, "custody_deal:").len(), KEEPERS);
    let mut to: Vec<String> = asked.iter().map(|m| m.1.clone()).collect();
    to.sort();
    assert_eq!(to, ["keeper0@test", "keeper1@test", "keeper2@test"]);

    // Custodian 0's page: the tender waits for its dealing; the file and the commands.
    let r = k0.get("/custody").await;
    assert!(r.body.contains("Custody tender"), "{}", r.body);
    assert!(r.body.contains("Deal: your part of the tender key"));
    let file = format!("custody-tender-{tender}.json");
    assert!(r.body.contains(&format!(
        "jicai custodian deal --key my.key --custody {file} --out dealing.json"
    )));
    let r = k0.get(&format!("/custody/tenders/{tender}/file")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let disposition = r
        .headers
        .get("Content-Disposition")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        disposition.contains("attachment") && disposition.contains(&file),
        "{disposition}"
    );
    let f: CustodyFile = serde_json::from_slice(&r.bytes).unwrap();
    assert_eq!(f.you, 1);
    let dealing = cu::deal(&f, &keys[0]).unwrap();
    // The same file as the API's.
    let from_api = api
        .api_get(&format!("/api/v1/tenders/{tender}/custody"), &tokens[0])
        .await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&from_api.body).unwrap(),
        serde_json::from_slice::<serde_json::Value>(&r.bytes).unwrap()
    );

    // Wrong files are refused next to the field; the right one is taken.
    let upload = format!("/custody/tenders/{tender}/dealing");
    let r = k0
        .multipart(&upload, &[], &[("dealing", "dealing.json", b"not json")])
        .await;
    common::assert_refused_with_code(&r, "custody_file_unreadable");
    let f1 = serde_json::from_str::<CustodyFile>(
        &api.api_get(&format!("/api/v1/tenders/{tender}/custody"), &tokens[1])
            .await
            .body,
    )
    .unwrap();
    let others = serde_json::to_vec(&cu::deal(&f1, &keys[1]).unwrap()).unwrap();
    let r = k0
        .multipart(&upload, &[], &[("dealing", "dealing.json", &others)])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("data-code=\"dealing_refused\"") && r.body.contains("Custodian keeper0"),
        "{}",
        r.body
    );
    let big = vec![b' '; 300 * 1024];
    let r = k0
        .multipart(&upload, &[], &[("dealing", "dealing.json", &big)])
        .await;
    common::assert_refused_with_code(&r, "custody_file_too_large");
    let mine = serde_json::to_vec(&dealing).unwrap();
    let r = k0
        .multipart(&upload, &[], &[("dealing", "dealing.json", &mine)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(k0
        .get("/custody")
        .await
        .body
        .contains("Dealt: waiting for the other custodians"));
    for i in 1..KEEPERS {
        let f = serde_json::from_str::<CustodyFile>(
            &api.api_get(&format!("/api/v1/tenders/{tender}/custody"), &tokens[i])
                .await
                .body,
        )
        .unwrap();
        let r = api
            .api_post(
                &format!("/api/v1/tenders/{tender}/dealing"),
                &tokens[i],
                Some(serde_json::to_value(cu::deal(&f, &keys[i]).unwrap()).unwrap()),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let tender_key: String = tenders::table
        .find(tender)
        .select(tenders::envelope_key)
        .first(&mut state.store.conn().unwrap())
        .unwrap();
    assert_eq!(tender_key.len(), 64);
    let r = k1.get(&page).await;
    assert!(
        r.body.contains(&format!("<code>{tender_key}</code>")),
        "{}",
        r.body
    );
    assert!(k0
        .get("/custody")
        .await
        .body
        .contains("Check: the tender key is formed"));

    // Nobody else gets at custody pages.
    let (good, _) = d0012_bidders(&state);
    let supplier = supplier_user(&state, good[0].0);
    for who in [supplier.as_str(), "institution"] {
        let mut o = Client::new(app.clone());
        o.login(who, PW).await;
        for path in [
            "/custody".to_string(),
            format!("/custody/tenders/{tender}/file"),
        ] {
            let r = o.get(&path).await;
            assert!(
                matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                "{who} {path}: {}",
                r.status
            );
        }
        let r = o
            .multipart(&upload, &[], &[("dealing", "dealing.json", &mine)])
            .await;
        assert!(
            matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{who}: {}",
            r.status
        );
    }

    // Published; two bids sealed to the tender key.
    let step = |a: &str| format!("/api/v1/tenders/{tender}/actions/{a}");
    let r = api.api_post(&step("publish"), &center, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let y = quorum::point_hex(&tender_key).unwrap();
    let mut receipts = vec![];
    for (s, p) in &good[..2] {
        let t = token_for(&state, &supplier_user_or(&state, *s, &supplier, good[0].0));
        let e = quorum::seal_price(
            &y,
            tender,
            &quorum::price_binding(tender, lot, *s),
            json!({"package_price": "25.00"}).to_string().as_bytes(),
        )
        .unwrap();
        let r = api
            .api_post(&format!("/api/v1/lots/{lot}/bid"), &t, Some(json!({"product_id": p, "annual_capacity": 100000,
                    "commercial_envelope": {"nonce": e.nonce_hex(), "ciphertext": e.ciphertext_hex(), "digest": e.digest()}})))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        receipts.push(e.digest());
    }
    assert!(
        !k1.get(&page).await.body.contains("Sealed envelope digests"),
        "no list before the deadline"
    );

    // The deadline passes: the job fixes the list; the page and the OCDS show it.
    state.clock.advance(Duration::days(3));
    let out = runner.run(&sealing).await.unwrap();
    assert!(out.contains("1 digest lists fixed"), "{out}");
    let r = k1.get(&page).await;
    assert!(r.body.contains("Sealed envelope digests"), "{}", r.body);
    assert!(r.body.contains("compare it with the digest"));
    for d in &receipts {
        assert!(r.body.contains(d.as_str()), "{d}");
    }
    let mut sup = Client::new(app.clone());
    sup.login(&supplier, PW).await;
    let r = sup.get(&page).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(receipts.iter().all(|d| r.body.contains(d.as_str())));
    let r = api
        .api("GET", &format!("/api/v1/tenders/{tender}/ocds"), None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sealed = r.json()["releases"][0]["tender"]["sealedEnvelopes"].clone();
    let mut listed: Vec<String> = sealed
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.body))
        .iter()
        .map(|e| {
            assert_eq!(e["lot"], "lot-1");
            assert_eq!(e.as_object().unwrap().len(), 2, "lot and digest only");
            e["digest"].as_str().unwrap().to_string()
        })
        .collect();
    listed.sort();
    receipts.sort();
    assert_eq!(listed, receipts);

    // Technical results published: the opening waits; the job asks each custodian once.
    for a in ["open_technical", "publish_technical"] {
        let r = api.api_post(&step(a), &center, None).await;
        assert_eq!(r.status, StatusCode::OK, "{a}: {}", r.body);
    }
    let r = k1.get(&page).await;
    assert!(
        r.body.contains(
            "The opening waits for the key custodians: 0 of 2 have contributed; nothing is lost."
        ),
        "{}",
        r.body
    );
    runner.run(&sealing).await.unwrap();
    runner.run(&sealing).await.unwrap();
    assert_eq!(mails(&state, "custody_contribute:").len(), KEEPERS);
    assert_eq!(mails(&state, "custody_deal:").len(), KEEPERS);

    // Custodian 0 contributes through its page: someone else's contributions are refused
    // and name it; its own are taken.
    let r = k0.get("/custody").await;
    assert!(r.body.contains("Contribute to the opening"), "{}", r.body);
    assert!(r.body.contains(&format!(
        "jicai custodian open --key my.key --custody {file} --out contributions.json"
    )));
    let f0: CustodyFile = serde_json::from_slice(
        &k0.get(&format!("/custody/tenders/{tender}/file"))
            .await
            .bytes,
    )
    .unwrap();
    assert_eq!(f0.envelopes.len(), 2);
    let f1 = serde_json::from_str::<CustodyFile>(
        &api.api_get(&format!("/api/v1/tenders/{tender}/custody"), &tokens[1])
            .await
            .body,
    )
    .unwrap();
    let contribute = format!("/custody/tenders/{tender}/contributions");
    let (forged, _) = cu::contribute(&f1, &keys[1]).unwrap();
    let r = send_contributions(&mut k0, &contribute, &forged).await;
    common::assert_refused_saying(&r, "contribution_refused", "Custodian keeper0");
    let (items, _) = cu::contribute(&f0, &keys[0]).unwrap();
    let r = send_contributions(&mut k0, &contribute, &items).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(k1
        .get(&page)
        .await
        .body
        .contains("1 of 2 have contributed; nothing is lost."));
    let done = k0.get("/custody").await;
    assert!(
        !done.body.contains("Contribute to the opening"),
        "{}",
        done.body
    );
}

/// Sends a custodian's contributions to `path` as the page's file field does
/// (`contributions.json`): the answer.
async fn send_contributions<S, B>(
    k: &mut common::Client<S>,
    path: &str,
    items: &impl serde::Serialize,
) -> common::Resp
where
    S: common::TestService<B>,
    B: actix_web::body::MessageBody,
{
    let file = serde_json::to_vec(items).unwrap();
    k.multipart(path, &[], &[("contributions", "contributions.json", &file)])
        .await
}

/// The supplier's user made once, the others made here.
fn supplier_user_or(state: &jicai::web::AppState, s: i64, made: &str, made_for: i64) -> String {
    if s == made_for {
        made.to_string()
    } else {
        supplier_user(state, s)
    }
}

async fn tenders_sealed_by_the_server_say_so_on_the_page_and_the_receipt(db: TestDb) {
    let state = state_with_demo(&db);
    let app = app(state.clone()).await;
    // A demo bid (the demo's tenders are sealed by the server).
    let (bid, tender, supplier): (i64, i64, i64) = bids::table
        .inner_join(lots::table)
        .order(bids::id.asc())
        .select((bids::id, lots::tender_id, bids::supplier_id))
        .first(&mut state.store.conn().unwrap())
        .unwrap();
    let sealing: String = tenders::table
        .find(tender)
        .select(tenders::sealing)
        .first(&mut state.store.conn().unwrap())
        .unwrap();
    assert_eq!(sealing, "server");
    let label = "Sealed by the server (demo and test mode only): whoever holds the server&#39;s key file could open these prices";
    let mut c = Client::new(app.clone());
    c.login(&center_user(&state, "reader"), PW).await;
    let r = c.get(&format!("/tenders/{tender}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains(label), "{}", r.body);
    assert!(!r.body.contains("Appoint the key custodians"));
    let mut s = Client::new(app.clone());
    s.login(&supplier_user(&state, supplier), PW).await;
    let r = s.get(&format!("/bids/{bid}/receipt")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains(label), "{}", r.body);
}

on_both_databases!(demo: a_custodian_works_through_the_pages_and_the_job_tells_each_once, tenders_sealed_by_the_server_say_so_on_the_page_and_the_receipt);
