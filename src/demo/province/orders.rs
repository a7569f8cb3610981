//! Writes every planned order's fate: acknowledgement, declined lines, deliveries (on time or
//! late, now and then in two notes), receipt (accepted or rejected), payables and their
//! payment, credit events; the last two weeks' orders still open.

use chrono::{Duration, NaiveDateTime, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::Rng;

use super::plan::{local_day, minutes, PlanOrder};
use super::sql::{Day, Inserter, Opt, Ts, B, Q};
use super::{Gen, ACTOR};
use crate::domain::orders::{
    state_from_lines, CreditEventKind, DeclineReason, LineQuantities, OrderState, ReceiptOutcome,
    RejectReason,
};
use crate::store::{write_tx, DbConn, StoreError};

/// Orders per transaction.
const ORDERS_PER_TX: usize = 5_000;
/// Orders submitted in the last this many days before "as of" are still open.
const OPEN_DAYS: i64 = 14;

/// One order line as its fate unfolds.
/// A delivery being planned: (id, shipped at, shipper, [(line index, quantity)]).
type Shipment = (i64, NaiveDateTime, i64, Vec<(usize, i64)>);

struct LineFate {
    id: i64,
    contract: usize,
    quantity: i64,
    declined: Option<DeclineReason>,
    shipped: i64,
    confirmed: i64,
    accepted: i64,
}

/// The tables of the orders, in the order their references need.
struct OrderTables {
    orders: Inserter,
    lines: Inserter,
    deliveries: Inserter,
    delivery_lines: Inserter,
    payables: Inserter,
    credit_events: Inserter,
}

impl OrderTables {
    fn new() -> Self {
        OrderTables {
            orders: Inserter::new(
                "orders",
                "id, institution_id, supplier_id, urgent, state, submitted_at, acknowledge_by, \
                 deliver_by, acknowledged_at, cancelled_at, placed_by, county_id",
            ),
            lines: Inserter::new(
                "order_lines",
                "id, order_id, contract_id, product_id, quantity, unit_price, declined_reason, \
                 declined_note, shipped, confirmed, accepted",
            ),
            deliveries: Inserter::new(
                "deliveries",
                "id, order_id, shipper_id, idempotency_key, shipped_at",
            ),
            delivery_lines: Inserter::new(
                "delivery_lines",
                "id, delivery_id, order_line_id, quantity, batch_no, production_date, \
                 expiry_date, trace_codes, late, receipt, receipt_reason, confirmed_at, \
                 confirmed_by, accepted, rejected",
            ),
            payables: Inserter::new(
                "payables",
                "id, delivery_line_id, institution_id, supplier_id, amount, due_on, paid_at",
            ),
            credit_events: Inserter::new(
                "credit_events",
                "id, supplier_id, kind, order_line_id, at, detail",
            ),
        }
    }

    fn flush(&mut self, conn: &mut DbConn) -> Result<(), StoreError> {
        self.orders.flush(conn)?;
        self.lines.flush(conn)?;
        self.deliveries.flush(conn)?;
        self.delivery_lines.flush(conn)?;
        self.payables.flush(conn)?;
        self.credit_events.flush(conn)
    }
}

const DECLINE_NOTES: &[(DeclineReason, &str)] = &[
    (DeclineReason::OutOfStock, "库存不足，原料药短缺"),
    (DeclineReason::Discontinued, "该规格已停产"),
    (DeclineReason::Other, "配送线路调整，暂不能配送"),
];

/// What one order is, before its fate.
struct Head {
    id: i64,
    inst_id: i64,
    county_id: i64,
    supplier: i64,
    distributor: i64,
    acknowledge_by: NaiveDateTime,
    deliver_by: NaiveDateTime,
}

/// How far an order has come: stage 3 all the way (closed), 0–2 part of the way (open).
struct Progress {
    stage: u8,
    ack_at: NaiveDateTime,
    acked: bool,
    cancelled_at: Option<NaiveDateTime>,
}

impl Gen {
    /// Every order's fate, written in transactions of [`ORDERS_PER_TX`] orders.
    pub(super) fn write_orders(
        &mut self,
        conn: &mut DbConn,
        rng: &mut StdRng,
        plan: &[PlanOrder],
    ) -> Result<(), StoreError> {
        let mut t = OrderTables::new();
        let open_from = self.as_of - Duration::days(OPEN_DAYS);
        for (n, chunk) in plan.chunks(ORDERS_PER_TX).enumerate() {
            for o in chunk {
                self.one_order(&mut t, rng, o, open_from);
            }
            write_tx(conn, |conn| t.flush(conn))?;
            let done = (n * ORDERS_PER_TX + chunk.len()) as f64;
            if n % 10 == 9 || done as usize == plan.len() {
                eprintln!(
                    "generate: {done:.0} of {} orders written ({:.0}%)",
                    plan.len(),
                    100.0 * done / plan.len() as f64
                );
            }
        }
        for ins in [
            &t.orders,
            &t.lines,
            &t.deliveries,
            &t.delivery_lines,
            &t.payables,
            &t.credit_events,
        ] {
            self.count(ins);
        }
        Ok(())
    }

    fn credit(
        &mut self,
        t: &mut OrderTables,
        supplier: i64,
        kind: CreditEventKind,
        line: i64,
        when: NaiveDateTime,
        detail: &str,
    ) {
        let id = self.id("credit_events");
        row!(
            t.credit_events,
            "({id},{supplier},{},{line},{},{})",
            Q(kind.as_str()),
            Ts(when),
            Q(detail)
        );
    }

    fn one_order(
        &mut self,
        t: &mut OrderTables,
        rng: &mut StdRng,
        o: &PlanOrder,
        open_from: NaiveDateTime,
    ) {
        let h = self.head(o);
        let mut lines: Vec<LineFate> = o
            .lines
            .iter()
            .map(|&(contract, quantity)| LineFate {
                id: 0,
                contract,
                quantity,
                declined: None,
                shipped: 0,
                confirmed: 0,
                accepted: 0,
            })
            .collect();
        for l in lines.iter_mut() {
            l.id = self.id("order_lines");
        }
        let pg = self.progress(rng, o, &h, open_from);
        let deliveries = if pg.acked && pg.cancelled_at.is_none() {
            self.decline_and_ship(t, rng, &h, &pg, &mut lines)
        } else {
            vec![]
        };
        for d in &deliveries {
            self.write_delivery(t, rng, &h, pg.stage, d, &mut lines);
        }
        self.order_rows(t, o, &h, &pg, &lines);
    }

    fn head(&mut self, o: &PlanOrder) -> Head {
        let id = self.id("orders");
        let inst = &self.insts[o.inst];
        let group = &self.groups[o.group];
        let submitted = Utc.from_utc_datetime(&o.sub);
        Head {
            id,
            inst_id: inst.id,
            county_id: self.counties[inst.county].id,
            supplier: self.suppliers[group.maker].id,
            distributor: self.suppliers[group.distributor].id,
            acknowledge_by: self.rules.acknowledge_deadline(submitted).naive_utc(),
            deliver_by: self
                .rules
                .delivery_deadline(submitted, o.urgent, inst.remote)
                .naive_utc(),
        }
    }

    /// How far the order has come: closed orders all the way, open ones part of the way;
    /// now and then cancelled.
    fn progress(
        &self,
        rng: &mut StdRng,
        o: &PlanOrder,
        h: &Head,
        open_from: NaiveDateTime,
    ) -> Progress {
        let hours = (h.deliver_by - o.sub).num_minutes() / 60;
        let open = o.sub >= open_from;
        let stage = if !open {
            3
        } else {
            match rng.gen_range(0..100) {
                0..=19 => 0,
                20..=44 => 1,
                _ => 2,
            }
        };
        let ack_at = o.sub + minutes(rng, 5, (hours * 60 * 2 / 5).min(20 * 60));
        let acked = stage >= 1 && ack_at <= self.as_of;
        let mut cancelled_at = None;
        if rng.gen_bool(0.005) {
            let at = if acked {
                ack_at + minutes(rng, 10, 600)
            } else {
                o.sub + minutes(rng, 5, 300)
            };
            if at <= self.as_of {
                cancelled_at = Some(at);
            }
        }
        Progress {
            stage,
            ack_at,
            acked,
            cancelled_at,
        }
    }

    /// An acknowledged order: a few lines declined (with their credit events), the others
    /// shipped in one note, or two now and then; on time mostly, late sometimes.
    fn decline_and_ship(
        &mut self,
        t: &mut OrderTables,
        rng: &mut StdRng,
        h: &Head,
        pg: &Progress,
        lines: &mut [LineFate],
    ) -> Vec<Shipment> {
        for l in lines.iter_mut() {
            if rng.gen_bool(0.02) {
                let r = match rng.gen_range(0..100) {
                    0..=69 => 0,
                    70..=84 => 1,
                    _ => 2,
                };
                l.declined = Some(DECLINE_NOTES[r].0);
            }
        }
        let declined: Vec<(i64, DeclineReason)> = lines
            .iter()
            .filter_map(|l| l.declined.map(|r| (l.id, r)))
            .collect();
        for (line, r) in declined {
            let when = pg.ack_at + Duration::minutes(1);
            let kind = CreditEventKind::Declined;
            self.credit(t, h.supplier, kind, line, when, r.as_str());
        }
        let late = rng.gen_bool(0.05);
        let ship1 = if late {
            h.deliver_by + minutes(rng, 60, 36 * 60)
        } else {
            let room = (h.deliver_by - pg.ack_at).num_minutes() - 10;
            pg.ack_at + minutes(rng, 30.min(room), room)
        };
        let split = rng.gen_bool(0.04);
        let ship2 = ship1 + minutes(rng, 120, 30 * 60);
        let shipper = if rng.gen_bool(0.85) {
            h.distributor
        } else {
            h.supplier
        };
        let open_lines: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].declined.is_none())
            .collect();
        let mut deliveries = vec![];
        if pg.stage >= 2 && !open_lines.is_empty() && ship1 <= self.as_of {
            let mut first = vec![];
            let mut second = vec![];
            for &i in &open_lines {
                let q = lines[i].quantity;
                if split && q >= 2 {
                    first.push((i, q / 2));
                    second.push((i, q - q / 2));
                } else {
                    first.push((i, q));
                }
            }
            let d = self.id("deliveries");
            deliveries.push((d, ship1, shipper, first));
            if !second.is_empty() && ship2 <= self.as_of {
                let d = self.id("deliveries");
                deliveries.push((d, ship2, shipper, second));
            }
        }
        deliveries
    }

    /// One delivery note and its lines, received by the whole note at once, a few hours to a
    /// few days later (when the order has come that far).
    fn write_delivery(
        &mut self,
        t: &mut OrderTables,
        rng: &mut StdRng,
        h: &Head,
        stage: u8,
        shipment: &Shipment,
        lines: &mut [LineFate],
    ) {
        let (d, shipped_at, shipper, dls) = shipment;
        row!(
            t.deliveries,
            "({d},{},{shipper},NULL,{})",
            h.id,
            Ts(*shipped_at)
        );
        let confirm_at = *shipped_at + minutes(rng, 60, 60 * 60);
        let receipt = Receipt {
            delivery: *d,
            shipped_at: *shipped_at,
            late: *shipped_at > h.deliver_by,
            confirmed: stage >= 3 && confirm_at <= self.as_of,
            confirm_at,
        };
        for &(i, q) in dls {
            self.delivery_line(t, rng, h, &receipt, &mut lines[i], q);
        }
    }

    /// One delivery line of `q` of `line`: its batch, receipt, and what follows from them
    /// (a late credit event; a payable, or a rejection's credit event).
    fn delivery_line(
        &mut self,
        t: &mut OrderTables,
        rng: &mut StdRng,
        h: &Head,
        r: &Receipt,
        line: &mut LineFate,
        q: i64,
    ) {
        let dl = self.id("delivery_lines");
        let line_id = line.id;
        line.shipped += q;
        let day = local_day(self.tz, r.shipped_at);
        let produced = day - Duration::days(rng.gen_range(20..200));
        let months = if rng.gen_bool(0.5) { 24 } else { 36 };
        let expiry = produced
            .checked_add_months(chrono::Months::new(months))
            .unwrap_or(produced);
        let batch = format!("{}{:02}", produced.format("%Y%m%d"), rng.gen_range(1..30));
        let trace = format!(
            "81{:09}{:09}",
            rng.gen_range(0..1_000_000_000u64),
            rng.gen_range(0..1_000_000_000u64)
        );
        let (receipt, reason) = if r.confirmed {
            line.confirmed += q;
            if rng.gen_bool(0.01) {
                let why = RejectReason::ALL[rng.gen_range(0..RejectReason::ALL.len())];
                (Some(ReceiptOutcome::Rejected), Some(why))
            } else {
                line.accepted += q;
                (Some(ReceiptOutcome::Accepted), None)
            }
        } else {
            (None, None)
        };
        row!(
            t.delivery_lines,
            "({dl},{},{line_id},{q},{},{},{},{},{},{},{},{},{},{},{})",
            r.delivery,
            Q(&batch),
            Day(produced),
            Day(expiry),
            Q(&trace),
            B(r.late),
            Opt(receipt.map(|r| Q(r.as_str()))),
            Opt(reason.map(|r| Q(r.as_str()))),
            Opt(r.confirmed.then_some(Ts(r.confirm_at))),
            Opt(r.confirmed.then_some(Q(ACTOR))),
            if receipt == Some(ReceiptOutcome::Accepted) {
                q
            } else {
                0
            },
            if receipt == Some(ReceiptOutcome::Rejected) {
                q
            } else {
                0
            }
        );
        if r.late {
            let detail = format!("delivered after {}", h.deliver_by);
            let kind = CreditEventKind::Late;
            self.credit(t, h.supplier, kind, line_id, r.shipped_at, &detail);
        }
        match (receipt, reason) {
            (Some(ReceiptOutcome::Accepted), _) => {
                let price = self.contracts[line.contract].price;
                self.payable(t, rng, h, r.confirm_at, dl, price * q);
            }
            (Some(ReceiptOutcome::Rejected), Some(why)) => {
                let kind = CreditEventKind::Rejected;
                self.credit(t, h.supplier, kind, line_id, r.confirm_at, why.as_str());
            }
            _ => {}
        }
    }

    /// The payable of an accepted delivery line, paid mostly (when it is time).
    fn payable(
        &mut self,
        t: &mut OrderTables,
        rng: &mut StdRng,
        h: &Head,
        confirm_at: NaiveDateTime,
        dl: i64,
        amount: i64,
    ) {
        let p = self.id("payables");
        let due = local_day(self.tz, confirm_at) + Duration::days(self.rules.payment_days);
        let paid = confirm_at + Duration::days(rng.gen_range(1..40)) + minutes(rng, 0, 600);
        let paid = (rng.gen_bool(0.95) && paid <= self.as_of).then_some(Ts(paid));
        row!(
            t.payables,
            "({p},{dl},{},{},{amount},{},{})",
            h.inst_id,
            h.supplier,
            Day(due),
            Opt(paid)
        );
    }

    /// The order's row, its state what its lines say (as the store moves it), and its lines.
    fn order_rows(
        &self,
        t: &mut OrderTables,
        o: &PlanOrder,
        h: &Head,
        pg: &Progress,
        lines: &[LineFate],
    ) {
        let state = if pg.cancelled_at.is_some() {
            OrderState::Cancelled
        } else {
            let q: Vec<LineQuantities> = lines
                .iter()
                .map(|l| LineQuantities {
                    ordered: l.quantity,
                    declined: l.declined.is_some(),
                    shipped: l.shipped,
                    confirmed: l.confirmed,
                    accepted: l.accepted,
                })
                .collect();
            let current = if pg.acked {
                OrderState::Acknowledged
            } else {
                OrderState::Submitted
            };
            state_from_lines(current, &q)
        };
        let id = h.id;
        row!(
            t.orders,
            "({id},{},{},{},{},{},{},{},{},{},{},{})",
            h.inst_id,
            h.supplier,
            B(o.urgent),
            Q(state.as_str()),
            Ts(o.sub),
            Ts(h.acknowledge_by),
            Ts(h.deliver_by),
            Opt(pg.acked.then_some(Ts(pg.ack_at))),
            Opt(pg.cancelled_at.map(Ts)),
            Q(ACTOR),
            h.county_id
        );
        for l in lines {
            let c = &self.contracts[l.contract];
            let note = l.declined.map(|r| {
                DECLINE_NOTES
                    .iter()
                    .find(|(d, _)| *d == r)
                    .map(|(_, n)| *n)
                    .unwrap_or("")
            });
            row!(
                t.lines,
                "({},{id},{},{},{},{},{},{},{},{},{})",
                l.id,
                c.id,
                self.products[c.product].id,
                l.quantity,
                c.price,
                Opt(l.declined.map(|r| Q(r.as_str()))),
                Opt(note.map(Q)),
                l.shipped,
                l.confirmed,
                l.accepted
            );
        }
    }
}

/// How a delivery note was received.
struct Receipt {
    delivery: i64,
    shipped_at: NaiveDateTime,
    late: bool,
    confirmed: bool,
    confirm_at: NaiveDateTime,
}
