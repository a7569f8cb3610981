//! The commercial opening of 5,000 lots × 20 bids: sealed by the server (one key derived from
//! the master key) beside sealed by the bidders to a tender key formed by 5 custodians and
//! opened with 3 of them, the same prices, in one run, on the same database.
//!
//!     cargo bench --bench opening                 (SQLite in a temporary folder)
//!     JICAI_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/jicai_opening cargo bench --bench opening
//!                                                 (an empty PostgreSQL database: it is filled)
//!
//! Set-up (not timed): the demo province, its five demo custodians; two tenders whose single
//! lot is copied to 5,000 lots; 100,000 bids in each (20 suppliers on every lot, the same
//! price in both), already reviewed (technical results published). The quorum tender's digest
//! list is fixed, and three custodians make their contributions (their machines' work, timed
//! apart) and upload them (the server checks every proof: timed apart). Then the commercial
//! opening of each tender — `apply_action(OpenCommercial)`: every envelope opened, prices
//! recorded, every lot awarded, in one transaction — is timed `JICAI_BENCH_RUNS` times (3),
//! alternating, after resetting both tenders to "technical results published".

use chrono::{Duration, Utc};
use diesel::prelude::*;
use jicai::domain::tender::TenderAction;
use jicai::sealing::{self, quorum, MasterKey, Mode};
use jicai::store::schema::{bids, lots, suppliers, tenders, users};
use jicai::store::tenders::{self as ts, custody, LotSpec, TenderSpec};
use jicai::store::{catalog, regions, Act, DbConn, Store};
use std::time::Instant;

const LOTS: i64 = 5_000;
const BIDDERS: usize = 20;

struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn tender(conn: &mut DbConn, master: &MasterKey, title: &str, now: chrono::DateTime<Utc>) -> i64 {
    let act = Act::new("center", now);
    let province = regions::all(conn)
        .unwrap()
        .into_iter()
        .find(|r| r.parent_id.is_none())
        .unwrap();
    let w = ts::open_window(conn, &act, title, province.id, now + Duration::days(1)).unwrap();
    let drug = catalog::drug_by_code(conn, "D0003").unwrap().unwrap();
    let inst: i64 = jicai::store::schema::institutions::table
        .select(jicai::store::schema::institutions::id)
        .first(conn)
        .unwrap();
    ts::report_demand(conn, &act, w.id, inst, drug.id, 100_000).unwrap();
    ts::close_window(conn, &act, w.id).unwrap();
    let t = ts::create_tender(
        conn,
        &act,
        master,
        &TenderSpec {
            title: title.into(),
            region_id: province.id,
            window_id: w.id,
            bid_deadline: now + Duration::days(2),
            objection_days: 3,
            contract_months: 12,
            lots: vec![LotSpec {
                drug_id: drug.id,
                max_unit_price: jicai::domain::money::Money::parse("max", "5.00").unwrap(),
                min_bidders: 2,
                consistency_required: false,
                policy: jicai::domain::award::AwardPolicy::LowestPrice,
                agreed_share_bp: 7000,
            }],
        },
    )
    .unwrap();
    let first: i64 = lots::table
        .filter(lots::tender_id.eq(t.id))
        .select(lots::id)
        .first(conn)
        .unwrap();
    jicai::store::write_tx(conn, |c| {
        for k in 2..=LOTS {
            diesel::sql_query(format!(
                "INSERT INTO lots (tender_id, lot_no, drug_id, reported_demand, agreed_share_bp, agreed_volume, \
                 max_unit_price, min_bidders, consistency_required, policy, policy_json, status) \
                 SELECT tender_id, {k}, drug_id, reported_demand, agreed_share_bp, agreed_volume, max_unit_price, \
                 min_bidders, consistency_required, policy, policy_json, status FROM lots WHERE id = {first}"
            ))
            .execute(c)?;
        }
        Ok(())
    })
    .unwrap();
    t.id
}

