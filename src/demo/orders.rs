//! The demo's orders under the 2026 contracts: one delivered, accepted and payable within the
//! week; one acknowledged and now past its delivery deadline with nothing shipped; one just
//! submitted; and a drug falling short (three lines declined as out of stock over the last
//! days, and the institution's shortage report), so that the scheduled jobs have something to
//! say at once.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::app::ordering::{place_basket, BasketLine, Item, Placed};
use crate::domain::orders::DeliveryRules;
use crate::domain::{Code, Msg};
use crate::store::orders::{self as os, DeliveryNote, Receipt, ShipLine};
use crate::store::tenders::{self as ts, Contract};
use crate::store::{parties, Act, DbConn, StoreError};

/// Loads the demo's orders and the drug falling short, for the institution of `township_code`
/// under its first contract (none: nothing to load).
pub fn load(
    conn: &mut DbConn,
    now: DateTime<Utc>,
    today: NaiveDate,
    township_code: &str,
) -> Result<(), StoreError> {
    let inst = parties::institution_by_code(conn, township_code)?.ok_or_else(|| {
        StoreError::NotFound(Msg::new(Code::InstitutionNotFound).arg("code", township_code))
    })?;
    let commitments = ts::commitments_of_institution(conn, inst.id)?;
    let Some((k, ..)) = commitments.first() else {
        return Ok(());
    };
    let s = Scene {
        r: DeliveryRules::default(),
        now,
        today,
        institution_id: inst.id,
    };
    delivered_and_accepted(conn, &s, k)?;
    acknowledged_and_late(conn, &s, k)?;
    // Submitted an hour ago, urgent.
    let an_hour_ago = Act::new("institution", now - Duration::hours(1));
    s.place(conn, &an_hour_ago, true, k.id, 40, today)?;
    let others = commitments.iter().map(|c| &c.0);
    if let Some(k2) = other_contract(others, k) {
        falling_short(conn, &s, k2)?;
    }
    Ok(())
}

/// When the demo's orders happen: the rules, the moment of loading, its date, and the
/// institution that orders.
struct Scene {
    r: DeliveryRules,
    now: DateTime<Utc>,
    today: NaiveDate,
    institution_id: i64,
}

impl Scene {
    /// So many days before the loading.
    fn ago(&self, d: i64) -> DateTime<Utc> {
        self.now - Duration::days(d)
    }

    /// The date so many days before the loading.
    fn day(&self, d: i64) -> NaiveDate {
        self.today - Duration::days(d)
    }

    /// The institution's clerk, acting so many days before the loading.
    fn clerk(&self, d: i64) -> Act {
        Act::new("institution", self.ago(d))
    }

    /// The supplier's user, acting so many days before the loading.
    fn shipper(&self, supplier: i64, d: i64) -> Act {
        Act::new(format!("supplier-{supplier}"), self.ago(d))
    }

    /// Places a one-line order under a contract (the demo's own county's, so the choice of
    /// arrangement takes it).
    fn place(
        &self,
        conn: &mut DbConn,
        act: &Act,
        urgent: bool,
        contract_id: i64,
        quantity: i64,
        today: NaiveDate,
    ) -> Result<Placed, StoreError> {
        let line = BasketLine {
            item: Item::Contract(contract_id),
            quantity,
        };
        place_basket(
            conn,
            act,
            &self.r,
            self.institution_id,
            urgent,
            &[line],
            today,
        )?
        .pop()
        .ok_or_else(|| StoreError::Conflict(Code::OrderNeedsLines.into()))
    }

    /// A normal order the clerk placed so many days before the loading.
    fn ordered(
        &self,
        conn: &mut DbConn,
        d: i64,
        contract_id: i64,
        quantity: i64,
    ) -> Result<Placed, StoreError> {
        self.place(
            conn,
            &self.clerk(d),
            false,
            contract_id,
            quantity,
            self.day(d),
        )
    }
}

/// Delivered and accepted 25 days ago: payable in 5 days.
fn delivered_and_accepted(conn: &mut DbConn, s: &Scene, k: &Contract) -> Result<(), StoreError> {
    let (r, supplier) = (&s.r, k.supplier_id);
    let (o, lines) = s.ordered(conn, 27, k.id, 300)?;
    os::acknowledge(conn, &s.shipper(supplier, 27), o.id, supplier)?;
    let ship = [ShipLine {
        order_line_id: lines[0].id,
        quantity: 300,
        batch_no: "20260815".into(),
        production_date: s.day(100),
        expiry_date: s.day(100) + Duration::days(730),
        trace_codes: vec!["81000012345678901234".into()],
    }];
    let note = DeliveryNote {
        order_id: o.id,
        shipper_id: supplier,
        idempotency_key: Some("demo-1"),
        lines: &ship,
    };
    let shipped = os::ship(conn, &s.shipper(supplier, 26), r, &note, s.day(26))?;
    os::confirm(
        conn,
        &s.clerk(25),
        r,
        shipped.lines[0].id,
        s.institution_id,
        Receipt::Accepted,
        s.day(25),
    )?;
    Ok(())
}

/// Acknowledged three days ago, nothing shipped: late.
fn acknowledged_and_late(conn: &mut DbConn, s: &Scene, k: &Contract) -> Result<(), StoreError> {
    let (o, _) = s.ordered(conn, 3, k.id, 120)?;
    os::acknowledge(conn, &s.shipper(k.supplier_id, 3), o.id, k.supplier_id)?;
    Ok(())
}

/// The contract of the drug to fall short: another product's from another supplier than
/// `k`'s, else another product's.
fn other_contract<'a>(
    contracts: impl Iterator<Item = &'a Contract> + Clone,
    k: &Contract,
) -> Option<&'a Contract> {
    contracts
        .clone()
        .find(|c| c.product_id != k.product_id && c.supplier_id != k.supplier_id)
        .or_else(|| contracts.clone().find(|c| c.product_id != k.product_id))
}

/// A drug falling short: its supplier (under `k2`) declined three orders as out of stock over
/// the last days, and the township center reported it short.
fn falling_short(conn: &mut DbConn, s: &Scene, k2: &Contract) -> Result<(), StoreError> {
    let drug = crate::store::catalog::get_product(conn, k2.product_id)?.drug_id;
    for d in [4, 3, 2] {
        let (_, lines) = s.ordered(conn, d, k2.id, 60)?;
        os::decline_line(
            conn,
            &Act::new(
                format!("supplier-{}", k2.supplier_id),
                s.ago(d) + Duration::hours(2),
            ),
            lines[0].id,
            k2.supplier_id,
            crate::domain::orders::DeclineReason::OutOfStock,
            "缺货：原料药供应中断 / out of stock: API supply interrupted",
        )?;
    }
    crate::store::shortages::report(
        conn,
        &s.clerk(1),
        s.institution_id,
        drug,
        "药房已无库存，村卫生室也在要 / none left in the pharmacy; village clinics are asking",
    )?;
    Ok(())
}
