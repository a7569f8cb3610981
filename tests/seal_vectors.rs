//! The bid page's sealing script (`templates/static/seal.js` over the vendored
//! `templates/static/vendor/noble.js`) against the published envelope vectors
//! (`tests/vectors/envelope-v3.json`, made by the Rust code), run with node:
//! the script seals every vector exactly and opens it; what it seals with a random ephemeral
//! key, the Rust code opens. Without node the tests say so and pass, except under CI.
//! And the bid page of a quorum tender loads both scripts with their integrity hashes.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use actix_web::http::StatusCode;
use common::{app, state_with_demo, supplier_user, Client, TestDb, PW};
use curve25519_dalek::scalar::Scalar;
use diesel::prelude::*;
use jicai::sealing::quorum::{open_with_secret, Envelope};
use jicai::store::schema::tenders;
use serde::Deserialize;

/// `node tests/js/vectors.mjs ARGS`, or None (a skip) when node is not installed here.
fn node(args: &[&str]) -> Option<Output> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    match Command::new("node")
        .arg(root.join("tests/js/vectors.mjs"))
        .args(args)
        .current_dir(root)
        .output()
    {
        Ok(out) => Some(out),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var_os("CI").is_none(),
                "node is needed for the sealing script's tests under CI"
            );
            eprintln!("skipped: node is not installed (the sealing script is not tested)");
            None
        }
        Err(e) => panic!("node: {e}"),
    }
}

#[test]
fn the_sealing_script_passes_the_published_vectors() {
    let Some(out) = node(&[]) else { return };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let last = stdout.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed"), "{stdout}");
}

#[derive(Deserialize)]
struct Vector {
    tender_secret: String,
    tender_id: i64,
    binding: String,
}

#[derive(Deserialize)]
struct Sealed {
    tender_id: i64,
    binding: String,
    plaintext: String,
    envelope: Fields,
}

#[derive(Deserialize)]
struct Fields {
    nonce: String,
    ciphertext: String,
    digest: String,
}

#[test]
fn what_the_script_seals_the_rust_code_opens() {
    let Some(out) = node(&["--cross"]) else {
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sealed: Vec<Sealed> = serde_json::from_slice(&out.stdout).expect("the script's JSON");
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/envelope-v3.json"
    );
    let vectors: Vec<Vector> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(sealed.len(), vectors.len());
    assert!(!vectors.is_empty());
    for (s, v) in sealed.iter().zip(&vectors) {
        assert_eq!((s.tender_id, &s.binding), (v.tender_id, &v.binding));
        let secret: [u8; 32] = hex::decode(&v.tender_secret).unwrap().try_into().unwrap();
        let secret = Option::<Scalar>::from(Scalar::from_canonical_bytes(secret)).unwrap();
        let e = &s.envelope;
        let env = Envelope::price_from_fields(&e.nonce, &e.ciphertext, &e.digest)
            .expect("a well-formed envelope whose digest matches");
        assert_eq!(env.ciphertext.len(), 256 + 16);
        assert_eq!(
            open_with_secret(&secret, s.tender_id, &s.binding, &env).unwrap(),
            s.plaintext.as_bytes()
        );
        // Bound to its bid: another lot's binding does not open it.
        assert!(open_with_secret(&secret, s.tender_id, &format!("{}0", s.binding), &env).is_err());
    }
}

/// The demo's quorum tender (3 of 5 custodians, open for bids) added to a copy of the demo: the
/// bid page of its lot seals in the browser (both scripts with their hashes, the tender key and
/// the binding's ids on the form, the button disabled and the sentence saying why until the
/// script runs), in both languages; a lot of a tender sealed by the server has none of it.
async fn a_quorum_bid_page_seals_in_the_browser(db: TestDb) {
    let state = state_with_demo(&db);
    let dir = tempfile::tempdir().unwrap();
    let (tid, lot, server_lot) = {
        let mut conn = state.store.conn().unwrap();
        let now = state.clock.now();
        jicai::demo::custody::load(
            &mut conn,
            dir.path(),
            &state.master,
            now,
            state.config.time_zone,
        )
        .unwrap();
        let tid: i64 = tenders::table
            .filter(tenders::sealing.eq("quorum"))
            .select(tenders::id)
            .first(&mut conn)
            .unwrap();
        let lot = jicai::store::tenders::lots_of(&mut conn, tid)
            .unwrap()
            .remove(0);
        // The same drug in an open tender sealed by the server, when the demo has one.
        let server_lot = tenders::table
            .filter(tenders::sealing.eq("server"))
            .select(tenders::id)
            .load::<i64>(&mut conn)
            .unwrap()
            .into_iter()
            .flat_map(|t| jicai::store::tenders::lots_of(&mut conn, t).unwrap())
            .find(|l| l.drug_id == lot.drug_id);
        (tid, lot, server_lot)
    };
    let key = jicai::store::tenders::tender(&mut state.store.conn().unwrap(), tid)
        .unwrap()
        .envelope_key;
    assert_eq!(key.len(), 64, "the quorum tender's key is formed");
    let products = jicai::store::catalog::list_products(
        &mut state.store.conn().unwrap(),
        &jicai::store::catalog::ProductFilter {
            drug_id: Some(lot.drug_id),
            ..Default::default()
        },
        &jicai::domain::paging::PageRequest::new(Some(1), Some(50)),
    )
    .unwrap()
    .items;
    let app = app(state.clone()).await;
    let path = format!("/tenders/{tid}/lots/{}/bid", lot.id);
    let mut found = None;
    for p in &products {
        let mut c = Client::new(app.clone());
        c.login(&supplier_user(&state, p.manufacturer_id), PW).await;
        let r = c.get(&path).await;
        if r.status == StatusCode::OK && r.body.contains("name=\"package_price\"") {
            found = Some((c, p.manufacturer_id, r.body));
            break;
        }
    }
    let (mut c, supplier, html) = found.expect("a supplier of the lot's drug that may bid");
    for (lang, html) in [
        ("en", html),
        ("zh-CN", {
            c.post("/lang/zh-CN", &[]).await;
            c.get(&path).await.body
        }),
    ] {
        for s in jicai::web::ops::sealing_scripts() {
            let tag = format!(
                r#"<script src="{}" integrity="{}" defer></script>"#,
                s.src, s.integrity
            );
            assert!(html.contains(&tag), "{lang}: no {tag}: {html}");
        }
        for attr in [
            r#"data-seal="quorum""#.to_string(),
            format!(r#"data-tender-key="{key}""#),
            format!(r#"data-tender-id="{tid}""#),
            format!(r#"data-lot-id="{}""#, lot.id),
            format!(r#"data-supplier-id="{supplier}""#),
            format!(r#"data-max-unit="{}""#, lot.max_unit_price),
        ] {
            assert!(html.contains(&attr), "{lang}: no {attr}: {html}");
        }
        assert!(html.contains(r#"<p class="needs-script" id="needs-script">"#));
        assert!(
            html.contains(r#"<button type="submit" disabled>"#),
            "{html}"
        );
        let needs = if lang == "en" {
            "Sealing the price needs JavaScript"
        } else {
            "密封报价需要启用 JavaScript"
        };
        assert!(html.contains(needs), "{lang}: {html}");
    }
    if let Some(l) = server_lot {
        let r = c
            .get(&format!("/tenders/{}/lots/{}/bid", l.tender_id, l.id))
            .await;
        if r.status == StatusCode::OK {
            assert!(
                !r.body.contains("seal.js") && !r.body.contains("data-seal"),
                "{}",
                r.body
            );
        }
    }
}

on_both_databases!(demo: a_quorum_bid_page_seals_in_the_browser);
