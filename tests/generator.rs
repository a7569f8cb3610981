//! The province generator (`jicai generate`) at small scale, on both databases: the row counts,
//! the order lines' counters against their delivery lines, each order's state against its lines,
//! deadlines, credit events and payables; the API tokens it issues; then the real store code
//! and the JSON API place, ship and confirm new orders without meeting a generated id; a second
//! run is refused without --force, and with it gives the same data again beside the first.

mod common;

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use common::{app, test_config, Client, TestDb};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use jicai::app::ordering::{place_basket, BasketLine, Item};
use jicai::clock::Clock;
use jicai::demo::province::{self, GenerateError, Options, Scale};
use jicai::domain::orders::{
    state_from_lines, CreditEventKind, DeclineReason, DeliveryRules, LineQuantities, OrderState,
    ReceiptOutcome,
};
use jicai::sealing::MasterKey;
use jicai::store::orders::{self as os, DeliveryLine, Order, OrderLine, Receipt, ShipLine};
use jicai::store::schema::{
    contracts, credit_events, deliveries, delivery_lines, institutions, order_lines, orders,
    payables, regions,
};
use jicai::store::{users, Act, DbConn};
use jicai::web::AppState;
use serde_json::json;

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn rows(c: &mut DbConn, table: &str) -> i64 {
    diesel::sql_query(format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}"))
        .get_result::<N>(c)
        .unwrap()
        .n
}

fn options(force: bool) -> Options {
    Options {
        scale: Scale::Small,
        seed: 7,
        as_of: Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap(),
        tz: chrono_tz::Asia::Shanghai,
        password: "bench-password-1".into(),
        force,
    }
}

/// What a line came to, to compare two runs of one seed.
type Fate = (i64, i64, Option<DeclineReason>, i64, i64, i64);

fn fates(lines: &[OrderLine]) -> Vec<Fate> {
    lines
        .iter()
        .map(|l| {
            (
                l.quantity,
                l.unit_price,
                l.declined_reason,
                l.shipped,
                l.confirmed,
                l.accepted,
            )
        })
        .collect()
}

