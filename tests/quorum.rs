//! Quorum sealing over HTTP, on both databases: a tender with 3 of 5 key custodians who form
//! its key on their own machines, prices sealed by the bidders (the server refuses a price in
//! the clear), the digest list fixed at the deadline and matching every receipt, everything
//! the server holds before the opening unable to open any envelope, the opening waiting with
//! two custodians, a forged contribution refused and named, an envelope altered in the
//! database after the deadline refused at the opening and named, and the opening with three.

mod common;

use actix_web::http::StatusCode;
use chrono::Duration;
use common::{
    app, center_user, d0012_bidders, state_with_demo, supplier_user, token_for, Client, TestDb,
};
use diesel::prelude::*;
use jicai::sealing::custodian::{self as cu, CustodyFile};
use jicai::sealing::quorum::{self, CustodianKey, Envelope};
use jicai::store::schema::{audit_log, audit_pending, bids, tender_custodians};
use jicai::store::tenders as ts;
use serde_json::json;

const CUSTODIANS: usize = 5;

/// Every 32-byte value written anywhere in these texts (hex), as a candidate secret scalar.
fn candidate_scalars(texts: &[String]) -> Vec<quorum::Scalar> {
    let mut out = vec![];
    for t in texts {
        let hexes: Vec<&str> = t
            .split(|c: char| !c.is_ascii_hexdigit())
            .filter(|w| w.len() >= 64)
            .collect();
        for h in hexes {
            for i in (0..=h.len() - 64).step_by(2) {
                if let Ok(b) = hex::decode(&h[i..i + 64]) {
                    let b: [u8; 32] = b.try_into().unwrap();
                    out.push(quorum::Scalar::from_bytes_mod_order(b));
                }
            }
        }
    }
    out
}