/// 20 bids on every lot of the tender, sealed as the tender seals, the same prices in both.
fn bid(conn: &mut DbConn, master: &MasterKey, tender_id: i64, product: i64, supplier_ids: &[i64]) {
    let t = ts::tender(conn, tender_id).unwrap();
    let lot_ids: Vec<i64> = lots::table
        .filter(lots::tender_id.eq(tender_id))
        .order(lots::lot_no.asc())
        .select(lots::id)
        .load(conn)
        .unwrap();
    let y = (t.sealing() == Mode::Quorum).then(|| quorum::point_hex(&t.envelope_key).unwrap());
    let mut r = Lcg(2026);
    let mut seq = 0i64;
    let stamp = Utc::now().naive_utc();
    jicai::store::write_tx(conn, |c| {
        for chunk in lot_ids.chunks(50) {
            let mut rows = vec![];
            for lot in chunk {
                for s in supplier_ids {
                    let price = format!("{}.{:02}", 1 + r.below(4), r.below(100));
                    let plain = serde_json::json!({"package_price": price}).to_string();
                    let sealed = match &y {
                        Some(y) => {
                            let e = quorum::seal_price(
                                y,
                                tender_id,
                                &quorum::price_binding(tender_id, *lot, *s),
                                plain.as_bytes(),
                            )
                            .unwrap();
                            sealing::Sealed {
                                nonce: e.nonce_hex(),
                                ciphertext: e.ciphertext_hex(),
                                digest: e.digest(),
                            }
                        }
                        None => {
                            let _ = master;
                            sealing::seal(
                                &t.envelope_key,
                                tender_id,
                                &format!("tender {tender_id} lot {lot} supplier {s} version 1"),
                                plain.as_bytes(),
                            )
                            .unwrap()
                        }
                    };
                    seq += 1;
                    rows.push((
                        bids::lot_id.eq(*lot),
                        bids::supplier_id.eq(*s),
                        bids::status.eq("active"),
                        bids::version.eq(1),
                        bids::submission_seq.eq(seq),
                        bids::product_id.eq(product),
                        bids::annual_capacity.eq(1_000_000i64),
                        bids::technical_json.eq("{}"),
                        bids::technical_digest.eq("-"),
                        bids::commercial_digest.eq(sealed.digest),
                        bids::commercial_nonce.eq(sealed.nonce),
                        bids::commercial_sealed.eq(sealed.ciphertext),
                        bids::submitted_at.eq(stamp),
                        bids::technical_result.eq(Some("passed")),
                    ));
                }
            }
            match c {
                DbConn::Pg(c) => {
                    diesel::insert_into(bids::table).values(&rows).execute(c)?;
                }
                DbConn::Sqlite(c) => {
                    for row in rows {
                        diesel::insert_into(bids::table).values(row).execute(c)?;
                    }
                }
            }
        }
        if y.is_some() {
            // The list fixed at the deadline: every bid's digest.
            diesel::sql_query(format!(
                "INSERT INTO envelope_digests (bid_id, tender_id, lot_id, digest) \
                 SELECT b.id, l.tender_id, b.lot_id, b.commercial_digest FROM bids b \
                 JOIN lots l ON l.id = b.lot_id WHERE l.tender_id = {tender_id}"
            ))
            .execute(c)?;
        }
        diesel::update(tenders::table.find(tender_id))
            .set((
                tenders::state.eq("technical_published"),
                tenders::digests_published_at.eq(Some(stamp)),
            ))
            .execute(c)?;
        Ok(())
    })
    .unwrap();
}

fn reset(conn: &mut DbConn, tender_id: i64) {
    let lot_ids = lots::table
        .filter(lots::tender_id.eq(tender_id))
        .select(lots::id);
    diesel::update(bids::table.filter(bids::lot_id.eq_any(lot_ids)))
        .set((
            bids::package_price.eq(None::<i64>),
            bids::unit_price.eq(None::<i64>),
        ))
        .execute(conn)
        .unwrap();
    diesel::update(lots::table.filter(lots::tender_id.eq(tender_id)))
        .set((
            lots::status.eq("open"),
            lots::result_json.eq(None::<String>),
        ))
        .execute(conn)
        .unwrap();
    diesel::update(tenders::table.find(tender_id))
        .set(tenders::state.eq("technical_published"))
        .execute(conn)
        .unwrap();
}