/// Checks the orders of one generated run (the orders with ids in `ids`).
fn check_orders(c: &mut DbConn, ids: std::ops::RangeInclusive<i64>, as_of: NaiveDateTime) {
    let tz = chrono_tz::Asia::Shanghai;
    let os_: Vec<Order> = orders::table
        .filter(orders::id.between(*ids.start(), *ids.end()))
        .order(orders::id.asc())
        .select(Order::as_select())
        .load(c)
        .unwrap();
    let ls: Vec<OrderLine> = order_lines::table
        .filter(order_lines::order_id.between(*ids.start(), *ids.end()))
        .order(order_lines::id.asc())
        .select(OrderLine::as_select())
        .load(c)
        .unwrap();
    let dls: Vec<(i64, NaiveDateTime, DeliveryLine)> = delivery_lines::table
        .inner_join(deliveries::table)
        .filter(deliveries::order_id.between(*ids.start(), *ids.end()))
        .order(delivery_lines::id.asc())
        .select((
            deliveries::order_id,
            deliveries::shipped_at,
            DeliveryLine::as_select(),
        ))
        .load(c)
        .unwrap();
    let remote: HashMap<i64, bool> = institutions::table
        .select((institutions::id, institutions::remote))
        .load::<(i64, bool)>(c)
        .unwrap()
        .into_iter()
        .collect();
    let mut by_order: HashMap<i64, Vec<&OrderLine>> = HashMap::new();
    for l in &ls {
        by_order.entry(l.order_id).or_default().push(l);
    }
    let mut by_line: HashMap<i64, Vec<&DeliveryLine>> = HashMap::new();
    for (_, _, d) in &dls {
        by_line.entry(d.order_line_id).or_default().push(d);
    }
    let order_of: HashMap<i64, &Order> = os_.iter().map(|o| (o.id, o)).collect();

    // Each order carries the county of its institution, as `place_order` sets it.
    let county: HashMap<i64, i64> = institutions::table
        .inner_join(regions::table)
        .select((
            institutions::id,
            regions::id,
            regions::level,
            regions::parent_id,
        ))
        .load::<(i64, i64, jicai::domain::catalog::RegionLevel, Option<i64>)>(c)
        .unwrap()
        .into_iter()
        .map(|(i, r, level, parent)| (i, jicai::store::regions::county_of(r, level, parent)))
        .collect();
    let order_counties: Vec<(i64, i64, Option<i64>)> = orders::table
        .filter(orders::id.between(*ids.start(), *ids.end()))
        .select((orders::id, orders::institution_id, orders::county_id))
        .load(c)
        .unwrap();
    for (id, inst, cid) in order_counties {
        assert_eq!(cid, Some(county[&inst]), "county of order {id}");
    }

    // Counters are the sums of the delivery lines; nothing beyond what was ordered.
    for l in &ls {
        let d = by_line.get(&l.id).cloned().unwrap_or_default();
        let sum = |f: &dyn Fn(&DeliveryLine) -> bool| -> i64 {
            d.iter().filter(|x| f(x)).map(|x| x.quantity).sum()
        };
        assert_eq!(l.shipped, sum(&|_| true), "shipped of line {}", l.id);
        assert_eq!(
            l.confirmed,
            sum(&|x| x.receipt.is_some()),
            "confirmed of line {}",
            l.id
        );
        assert_eq!(
            l.accepted,
            sum(&|x| x.receipt == Some(ReceiptOutcome::Accepted)),
            "accepted of line {}",
            l.id
        );
        assert!(l.shipped <= l.quantity && l.quantity > 0);
        if l.declined_reason.is_some() {
            assert_eq!(l.shipped, 0, "a declined line ships nothing");
        }
        let k_price: i64 = contracts::table
            .find(l.contract_id)
            .select(contracts::unit_price)
            .first(c)
            .unwrap();
        assert_eq!(l.unit_price, k_price, "the contract's price");
    }

    // States follow the lines; deadlines follow urgency and remoteness; open orders are the
    // last two weeks'.
    let r = DeliveryRules::default();
    let open_from = as_of - Duration::days(14);
    let mut open = 0;
    for o in &os_ {
        let state = o.state;
        let lines = by_order.get(&o.id).cloned().unwrap_or_default();
        assert!(!lines.is_empty(), "order {} has lines", o.id);
        if state == OrderState::Cancelled {
            assert!(o.cancelled_at.is_some());
            assert!(lines.iter().all(|l| l.shipped == 0));
        } else {
            let q: Vec<LineQuantities> = lines
                .iter()
                .map(|l| LineQuantities {
                    ordered: l.quantity,
                    declined: l.declined_reason.is_some(),
                    shipped: l.shipped,
                    confirmed: l.confirmed,
                    accepted: l.accepted,
                })
                .collect();
            let current = if o.acknowledged_at.is_some() {
                OrderState::Acknowledged
            } else {
                OrderState::Submitted
            };
            assert_eq!(state, state_from_lines(current, &q), "order {}", o.id);
        }
        let sub = o.submitted_at.and_utc();
        let remote = remote[&o.institution_id];
        assert_eq!(
            o.deliver_by,
            r.delivery_deadline(sub, o.urgent, remote).naive_utc()
        );
        assert_eq!(o.acknowledge_by, r.acknowledge_deadline(sub).naive_utc());
        assert!(o.submitted_at <= as_of);
        assert!(o.submitted_at >= NaiveDate::from_ymd_opt(2025, 12, 31).unwrap().into());
        if o.submitted_at >= open_from {
            open += 1;
            assert!(
                lines.iter().all(|l| l.confirmed == 0),
                "open order {} has nothing confirmed",
                o.id
            );
        } else {
            assert!(
                matches!(
                    state,
                    OrderState::Received | OrderState::Closed | OrderState::Cancelled
                ),
                "order {} of {} is {}",
                o.id,
                o.submitted_at,
                o.state
            );
        }
    }
    assert!(open > 50, "the last two weeks' orders are open: {open}");
    let received = os_
        .iter()
        .filter(|o| o.state == OrderState::Received)
        .count();
    assert!(received * 10 > os_.len() * 8, "most orders received");

    // Delivery lines: late exactly when shipped after the deadline; reasons from the domain.
    let mut late = 0;
    let mut rejected = 0;
    let mut accepted = 0;
    for (o, shipped_at, d) in &dls {
        assert_eq!(d.late, *shipped_at > order_of[o].deliver_by, "late flag");
        late += i64::from(d.late);
        match d.receipt {
            Some(ReceiptOutcome::Accepted) => {
                accepted += 1;
                assert_eq!(d.receipt_reason, None);
                assert_eq!((d.accepted, d.rejected), (d.quantity, 0));
            }
            Some(ReceiptOutcome::Rejected) => {
                rejected += 1;
                assert!(d.receipt_reason.is_some(), "a rejection has its reason");
                assert_eq!((d.accepted, d.rejected), (0, d.quantity));
            }
            // The generator receives whole lines.
            Some(ReceiptOutcome::Partial) => panic!("a generated line received in part: {d:?}"),
            None => assert!(d.confirmed_at.is_none()),
        }
        assert!(d.expiry_date > d.production_date + Duration::days(180));
        if let Some(at) = d.confirmed_at {
            assert!(at >= *shipped_at && at <= as_of);
        }
    }
    let declined = ls.iter().filter(|l| l.declined_reason.is_some()).count() as i64;
    let n = ls.len() as i64;
    assert!(
        declined * 100 > n / 2 && declined * 100 < n * 4,
        "~2% declined: {declined}"
    );
    let dn = dls.len() as i64;
    assert!(
        rejected * 1000 > dn * 2 && rejected * 100 < dn * 3,
        "~1% rejected: {rejected}"
    );
    assert!(late > 0 && late * 100 < dn * 15, "some late: {late}");

    // Credit events: one per late delivery line, declined line and rejected line.
    let line_ids = (ls[0].id, ls[ls.len() - 1].id);
    let events: Vec<(CreditEventKind, Option<i64>)> = credit_events::table
        .filter(credit_events::order_line_id.between(line_ids.0, line_ids.1))
        .select((credit_events::kind, credit_events::order_line_id))
        .load(c)
        .unwrap();
    let kind = |k: CreditEventKind| events.iter().filter(|e| e.0 == k).count() as i64;
    assert_eq!(kind(CreditEventKind::Late), late);
    assert_eq!(kind(CreditEventKind::Declined), declined);
    assert_eq!(kind(CreditEventKind::Rejected), rejected);
    assert_eq!(events.len() as i64, late + declined + rejected);

    // Payables: one per accepted delivery line, at the contract price, due 30 days on.
    let dl_ids = (dls[0].2.id, dls[dls.len() - 1].2.id);
    let ps: Vec<(i64, i64, NaiveDate, Option<NaiveDateTime>)> = payables::table
        .filter(payables::delivery_line_id.between(dl_ids.0, dl_ids.1))
        .select((
            payables::delivery_line_id,
            payables::amount,
            payables::due_on,
            payables::paid_at,
        ))
        .load(c)
        .unwrap();
    assert_eq!(ps.len() as i64, accepted);
    let dl_by_id: HashMap<i64, &DeliveryLine> = dls.iter().map(|(_, _, d)| (d.id, d)).collect();
    let price: HashMap<i64, i64> = ls.iter().map(|l| (l.id, l.unit_price)).collect();
    for (dl, amount, due, paid) in &ps {
        let d = dl_by_id[dl];
        assert_eq!(d.receipt, Some(ReceiptOutcome::Accepted));
        assert_eq!(*amount, price[&d.order_line_id] * d.quantity);
        let confirmed = Utc
            .from_utc_datetime(&d.confirmed_at.unwrap())
            .with_timezone(&tz)
            .date_naive();
        assert_eq!(*due, confirmed + Duration::days(30));
        assert!(paid.is_none_or(|p| p <= as_of));
    }
    let paid = ps.iter().filter(|p| p.3.is_some()).count();
    assert!(paid * 10 > ps.len() * 8, "most payables paid");
}

