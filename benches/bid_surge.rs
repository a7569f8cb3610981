//! Set-up of the bid-deadline surge (run by `benches/bid_surge.sh`, not by `cargo bench` alone):
//! on a database that holds the demo province, creates 200 suppliers, each with a user and an
//! API token, and a published tender of 50 lots (50 drugs with reported demand) open for bids;
//! each supplier makes a product of every lot's drug (only a product's maker bids, with its own
//! product); then writes a Lua table for wrk: the tokens, and per lot its id and each supplier's
//! product of its drug, in the tokens' order.
//!
//!     cargo bench --bench bid_surge -- surge-setup DATABASE_URL MASTER_KEY_FILE OUT.lua
//!
//! With `BENCH_SEALING=quorum` the tender is sealed by quorum: the demo's five custodians
//! (`jicai demo` made them) deal its key, and every one of the 10,000 price envelopes is sealed
//! here, as each bidder's side would, into the Lua table (`envelopes`, in the order wrk sends
//! the pairs): the server receives sealed envelopes only.

use chrono::{Duration, Utc};
use jicai::domain::award::AwardPolicy;
use jicai::domain::catalog::{ProductInput, SupplierForm};
use jicai::domain::ids::uscc_check_char;
use jicai::domain::money::Money;
use jicai::domain::paging::PageRequest;
use jicai::domain::roles::{Role, Scope};
use jicai::domain::tender::TenderAction;
use jicai::sealing::MasterKey;
use jicai::store::tenders::{self as ts, LotSpec, TenderSpec};
use jicai::store::{catalog, parties, regions, users, Act, Store};
use std::fmt::Write;

const SUPPLIERS: usize = 200;
const LOTS: usize = 50;