async fn a_quorum_tender_opens_with_three_of_five_and_never_before(db: TestDb) {
    let mut state = state_with_demo(&db);
    state.master =
        std::sync::Arc::new(common::demo_master_key().sealing(jicai::sealing::Mode::Quorum));
    let app = app(state.clone()).await;
    let mut c = Client::new(app.clone());
    let center = token_for(&state, "center");

    // Five custodians make their keys on their own machines and register the public halves.
    let keys: Vec<CustodianKey> = (0..CUSTODIANS).map(|_| CustodianKey::generate()).collect();
    let mut tokens = vec![];
    let mut ids = vec![];
    for (i, k) in keys.iter().enumerate() {
        let name = center_user(&state, &format!("keeper{i}"));
        let t = token_for(&state, &name);
        let r = c
            .api(
                "PUT",
                "/api/v1/custodian-key",
                Some(&t),
                Some(json!({"public_key": k.public_hex()})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        tokens.push(t);
        ids.push(
            jicai::store::users::by_username(&mut state.store.conn().unwrap(), &name)
                .unwrap()
                .unwrap()
                .id,
        );
    }
    let r = c
        .api(
            "PUT",
            "/api/v1/custodian-key",
            Some(&tokens[0]),
            Some(json!({"public_key": "00"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // A demand window and a tender of one lot.
    let (tender, lot) = common::draft_tender_d0012(&mut c, &state, &center, "Quorum tender").await;
    let inst = token_for(&state, "institution");
    let step = |a: &str| format!("/api/v1/tenders/{tender}/actions/{a}");

    // Not publishable without custodians, nor before every custodian has dealt.
    let r = c.api_post(&step("publish"), &center, None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("custodians_not_appointed"), "{}", r.body);
    let appoint = format!("/api/v1/tenders/{tender}/custodians");
    let r = c
        .api_post(
            &appoint,
            &inst,
            Some(json!({"custodians": ids, "quorum": 3})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "only center staff appoint: {}",
        r.body
    );
    let r = c
        .api_post(
            &appoint,
            &center,
            Some(json!({"custodians": ids, "quorum": 6})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = c
        .api_post(
            &appoint,
            &center,
            Some(json!({"custodians": ids, "quorum": 3})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["custodians"].as_array().unwrap().len(), CUSTODIANS);

    macro_rules! custody {
        ($i:expr) => {{
            let path = format!("/api/v1/tenders/{tender}/custody");
            let r = c.api_get(&path, &tokens[$i]).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            serde_json::from_str::<CustodyFile>(&r.body).unwrap()
        }};
    }
    assert_eq!(
        c.api_get_status(&format!("/api/v1/tenders/{tender}/custody"), &center)
            .await,
        StatusCode::FORBIDDEN,
        "only the tender's custodians get its custody file"
    );
    for i in 0..CUSTODIANS {
        if i == 4 {
            let r = c.api_post(&step("publish"), &center, None).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
            assert!(r.body.contains("tender_key_not_formed"), "{}", r.body);
        }
        let f = custody!(i);
        assert_eq!(f.you as usize, i + 1);
        let d = cu::deal(&f, &keys[i]).unwrap();
        // Another custodian's key cannot deal as this one.
        assert!(cu::deal(&f, &keys[(i + 1) % CUSTODIANS]).is_err());
        let r = c
            .api_post(
                &format!("/api/v1/tenders/{tender}/dealing"),
                &tokens[i],
                Some(serde_json::to_value(&d).unwrap()),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["done"], i + 1);
    }
    for (i, k) in keys.iter().enumerate() {
        cu::check(&custody!(i), k).unwrap();
    }
    let tender_key = custody!(0).tender_key;
    assert_eq!(tender_key.len(), 64);
    let r = c.api_post(&step("publish"), &center, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Custodians are fixed once the tender is published.
    let r = c
        .api_post(
            &appoint,
            &center,
            Some(json!({"custodians": ids, "quorum": 2})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    // Bids: the bidders seal; a price in the clear is refused.
    let (good, (sc, pc)) = d0012_bidders(&state);
    let (sa, pa) = good[0];
    let (sb, pb) = good[1];
    let y = quorum::point_hex(&tender_key).unwrap();
    let mut receipts = vec![];
    let ta = token_for(&state, &supplier_user(&state, sa));
    let r = c
        .api_post(
            &format!("/api/v1/lots/{lot}/bid"),
            &ta,
            Some(json!({"product_id": pa, "annual_capacity": 100000, "package_price": "27.00"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("price_must_be_sealed"), "{}", r.body);
    for (s, p, price) in [(sa, pa, "27.00"), (sb, pb, "30.00"), (sc, pc, "20.00")] {
        let t = if s == sa {
            ta.clone()
        } else {
            token_for(&state, &supplier_user(&state, s))
        };
        let plain = json!({"package_price": price}).to_string();
        let e = quorum::seal_price(
            &y,
            tender,
            &quorum::price_binding(tender, lot, s),
            plain.as_bytes(),
        )
        .unwrap();
        let mut env =
            json!({"nonce": e.nonce_hex(), "ciphertext": e.ciphertext_hex(), "digest": e.digest()});
        // A digest that does not match the envelope is refused; then the envelope itself.
        let mut r = None;
        for (digest, status) in [
            ("00".repeat(32), StatusCode::UNPROCESSABLE_ENTITY),
            (e.digest(), StatusCode::CREATED),
        ] {
            env["digest"] = json!(digest);
            let body =
                json!({"product_id": p, "annual_capacity": 100000, "commercial_envelope": env});
            let answer = c
                .api_post(&format!("/api/v1/lots/{lot}/bid"), &t, Some(body))
                .await;
            assert_eq!(answer.status, status, "{}", answer.body);
            r = Some(answer);
        }
        let r = r.unwrap();
        assert_eq!(r.json()["commercial_digest"], e.digest());
        assert!(
            r.json().get("package_price").is_none(),
            "the server never knew the price"
        );
        receipts.push((s, e.digest()));
    }
    let r = c
        .api_get(
            &format!("/api/v1/tenders/{tender}/envelope-digests"),
            &center,
        )
        .await;
    assert_eq!(r.json()["published"], false, "no list before the deadline");

    // Everything the server holds before the opening: every table's rows and every key file.
    let dump = db.dump();
    let mut texts = vec![dump.clone()];
    texts.push(hex::encode([9u8; 32])); // the master key file of the tests
    texts.push(hex::encode(&state.session_key));
    let candidates = candidate_scalars(&texts);
    assert!(
        candidates.len() > 100,
        "the dump holds keys and envelopes to try"
    );
    let sealed: Vec<ts::Bid> = ts::bids_of_lot(&mut state.store.conn().unwrap(), lot).unwrap();
    for b in &sealed {
        let e = Envelope::price_from_fields(
            &b.commercial_nonce,
            &b.commercial_sealed,
            &b.commercial_digest,
        )
        .unwrap();
        let binding = quorum::price_binding(tender, lot, b.supplier_id);
        for s in &candidates {
            assert!(quorum::open_with_secret(s, tender, &binding, &e).is_err());
        }
        assert!(
            !dump.contains("27.00") && !dump.contains("30.00"),
            "no price in the clear"
        );
    }

    // The deadline passes; the technical opening fixes the digest list first.
    state.clock.advance(Duration::days(3));
    let r = c.api_post(&step("open_technical"), &center, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = c
        .api_get(&format!("/api/v1/tenders/{tender}/envelope-digests"), &ta)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["published"], true);
    let mut listed: Vec<String> = r.json()["envelopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["digest"].as_str().unwrap().to_string())
        .collect();
    let mut received: Vec<String> = receipts.iter().map(|r| r.1.clone()).collect();
    listed.sort();
    received.sort();
    assert_eq!(
        listed, received,
        "the list published at the deadline matches every receipt"
    );

    // After the deadline, bidder A's envelope is altered in the database.
    let a_bid = sealed.iter().find(|b| b.supplier_id == sa).unwrap().id;
    {
        let mut conn = state.store.conn().unwrap();
        let other = quorum::seal_price(
            &y,
            tender,
            &quorum::price_binding(tender, lot, sa),
            b"{\"package_price\":\"0.01\"}",
        )
        .unwrap();
        diesel::update(bids::table.find(a_bid))
            .set((
                bids::commercial_nonce.eq(other.nonce_hex()),
                bids::commercial_sealed.eq(other.ciphertext_hex()),
                bids::commercial_digest.eq(other.digest()),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    let r = c.api_post(&step("publish_technical"), &center, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // The opening waits: none, then two of three.
    let r = c.api_post(&step("open_commercial"), &center, None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("opening_waits_for_custodians"),
        "{}",
        r.body
    );
    let contribute = format!("/api/v1/tenders/{tender}/contributions");
    for i in [0usize, 2] {
        let f = custody!(i);
        assert!(
            f.envelopes.len() >= 2,
            "A and B passed; C's GMP had expired: {:?}",
            f.envelopes.len()
        );
        let (items, skipped) = cu::contribute(&f, &keys[i]).unwrap();
        assert_eq!(
            skipped,
            vec![a_bid],
            "the altered envelope is named and skipped"
        );
        let r = c
            .api_post(
                &contribute,
                &tokens[i],
                Some(serde_json::to_value(&items).unwrap()),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let r = c.api_post(&step("open_commercial"), &center, None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("opening_waits_for_custodians") && r.body.contains("\"have\":\"2\""),
        "{}",
        r.body
    );
    assert_eq!(
        ts::tender(&mut state.store.conn().unwrap(), tender)
            .unwrap()
            .state
            .as_str(),
        "technical_published"
    );

    // Custodian 4 sends contributions made with custodian 5's key: refused, naming custodian 4.
    let f4 = custody!(3);
    let mut f5 = custody!(4);
    f5.envelopes = f4.envelopes.clone();
    let (forged, _) = cu::contribute(&f5, &keys[4]).unwrap();
    let r = c
        .api_post(
            &contribute,
            &tokens[3],
            Some(serde_json::to_value(&forged).unwrap()),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("contribution_refused") && r.body.contains("Custodian keeper3"),
        "{}",
        r.body
    );
    // Incomplete: refused too.
    let (mut items, _) = cu::contribute(&f4, &keys[3]).unwrap();
    let first = *items.keys().next().unwrap();
    let kept = items.remove(&first).unwrap();
    let body = Some(serde_json::to_value(&items).unwrap());
    let r = c.api_post(&contribute, &tokens[3], body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    items.insert(first, kept);
    let body = Some(serde_json::to_value(&items).unwrap());
    let r = c.api_post(&contribute, &tokens[3], body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["done"], 3);

    // Three: the envelopes open; the altered one is refused and named, B's price is B's.
    let r = c.api_post(&step("open_commercial"), &center, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let opened = ts::bids_of_lot(&mut state.store.conn().unwrap(), lot).unwrap();
    let b = opened.iter().find(|b| b.supplier_id == sb).unwrap();
    assert_eq!(
        b.package_price,
        Some(300_000),
        "30.00 yuan in ten-thousandths"
    );
    let a = opened.iter().find(|b| b.id == a_bid).unwrap();
    assert_eq!(a.package_price, None);
    assert!(
        a.reason_msgs()
            .iter()
            .any(|m| m.code == jicai::domain::Code::EnvelopeAlteredAfterDeadline),
        "{:?}",
        a.reason_msgs()
    );
    // The audit log says who contributed, and when.
    // (Records wait in audit_pending until they are chained into audit_log.)
    let mut conn = state.store.conn().unwrap();
    let contributed: i64 = audit_log::table
        .filter(audit_log::action.eq("contribute_to_opening"))
        .filter(audit_log::entity_id.eq(tender.to_string()))
        .count()
        .get_result::<i64>(&mut conn)
        .unwrap()
        + audit_pending::table
            .filter(audit_pending::action.eq("contribute_to_opening"))
            .filter(audit_pending::entity_id.eq(tender.to_string()))
            .count()
            .get_result::<i64>(&mut conn)
            .unwrap();
    assert_eq!(contributed, 3);
    drop(conn);
    // Nothing secret was ever stored: the custodians' rows hold public keys and dealings only.
    let stored: Vec<String> = tender_custodians::table
        .filter(tender_custodians::tender_id.eq(tender))
        .order(tender_custodians::idx.asc())
        .select(tender_custodians::public_key)
        .load(&mut state.store.conn().unwrap())
        .unwrap();
    assert_eq!(
        stored,
        keys.iter().map(|k| k.public_hex()).collect::<Vec<_>>()
    );
}

on_both_databases!(demo: a_quorum_tender_opens_with_three_of_five_and_never_before);

/// The custodian's and the bidder's commands, through the real binary, offline: a key file
/// under a passphrase (never overwritten, refused with another passphrase), a dealing from a
/// custody file that the server's checks accept, and an envelope sealed by `jicai seal` that
/// the tender's secret opens.
#[test]
fn the_custodian_commands_work_on_their_own_machine() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("me.key");
    let jicai = |args: &[&str], pass: &str| {
        Command::new(env!("CARGO_BIN_EXE_jicai"))
            .args(args)
            .current_dir(dir.path())
            .env("JICAI_CUSTODIAN_PASSPHRASE", pass)
            .output()
            .unwrap()
    };
    let out = jicai(
        &["custodian", "keygen", "--key", key.to_str().unwrap()],
        "a long passphrase",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_eq!(public.len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let again = jicai(
        &["custodian", "keygen", "--key", key.to_str().unwrap()],
        "a long passphrase",
    );
    assert!(!again.status.success(), "a key file is never overwritten");
    let other = CustodianKey::generate();
    let custody = CustodyFile {
        tender_id: 7,
        title: "t".into(),
        state: "draft".into(),
        quorum: 2,
        you: 1,
        tender_key: String::new(),
        custodians: vec![
            cu::CustodianPublic {
                idx: 1,
                name: "me".into(),
                public_key: public.clone(),
                dealt: false,
                contributed: false,
            },
            cu::CustodianPublic {
                idx: 2,
                name: "other".into(),
                public_key: other.public_hex(),
                dealt: false,
                contributed: false,
            },
        ],
        dealings: vec![],
        envelopes: vec![],
    };
    let cf = dir.path().join("custody.json");
    std::fs::write(&cf, serde_json::to_string(&custody).unwrap()).unwrap();
    let dealing = dir.path().join("dealing.json");
    let args = [
        "custodian",
        "deal",
        "--key",
        key.to_str().unwrap(),
        "--custody",
        cf.to_str().unwrap(),
        "--out",
        dealing.to_str().unwrap(),
    ];
    let wrong = jicai(&args, "not the passphrase");
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("passphrase"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
    let out = jicai(&args, "a long passphrase");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d: quorum::Dealing =
        serde_json::from_str(&std::fs::read_to_string(&dealing).unwrap()).unwrap();
    assert!(
        quorum::check_dealing(7, 2, 2, &d).is_ok(),
        "the server's checks accept it"
    );

    // jicai seal: an envelope the tender's secret opens, bound to tender, lot and supplier.
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/envelope-v3.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let (secret, tender_key) = (
        v[0]["tender_secret"].as_str().unwrap(),
        v[0]["tender_key"].as_str().unwrap(),
    );
    // Tender 12, lot 34, supplier 56.
    let seal = |price: &str| {
        jicai(
            &[
                "seal",
                "--tender-key",
                tender_key,
                "--tender",
                "12",
                "--lot",
                "34",
                "--supplier",
                "56",
                "--price",
                price,
            ],
            "",
        )
    };
    let out = seal("27.50");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let env = Envelope::price_from_fields(
        e["nonce"].as_str().unwrap(),
        e["ciphertext"].as_str().unwrap(),
        e["digest"].as_str().unwrap(),
    )
    .unwrap();
    let s: [u8; 32] = hex::decode(secret).unwrap().try_into().unwrap();
    let s = quorum::Scalar::from_canonical_bytes(s).unwrap();
    let plain = quorum::open_with_secret(&s, 12, &quorum::price_binding(12, 34, 56), &env).unwrap();
    assert_eq!(plain, br#"{"package_price":"27.50"}"#);
    assert!(quorum::open_with_secret(&s, 12, &quorum::price_binding(12, 34, 57), &env).is_err());
    let bad = seal("-1");
    assert!(!bad.status.success());
}