async fn a_generated_province(db: TestDb) {
    let store = db.store();
    let mut c = store.conn().unwrap();
    let master = MasterKey::from_bytes([5u8; 32]);
    let opts = options(false);
    let as_of = opts.as_of.naive_utc();
    let g = province::generate(&mut c, &master, &opts).expect("the generator runs");
    assert_eq!(g.province_code, "340000");
    let p = Scale::Small.params();

    // What it says it wrote is there, at the sizes asked for.
    for (table, n) in &g.rows {
        assert_eq!(rows(&mut c, table), *n, "rows of {table}");
    }
    assert_eq!(
        g.count("regions"),
        (1 + p.cities + p.counties + p.townships) as i64
    );
    assert_eq!(g.count("institutions"), (p.townships + p.villages) as i64);
    assert_eq!(
        g.count("suppliers"),
        (p.manufacturers + p.distributors) as i64
    );
    assert_eq!(g.count("drugs"), p.drugs as i64);
    assert_eq!(g.count("products"), p.products as i64);
    assert_eq!(g.count("contracts"), p.contracts as i64);
    assert_eq!(g.count("bids"), p.contracts as i64);
    assert_eq!(g.count("order_lines"), p.order_lines as i64);
    let orders_n = g.count("orders");
    assert!(
        orders_n > (p.order_lines / 5) as i64 && orders_n < (p.order_lines / 3) as i64,
        "about 4 lines an order: {orders_n} orders"
    );
    let villages_under_centers: i64 = institutions::table
        .filter(institutions::kind.eq("village_clinic"))
        .filter(institutions::parent_id.is_not_null())
        .count()
        .get_result(&mut c)
        .unwrap();
    assert_eq!(villages_under_centers, p.villages as i64);
    let in_force: i64 = contracts::table
        .filter(contracts::status.eq(jicai::domain::tender::ContractStatus::InForce))
        .count()
        .get_result(&mut c)
        .unwrap();
    assert_eq!(in_force, p.contracts as i64);
    check_orders(&mut c, 1..=orders_n, as_of);

    // The tokens belong to users of those township centers and suppliers.
    assert_eq!(g.institution_tokens.len(), p.token_institutions);
    assert_eq!(g.supplier_tokens.len(), p.manufacturers + p.distributors);
    for (id, t) in &g.institution_tokens {
        let u = users::user_by_token_hash(&mut c, &jicai::security::token_hash(t))
            .unwrap()
            .expect("a live token");
        assert_eq!(
            (u.role, u.institution_id),
            (jicai::domain::roles::Role::Institution, Some(*id))
        );
    }
    for (id, t) in &g.supplier_tokens {
        let u = users::user_by_token_hash(&mut c, &jicai::security::token_hash(t))
            .unwrap()
            .expect("a live token");
        assert_eq!(u.supplier_id, Some(*id));
    }
    assert!(g.tokens_file().lines().count() == 2 + g.institution_tokens.len() + 15);
    assert!(users::by_username(&mut c, "center").unwrap().is_some());

    // The real store code goes on from there: a new order, acknowledged, one line declined,
    // the other shipped and accepted — new rows in every order table, no id met twice.
    let (inst, _) = g.institution_tokens[0].clone();
    let (region, parent): (i64, Option<i64>) = institutions::table
        .inner_join(regions::table)
        .filter(institutions::id.eq(inst))
        .select((regions::id, regions::parent_id))
        .first(&mut c)
        .unwrap();
    let county = parent.unwrap_or(region);
    let ks: Vec<(i64, i64)> = contracts::table
        .filter(contracts::region_id.eq(county))
        .order(contracts::id.asc())
        .select((contracts::id, contracts::supplier_id))
        .load(&mut c)
        .unwrap();
    let supplier = ks[0].1;
    let mine: Vec<i64> = ks.iter().filter(|k| k.1 == supplier).map(|k| k.0).collect();
    assert!(
        mine.len() >= 2,
        "a supplier with several contracts in the county"
    );
    let r = DeliveryRules::default();
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let act = Act::new("test", opts.as_of);
    let max_line = rows(&mut c, "order_lines");
    let line = |k: i64, quantity: i64| BasketLine {
        item: Item::Contract(k),
        quantity,
    };
    let (o, lines) = place_basket(
        &mut c,
        &act,
        &r,
        inst,
        false,
        &[line(mine[0], 30), line(mine[1], 5)],
        today,
    )
    .expect("a new order after the generated ones")
    .remove(0);
    assert_eq!(o.id, orders_n + 1);
    assert_eq!(lines[0].id, max_line + 1);
    os::acknowledge(&mut c, &act, o.id, supplier).unwrap();
    os::decline_line(
        &mut c,
        &act,
        lines[1].id,
        supplier,
        DeclineReason::OutOfStock,
        "",
    )
    .unwrap();
    let shipped = os::ship(
        &mut c,
        &act,
        &r,
        &os::DeliveryNote {
            order_id: o.id,
            shipper_id: supplier,
            idempotency_key: Some("t-1"),
            lines: &[ShipLine {
                order_line_id: lines[0].id,
                quantity: 30,
                batch_no: "T1".into(),
                production_date: today - Duration::days(30),
                expiry_date: today + Duration::days(700),
                trace_codes: vec![],
            }],
        },
        today,
    )
    .unwrap();
    assert_eq!(shipped.delivery_id, g.count("deliveries") + 1);
    assert_eq!(shipped.lines[0].id, g.count("delivery_lines") + 1);
    assert!(os::confirm(
        &mut c,
        &act,
        &r,
        shipped.lines[0].id,
        inst,
        Receipt::Accepted,
        today
    )
    .unwrap());
    assert_eq!(rows(&mut c, "payables"), g.count("payables") + 1);
    assert_eq!(rows(&mut c, "credit_events"), g.count("credit_events") + 1);
    assert_eq!(os::order(&mut c, o.id).unwrap().state, OrderState::Received);

    // And over the JSON API, with a generated token, on the day the data runs up to.
    let state = AppState {
        bids: jicai::store::bid_writer::BidWriter::start(store.clone()),
        metrics: jicai::web::ops::new_metrics(),
        store: store.clone(),
        config: test_config(&db),
        clock: Clock::fixed(opts.as_of),
        session_key: vec![7u8; 64],
        master: std::sync::Arc::new(MasterKey::from_bytes([5u8; 32])),
    };
    let mut client = Client::new(app(state).await);
    let token = &g.institution_tokens[0].1;
    let placed = client
        .api_post(
            "/api/v1/orders",
            token,
            Some(json!({ "lines": [ { "contract_id": mine[0], "quantity": 12 } ] })),
        )
        .await;
    assert_eq!(placed.status.as_u16(), 201, "{}", placed.body);
    assert_eq!(placed.json()["id"], orders_n + 2);

    // Again: refused, as the database has orders now.
    match province::generate(&mut c, &master, &opts) {
        Err(GenerateError::HasOrders(n)) => assert_eq!(n, orders_n + 2),
        other => panic!("a second run without --force: {:?}", other.map(|g| g.rows)),
    }
    // With --force: a second province beside the first, the same data (same seed), new ids.
    let g2 = province::generate(&mut c, &master, &options(true)).expect("with --force");
    assert_eq!(g2.province_code, "990000");
    assert!(!g2.center_created);
    assert_eq!(g2.count("order_lines"), p.order_lines as i64);
    let first = orders_n + 3;
    check_orders(&mut c, first..=first + g2.count("orders") - 1, as_of);
    let all: Vec<OrderLine> = order_lines::table
        .order(order_lines::id.asc())
        .select(OrderLine::as_select())
        .load(&mut c)
        .unwrap();
    let n = p.order_lines;
    assert_eq!(all.len(), 2 * n + 3);
    assert_eq!(
        fates(&all[..n]),
        fates(&all[all.len() - n..]),
        "the same seed gives the same lines"
    );
}

on_both_databases!(empty: a_generated_province);