/// A product of the drug made by each supplier (only a product's maker bids, with its own
/// product); their ids in the suppliers' order.
fn own_products(
    c: &mut jicai::store::DbConn,
    act: &Act,
    usccs: &[String],
    drug_code: &str,
    lot: usize,
) -> Vec<i64> {
    usccs
        .iter()
        .enumerate()
        .map(|(i, uscc)| {
            let input = ProductInput {
                drug_code: drug_code.into(),
                manufacturer_uscc: uscc.clone(),
                approval_number: format!("国药准字H9{i:03}{lot:04}"),
                units_per_package: 10,
                gtin: None,
                consistency_passed: true,
                originator: false,
                reference_price: None,
            };
            catalog::create_product(c, act, &input).unwrap().id
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(pos) = args.iter().position(|a| a == "surge-setup") else {
        eprintln!("bid_surge: this is the set-up step of benches/bid_surge.sh; run that script");
        return;
    };
    let [url, key_file, out] = [&args[pos + 1], &args[pos + 2], &args[pos + 3]];
    let store = Store::open(url, 2).expect("database");
    let mut c = store.conn().expect("connection");
    let master = MasterKey::load_or_create(std::path::Path::new(key_file)).expect("master key");
    let now = Utc::now();
    let act = Act::new("bench", now);
    let tz = chrono_tz::Asia::Shanghai;

    let province = regions::all(&mut c)
        .unwrap()
        .into_iter()
        .find(|r| r.parent_id.is_none())
        .expect("demo loaded");
    let hash = jicai::security::hash_password("surge-bench").unwrap();
    let mut tokens = vec![];
    let mut usccs = vec![];
    let mut supplier_ids = vec![];
    for i in 0..SUPPLIERS {
        let first17 = format!("91340100MA{:07}", 1_000_000 + i);
        let uscc = format!("{first17}{}", uscc_check_char(&first17).unwrap());
        let input = SupplierForm {
            uscc,
            name: format!("压测医药企业{i:03}"),
            kind: "manufacturer".into(),
            region_code: province.code.clone(),
            credit_status: "good".into(),
            emails: String::new(),
        }
        .validate()
        .expect("valid supplier");
        let s = parties::create_supplier(&mut c, &act, &input).unwrap();
        usccs.push(s.uscc.clone());
        supplier_ids.push(s.id);
        let u = users::create(
            &mut c,
            &act,
            &users::NewUser {
                username: format!("surge{i:03}"),
                password_hash: hash.clone(),
                display_name: format!("surge{i:03}"),
                role: Role::Supplier,
                supplier_id: Some(s.id),
                institution_id: None,
                email: format!("surge{i:03}@bench.jicai.test"),
                language: "zh-CN".into(),
            },
        )
        .unwrap();
        let t = jicai::security::new_api_token();
        users::create_token(&mut c, &act, u.id, "surge", &t.hash, &t.prefix).unwrap();
        tokens.push(t.secret);
    }

    // Demand for 50 drugs that have products, and the tender.
    let w = ts::open_window(
        &mut c,
        &act,
        "压测需求",
        province.id,
        now + Duration::days(1),
    )
    .unwrap();
    let insts = parties::list_institutions(
        &mut c,
        &Scope::All,
        "",
        None,
        &PageRequest::new(Some(1), Some(10)),
    )
    .unwrap()
    .items;
    let mut lots = vec![];
    let mut products = vec![];
    let drugs = catalog::search_drugs(&mut c, "", None, &PageRequest::new(Some(1), Some(200)))
        .unwrap()
        .items;
    for d in drugs {
        let f = catalog::ProductFilter {
            drug_id: Some(d.id),
            ..Default::default()
        };
        if catalog::list_products(&mut c, &f, &PageRequest::new(Some(1), Some(1)))
            .unwrap()
            .items
            .is_empty()
        {
            continue;
        }
        // Each supplier bids with its own product of the drug.
        let own = own_products(&mut c, &act, &usccs, &d.code, lots.len());
        for (k, inst) in insts.iter().enumerate() {
            ts::report_demand(&mut c, &act, w.id, inst.id, d.id, 1_000 + 10 * k as i64).unwrap();
        }
        lots.push(LotSpec {
            drug_id: d.id,
            max_unit_price: Money::parse("max", "100").unwrap(),
            min_bidders: 2,
            consistency_required: false,
            policy: AwardPolicy::LowestPrice,
            agreed_share_bp: 7000,
        });
        products.push(own);
        if lots.len() == LOTS {
            break;
        }
    }
    assert_eq!(lots.len(), LOTS, "the demo has 50 drugs with products");
    let spec = TenderSpec {
        title: "压测：截标前投标高峰".into(),
        region_id: province.id,
        window_id: w.id,
        bid_deadline: now + Duration::hours(12),
        objection_days: 3,
        contract_months: 12,
        lots,
    };
    let quorum = std::env::var("BENCH_SEALING").as_deref() == Ok("quorum");
    let master = if quorum {
        master.sealing(jicai::sealing::Mode::Quorum)
    } else {
        master
    };
    let t = ts::create_tender(&mut c, &act, &master, &spec).unwrap();
    if quorum {
        use jicai::sealing::quorum as q;
        use jicai::store::tenders::custody;
        let keepers = jicai::demo::custody::KEEPERS;
        let ids: Vec<i64> = keepers
            .iter()
            .map(|(u, _)| {
                users::by_username(&mut c, u)
                    .unwrap()
                    .expect("jicai demo made the custodians")
                    .id
            })
            .collect();
        custody::appoint(&mut c, &act, t.id, &ids, custody::DEFAULT_QUORUM).unwrap();
        let keys: Vec<q::CustodianKey> = keepers
            .iter()
            .map(|(u, _)| q::CustodianKey::from_seed(format!("jicai demo {u}").as_bytes()))
            .collect();
        let pubs: Vec<_> = keys.iter().map(|k| k.public()).collect();
        for (i, u) in ids.iter().enumerate() {
            let d = q::deal(t.id, i as u32 + 1, custody::DEFAULT_QUORUM as usize, &pubs).unwrap();
            custody::record_dealing(&mut c, &act, t.id, *u, &d).unwrap();
        }
    }
    ts::apply_action(&mut c, &act, &master, tz, t.id, TenderAction::Publish, None).unwrap();
    let t = ts::tender(&mut c, t.id).unwrap();
    let lot_ids: Vec<i64> = ts::lots_of(&mut c, t.id)
        .unwrap()
        .iter()
        .map(|l| l.id)
        .collect();

    let mut lua = String::from("return {\n  tender = ");
    writeln!(lua, "{},", t.id).unwrap();
    lua.push_str("  tokens = {\n");
    for t in &tokens {
        writeln!(lua, "    \"{t}\",").unwrap();
    }
    lua.push_str("  },\n  lots = {\n");
    for (l, own) in lot_ids.iter().zip(&products) {
        let own: Vec<String> = own.iter().map(|p| p.to_string()).collect();
        writeln!(lua, "    {{ {l}, {{ {} }} }},", own.join(", ")).unwrap();
    }
    lua.push_str("  },\n");
    if quorum {
        // Pair k (0-based, as the wrk script sends them): supplier k % 200, lot k / 200, the
        // price the script would have sent in the clear.
        use jicai::sealing::quorum as q;
        let y = q::point_hex(&t.envelope_key).unwrap();
        lua.push_str("  envelopes = {\n");
        for k in 0..SUPPLIERS * LOTS {
            let (s, l) = (k % SUPPLIERS, k / SUPPLIERS);
            let price = format!("{}.{:02}", 10 + (k * 7) % 50, k % 100);
            let plain = format!("{{\"package_price\":\"{price}\"}}");
            let e = q::seal_price(
                &y,
                t.id,
                &q::price_binding(t.id, lot_ids[l], supplier_ids[s]),
                plain.as_bytes(),
            )
            .unwrap();
            writeln!(
                lua,
                "    '{{\"nonce\":\"{}\",\"ciphertext\":\"{}\",\"digest\":\"{}\"}}',",
                e.nonce_hex(),
                e.ciphertext_hex(),
                e.digest()
            )
            .unwrap();
        }
        lua.push_str("  },\n");
    }
    lua.push_str("}\n");
    std::fs::write(out, lua).unwrap();
    println!(
        "tender {} with {} lots, {} suppliers with tokens; wrk data in {out}",
        t.id,
        lot_ids.len(),
        tokens.len()
    );
}