fn open(conn: &mut DbConn, master: &MasterKey, tender_id: i64) -> f64 {
    let start = Instant::now();
    ts::apply_action(
        conn,
        &Act::new("center", Utc::now()),
        master,
        chrono_tz::Asia::Shanghai,
        tender_id,
        TenderAction::OpenCommercial,
        None,
    )
    .unwrap();
    start.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = std::env::var("JICAI_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| dir.path().join("opening.db").to_string_lossy().into());
    let runs: usize = std::env::var("JICAI_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let store = Store::open(&url, 4).unwrap();
    let mut conn = store.conn().unwrap();
    let now = Utc::now();
    let master = MasterKey::from_bytes([9; 32]);
    let t0 = Instant::now();
    jicai::demo::load(&mut conn, now, chrono_tz::Asia::Shanghai, &master).unwrap();
    let keepers = jicai::store::write_tx(&mut conn, |c| {
        jicai::demo::custody::load(
            c,
            &dir.path().join("keys"),
            &master,
            now,
            chrono_tz::Asia::Shanghai,
        )
    })
    .unwrap();
    let server = tender(&mut conn, &master, "opening bench: server", now);
    let quorum_t = {
        let q = master.clone().sealing(Mode::Quorum);
        let id = tender(&mut conn, &q, "opening bench: quorum", now);
        let ids: Vec<i64> = users::table
            .filter(
                users::username.eq_any(
                    keepers
                        .iter()
                        .map(|k| k.username.clone())
                        .collect::<Vec<_>>(),
                ),
            )
            .order(users::username.asc())
            .select(users::id)
            .load(&mut conn)
            .unwrap();
        let act = Act::new("center", now);
        custody::appoint(&mut conn, &act, id, &ids, 3).unwrap();
        let keys: Vec<quorum::CustodianKey> = keepers
            .iter()
            .map(|k| {
                quorum::CustodianKey::from_seed(format!("jicai demo {}", k.username).as_bytes())
            })
            .collect();
        let pubs: Vec<_> = keys.iter().map(|k| k.public()).collect();
        for (i, u) in ids.iter().enumerate() {
            let d = quorum::deal(id, i as u32 + 1, 3, &pubs).unwrap();
            custody::record_dealing(&mut conn, &act, id, *u, &d).unwrap();
        }
        (id, ids, keys)
    };
    let (qid, qusers, qkeys) = quorum_t;
    let product: i64 = jicai::store::schema::products::table
        .select(jicai::store::schema::products::id)
        .first(&mut conn)
        .unwrap();
    // The demo has fewer than 20 suppliers: more, as the bid surge's set-up makes them.
    let province = regions::all(&mut conn)
        .unwrap()
        .into_iter()
        .find(|r| r.parent_id.is_none())
        .unwrap();
    for i in 0..BIDDERS {
        let first17 = format!("91340100MB{:07}", 1_000_000 + i);
        let uscc = format!(
            "{first17}{}",
            jicai::domain::ids::uscc_check_char(&first17).unwrap()
        );
        let input = jicai::domain::catalog::SupplierForm {
            uscc,
            name: format!("开标压测企业{i:02}"),
            kind: "manufacturer".into(),
            region_code: province.code.clone(),
            credit_status: "good".into(),
            emails: String::new(),
        }
        .validate()
        .unwrap();
        jicai::store::parties::create_supplier(&mut conn, &Act::new("bench", now), &input).unwrap();
    }
    let supplier_ids: Vec<i64> = suppliers::table
        .order(suppliers::id.asc())
        .limit(BIDDERS as i64)
        .select(suppliers::id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(supplier_ids.len(), BIDDERS);
    bid(&mut conn, &master, server, product, &supplier_ids);
    bid(&mut conn, &master, qid, product, &supplier_ids);
    let setup = t0.elapsed().as_secs_f64();

    // Three custodians: their machines' work, then the server's check of the upload.
    let dealings = custody::dealings(&mut conn, qid).unwrap();
    let items = custody::opening_items(&mut conn, qid).unwrap();
    let (mut machine, mut upload) = (vec![], vec![]);
    for j in 0..3 {
        let t = Instant::now();
        let x = quorum::my_share(qid, j as u32 + 1, &qkeys[j], &dealings).unwrap();
        let map: std::collections::BTreeMap<i64, String> =
            jicai::sealing::custodian::contributions(
                &x,
                items.iter().map(|i| {
                    (
                        i.bid_id,
                        i.nonce.as_str(),
                        i.ciphertext.as_str(),
                        i.digest.as_str(),
                    )
                }),
            )
            .0;
        machine.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        custody::record_contributions(
            &mut conn,
            &Act::new("keeper", Utc::now()),
            qid,
            qusers[j],
            &map,
        )
        .unwrap();
        upload.push(t.elapsed().as_secs_f64());
    }

    let (mut single, mut quorum_times) = (vec![], vec![]);
    for _ in 0..runs {
        single.push(open(&mut conn, &master, server));
        reset(&mut conn, server);
        quorum_times.push(open(&mut conn, &master, qid));
        reset(&mut conn, qid);
    }
    // Both opened the same prices.
    open(&mut conn, &master, server);
    open(&mut conn, &master, qid);
    let prices = |conn: &mut DbConn, t: i64| -> Vec<Option<i64>> {
        bids::table
            .inner_join(lots::table)
            .filter(lots::tender_id.eq(t))
            .order((lots::lot_no.asc(), bids::supplier_id.asc()))
            .select(bids::package_price)
            .load(conn)
            .unwrap()
    };
    let (ps, pq) = (prices(&mut conn, server), prices(&mut conn, qid));
    assert_eq!(ps.len(), (LOTS as usize) * BIDDERS);
    assert!(ps.iter().all(Option::is_some));
    assert_eq!(ps, pq, "both openings found the same prices");

    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "opening bench on {backend}: {LOTS} lots × {BIDDERS} bids per tender, set-up {setup:.1} s"
    );
    println!(
        "custodian's machine, 100,000 contributions: {}",
        machine
            .iter()
            .map(|s| format!("{s:.1} s"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "server's check of each upload:            {}",
        upload
            .iter()
            .map(|s| format!("{s:.1} s"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "commercial opening, server key (single):  {} (median {:.2} s)",
        single
            .iter()
            .map(|s| format!("{s:.2} s"))
            .collect::<Vec<_>>()
            .join(", "),
        median(single.clone())
    );
    println!(
        "commercial opening, 3 of 5 custodians:    {} (median {:.2} s)",
        quorum_times
            .iter()
            .map(|s| format!("{s:.2} s"))
            .collect::<Vec<_>>()
            .join(", "),
        median(quorum_times.clone())
    );
    println!(
        "ratio quorum : single = {:.2} (aim ≤ 2)",
        median(quorum_times) / median(single)
    );
}
