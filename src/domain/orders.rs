//! Orders and deliveries: the rules of DOMAIN.md "Orders and deliveries" that need no database —
//! deadlines, shelf life on arrival, receipt outcomes, declines, and the order's state as its
//! lines' quantities say.

use chrono::{DateTime, Duration, Months, NaiveDate, Utc};

use super::{Code, Invalid, Msg};

/// The province's delivery settings (defaults of DOMAIN.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryRules {
    pub acknowledge_hours: i64,
    pub urgent_hours: i64,
    pub normal_hours: i64,
    pub remote_hours: i64,
    /// Remaining shelf life on arrival, in months.
    pub min_shelf_months: u32,
    pub payment_days: i64,
}

impl Default for DeliveryRules {
    fn default() -> Self {
        DeliveryRules {
            acknowledge_hours: 24,
            urgent_hours: 24,
            normal_hours: 48,
            remote_hours: 72,
            min_shelf_months: 6,
            payment_days: 30,
        }
    }
}

impl DeliveryRules {
    /// The delivery deadline of an order: urgent 24 h; otherwise 72 h for a remote institution
    /// and 48 h for the others (an urgent order is urgent wherever it goes).
    pub fn delivery_deadline(
        &self,
        submitted: DateTime<Utc>,
        urgent: bool,
        remote: bool,
    ) -> DateTime<Utc> {
        let h = if urgent {
            self.urgent_hours
        } else if remote {
            self.remote_hours
        } else {
            self.normal_hours
        };
        submitted + Duration::hours(h)
    }

    pub fn acknowledge_deadline(&self, submitted: DateTime<Utc>) -> DateTime<Utc> {
        submitted + Duration::hours(self.acknowledge_hours)
    }

    /// Refuses goods whose remaining shelf life on arrival is under the minimum.
    pub fn check_shelf_life(
        &self,
        production: NaiveDate,
        expiry: NaiveDate,
        arrival: NaiveDate,
    ) -> Result<(), Invalid> {
        if expiry <= production {
            return Err(Invalid::new("expiry_date", Code::ExpiryNotAfterProduction));
        }
        if production > arrival {
            return Err(Invalid::new("production_date", Code::DateInFuture));
        }
        let needed = arrival
            .checked_add_months(Months::new(self.min_shelf_months))
            .unwrap_or(arrival);
        if expiry < needed {
            return Err(Invalid::new(
                "expiry_date",
                Msg::new(Code::ShelfLifeTooShort)
                    .arg("expiry", expiry)
                    .arg("months", self.min_shelf_months)
                    .arg("needed", needed),
            ));
        }
        Ok(())
    }
}

words! {
    /// Why a supplier declines an order line.
    pub enum DeclineReason {
        OutOfStock => "out_of_stock",
        Discontinued => "discontinued",
        Other => "other",
    }
}

words! {
    /// Why an institution rejects a delivered line.
    pub enum RejectReason {
        Damaged => "damaged",
        ShortDated => "short_dated",
        WrongItem => "wrong_item",
        QualityDoubt => "quality_doubt",
        /// Fewer units arrived than the delivery note says (short delivered).
        Missing => "missing",
    }
}

words! {
    /// What an institution made of a delivered line.
    pub enum ReceiptOutcome {
        Accepted => "accepted",
        Rejected => "rejected",
        /// Some units accepted, the others rejected.
        Partial => "partial",
    }
}

/// What an institution says of one delivered line on receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    /// Everything shipped on the line accepted.
    Accepted,
    /// Everything shipped on the line rejected, for this reason.
    Rejected(RejectReason),
    /// Counted: so many units accepted, so many rejected (a reason needed when any is).
    Counted {
        accepted: i64,
        rejected: i64,
        reason: Option<RejectReason>,
    },
}

/// A delivered line's receipt in units: `accepted + rejected` is what the line shipped; the
/// rejected ones have their reason (none when nothing is rejected).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    pub accepted: i64,
    pub rejected: i64,
    pub reason: Option<RejectReason>,
}

impl Received {
    /// The word kept on the line: accepted, rejected, or partial.
    pub fn outcome(&self) -> ReceiptOutcome {
        if self.rejected == 0 {
            ReceiptOutcome::Accepted
        } else if self.accepted == 0 {
            ReceiptOutcome::Rejected
        } else {
            ReceiptOutcome::Partial
        }
    }

    /// Units that physically arrived: all of them, unless the rejected ones were missing.
    pub fn received(&self) -> i64 {
        if self.reason == Some(RejectReason::Missing) {
            self.accepted
        } else {
            self.accepted + self.rejected
        }
    }
}

/// Checks a receipt of a line that shipped `shipped` units: each count is a whole number from 0
/// to `shipped` (fields `accepted`, `rejected`), together exactly `shipped`
/// (`receipt_does_not_add_up`, on `accepted`), and rejected units have a reason
/// (`reject_reason_required`, on `reason`). Every wrong field is named at once; the arithmetic
/// is checked, so no input wraps or panics.
pub fn check_receipt(shipped: i64, r: Receipt) -> Result<Received, Vec<Invalid>> {
    let (accepted, rejected, reason) = match r {
        Receipt::Accepted => (shipped, 0, None),
        Receipt::Rejected(why) => (0, shipped, Some(why)),
        Receipt::Counted {
            accepted,
            rejected,
            reason,
        } => (accepted, rejected, reason),
    };
    let range = 0..=shipped.max(0);
    let mut errs = vec![];
    let a = super::bounds::in_range("accepted", accepted, range.clone());
    let j = super::bounds::in_range("rejected", rejected, range);
    for e in [&a, &j].into_iter().filter_map(|r| r.as_ref().err()) {
        errs.push(e.clone());
    }
    if errs.is_empty() && accepted.checked_add(rejected) != Some(shipped) {
        errs.push(Invalid::new(
            "accepted",
            Msg::new(Code::ReceiptDoesNotAddUp)
                .arg("accepted", accepted)
                .arg("rejected", rejected)
                .arg("shipped", shipped),
        ));
    }
    if rejected > 0 && reason.is_none() {
        errs.push(Invalid::new("reason", Code::RejectReasonRequired));
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(Received {
        accepted,
        rejected,
        reason: if rejected > 0 { reason } else { None },
    })
}

words! {
    /// What a supplier's credit record notes: a declined line, a late delivery, a rejected
    /// delivery, a warning, the bad-faith list.
    pub enum CreditEventKind {
        Declined => "declined",
        Late => "late",
        Rejected => "rejected",
        Warning => "warning",
        BadFaith => "bad_faith",
    }
}

words! {
    /// An order's state.
    pub enum OrderState {
        Submitted => "submitted",
        Acknowledged => "acknowledged",
        Shipped => "shipped",
        PartiallyReceived => "partially_received",
        Received => "received",
        Closed => "closed",
        Cancelled => "cancelled",
    }
}

/// One order line's quantities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineQuantities {
    pub ordered: i64,
    pub declined: bool,
    pub shipped: i64,
    /// Confirmed on receipt (accepted + rejected).
    pub confirmed: i64,
    pub accepted: i64,
}

/// The state the lines put an acknowledged order in: shipped once anything is shipped,
/// partially received once anything is confirmed, received when every line not declined has
/// all its ordered quantity shipped and confirmed, closed when nothing is left to do and every
/// line was declined.
/// A payable is overdue once its due day has passed unpaid.
pub fn overdue(paid: bool, due_on: NaiveDate, today: NaiveDate) -> bool {
    !paid && due_on < today
}

pub fn state_from_lines(current: OrderState, lines: &[LineQuantities]) -> OrderState {
    if matches!(current, OrderState::Cancelled | OrderState::Closed) {
        return current;
    }
    let open: Vec<&LineQuantities> = lines.iter().filter(|l| !l.declined).collect();
    if open.is_empty() {
        return OrderState::Closed;
    }
    let shipped = open.iter().any(|l| l.shipped > 0);
    let confirmed = open.iter().any(|l| l.confirmed > 0);
    if open
        .iter()
        .all(|l| l.shipped >= l.ordered && l.confirmed >= l.shipped)
    {
        OrderState::Received
    } else if confirmed {
        OrderState::PartiallyReceived
    } else if shipped {
        OrderState::Shipped
    } else {
        current
    }
}

/// May a quantity be shipped on this line? Never more than ordered in all, never on a declined line.
pub fn check_shipment(line: &LineQuantities, quantity: i64) -> Result<(), Invalid> {
    super::bounds::Quantity::new("quantity", quantity)?;
    if line.declined {
        return Err(Invalid::new("quantity", Code::LineDeclined));
    }
    // Checked: a line's quantities are bounded (bounds::Quantity), but a wrapped sum here would
    // let a shipment through that exceeds the order and leave the line stuck.
    let after = line.shipped.checked_add(quantity);
    if after.is_none_or(|a| a > line.ordered) {
        return Err(Invalid::new(
            "quantity",
            Msg::new(Code::ShipmentExceedsOrder)
                .arg("quantity", quantity)
                .arg("ordered", line.ordered)
                .arg("shipped", line.shipped),
        ));
    }
    Ok(())
}

/// A basket's quantities: at least one line, each within [`super::bounds::Quantity`]; the field
/// of a bad one is `lines[i].quantity`.
pub fn check_basket(quantities: &[i64]) -> Result<(), Vec<Invalid>> {
    if quantities.is_empty() {
        return Err(vec![Invalid::new("lines", Code::OrderNeedsLines)]);
    }
    let errs: Vec<Invalid> = quantities
        .iter()
        .enumerate()
        .filter_map(|(i, q)| {
            super::bounds::Quantity::new(&format!("lines[{i}].quantity"), *q).err()
        })
        .collect();
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

/// An order's state as a refusal names it ("partially received").
pub fn state_word(state: OrderState) -> String {
    state.as_str().replace('_', " ")
}

/// Only a submitted order is acknowledged.
pub fn check_acknowledge(state: OrderState) -> Result<(), Invalid> {
    if state != OrderState::Submitted {
        return Err(Invalid::new(
            "state",
            Msg::new(Code::OrderNotAwaitingAcknowledgement).arg("state", state_word(state)),
        ));
    }
    Ok(())
}

/// A line is declined while its order is open, once, before anything is shipped on it.
pub fn check_decline(state: OrderState, line: &LineQuantities) -> Result<(), Invalid> {
    if matches!(
        state,
        OrderState::Cancelled | OrderState::Closed | OrderState::Received
    ) {
        return Err(Invalid::new(
            "state",
            Msg::new(Code::OrderNoLongerOpen).arg("state", state_word(state)),
        ));
    }
    if line.declined {
        return Err(Invalid::new("line", Code::LineAlreadyDeclined));
    }
    if line.shipped > 0 {
        return Err(Invalid::new("line", Code::LinePartlyShipped));
    }
    Ok(())
}

/// An order is cancelled only before anything of it ships.
pub fn check_cancel(state: OrderState, shipped: i64) -> Result<(), Invalid> {
    if !matches!(state, OrderState::Submitted | OrderState::Acknowledged) || shipped > 0 {
        return Err(Invalid::new(
            "state",
            Msg::new(Code::OrderNotCancellable).arg("state", state_word(state)),
        ));
    }
    Ok(())
}

/// A delivery's idempotency key, trimmed (an empty one is none), at most 200 characters.
pub fn idempotency_key(raw: Option<&str>) -> Result<Option<&str>, Invalid> {
    match raw.map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) if k.len() > 200 => Err(Invalid::new(
            "idempotency_key",
            Msg::new(Code::TooLong).arg("max", 200),
        )),
        k => Ok(k),
    }
}

/// A key names one delivery of one order: met again on another order, it is refused.
pub fn check_key_reuse(key_order: i64, order_id: i64) -> Result<(), Invalid> {
    if key_order != order_id {
        return Err(Invalid::new("idempotency_key", Code::IdempotencyKeyReused));
    }
    Ok(())
}

/// One line of a delivery note.
#[derive(Debug, Clone)]
pub struct ShipLine {
    pub order_line_id: i64,
    pub quantity: i64,
    pub batch_no: String,
    pub production_date: NaiveDate,
    pub expiry_date: NaiveDate,
    pub trace_codes: Vec<String>,
}

/// May this delivery note be written on an order in `state` whose lines are `order_lines`
/// (id, quantities), arriving `today`? Every wrong line is named (`line` = its place, from 1).
pub fn check_delivery(
    rules: &DeliveryRules,
    state: OrderState,
    order_lines: &[(i64, LineQuantities)],
    lines: &[ShipLine],
    today: NaiveDate,
) -> Result<(), Vec<Invalid>> {
    if !matches!(
        state,
        OrderState::Acknowledged | OrderState::Shipped | OrderState::PartiallyReceived
    ) {
        return Err(vec![Invalid::new(
            "state",
            Msg::new(Code::OrderNotAcknowledged).arg("state", state_word(state)),
        )]);
    }
    if lines.is_empty() {
        return Err(vec![Invalid::new("lines", Code::DeliveryNeedsLines)]);
    }
    let mut ols = order_lines.to_vec();
    let mut errs = vec![];
    for (i, s) in lines.iter().enumerate() {
        let Some((_, q)) = ols.iter_mut().find(|(id, _)| *id == s.order_line_id) else {
            errs.push(Invalid::new(
                "order_line_id",
                Msg::new(Code::NotALineOfThisOrder)
                    .arg("line", i + 1)
                    .arg("id", s.order_line_id),
            ));
            continue;
        };
        if let Err(e) = check_shipment(q, s.quantity) {
            errs.push(Invalid::new(e.field, e.msg.arg("line", i + 1)));
            continue;
        }
        if let Err(e) = rules.check_shelf_life(s.production_date, s.expiry_date, today) {
            errs.push(Invalid::new(e.field, e.msg.arg("line", i + 1)));
        }
        if s.batch_no.trim().is_empty() {
            errs.push(Invalid::new(
                "batch_no",
                Msg::new(Code::BatchNumberRequired).arg("line", i + 1),
            ));
        }
        q.shipped += s.quantity;
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

/// What the accepted units of a delivered line make payable: their amount (1/10,000 yuan: unit
/// price × accepted quantity, checked) and the day it is due (`payment_days` after acceptance).
pub fn payable(
    rules: &DeliveryRules,
    unit_price: i64,
    quantity: i64,
    accepted_on: NaiveDate,
) -> Result<(i64, NaiveDate), Invalid> {
    let amount = unit_price
        .checked_mul(quantity)
        .ok_or_else(|| Invalid::new("quantity", Code::AmountTooLarge))?;
    Ok((amount, accepted_on + Duration::days(rules.payment_days)))
}

/// A payable is marked paid once.
pub fn check_unpaid(paid: bool) -> Result<(), Invalid> {
    if paid {
        return Err(Invalid::new("payable", Code::PayableAlreadyPaid));
    }
    Ok(())
}

/// A bad-faith entry: its reason (required, at most 2,000 characters) and a period that does
/// not end before it starts.
pub fn bad_faith_entry(
    reason: &str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> Result<String, Invalid> {
    let reason = super::required_text("reason", reason, 2000)?;
    if ends_on < starts_on {
        return Err(Invalid::new("ends_on", Code::PeriodEndsBeforeStart));
    }
    Ok(reason)
}

/// A supplier goes on the bad-faith list only after a warning (a warning first, then named).
pub fn check_warned(warnings: usize) -> Result<(), Invalid> {
    if warnings == 0 {
        return Err(Invalid::new("reason", Code::SupplierNotWarned));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn deadlines_follow_urgency_and_remoteness() {
        let r = DeliveryRules::default();
        let t = Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap();
        assert_eq!(r.delivery_deadline(t, true, false), t + Duration::hours(24));
        assert_eq!(r.delivery_deadline(t, true, true), t + Duration::hours(24));
        assert_eq!(
            r.delivery_deadline(t, false, false),
            t + Duration::hours(48)
        );
        assert_eq!(r.delivery_deadline(t, false, true), t + Duration::hours(72));
        assert_eq!(r.acknowledge_deadline(t), t + Duration::hours(24));
    }

    #[test]
    fn short_dated_goods_are_refused() {
        let r = DeliveryRules::default();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(r
            .check_shelf_life(d("2026-01-01"), d("2027-05-23"), d("2026-11-23"))
            .is_ok());
        let e = r
            .check_shelf_life(d("2026-01-01"), d("2027-05-22"), d("2026-11-23"))
            .unwrap_err();
        assert_eq!(e.code(), Code::ShelfLifeTooShort, "{e}");
        assert_eq!(e.msg.get("months"), Some("6"), "{e}");
        assert_eq!(e.msg.get("needed"), Some("2027-05-23"), "{e}");
        assert_eq!(
            r.check_shelf_life(d("2026-12-01"), d("2028-01-01"), d("2026-11-23"))
                .unwrap_err()
                .code(),
            Code::DateInFuture,
            "produced in the future"
        );
        assert_eq!(
            r.check_shelf_life(d("2026-01-01"), d("2025-01-01"), d("2026-11-23"))
                .unwrap_err()
                .code(),
            Code::ExpiryNotAfterProduction
        );
    }

    #[test]
    fn order_state_follows_the_lines() {
        let l = |ordered, shipped, confirmed| LineQuantities {
            ordered,
            declined: false,
            shipped,
            confirmed,
            accepted: confirmed,
        };
        use OrderState as S;
        assert_eq!(
            state_from_lines(S::Acknowledged, &[l(10, 0, 0)]),
            S::Acknowledged
        );
        assert_eq!(
            state_from_lines(S::Acknowledged, &[l(10, 4, 0)]),
            S::Shipped
        );
        assert_eq!(
            state_from_lines(S::Shipped, &[l(10, 4, 4)]),
            S::PartiallyReceived
        );
        assert_eq!(
            state_from_lines(S::Shipped, &[l(10, 10, 4)]),
            S::PartiallyReceived
        );
        assert_eq!(state_from_lines(S::Shipped, &[l(10, 10, 10)]), S::Received);
        let declined = LineQuantities {
            ordered: 5,
            declined: true,
            ..Default::default()
        };
        assert_eq!(
            state_from_lines(S::Shipped, &[l(10, 10, 10), declined]),
            S::Received
        );
        assert_eq!(state_from_lines(S::Submitted, &[declined]), S::Closed);
        assert_eq!(state_from_lines(S::Cancelled, &[l(10, 0, 0)]), S::Cancelled);
    }

    #[test]
    fn shipments_never_exceed_the_order() {
        let line = LineQuantities {
            ordered: 10,
            shipped: 6,
            ..Default::default()
        };
        assert!(check_shipment(&line, 4).is_ok());
        let e = check_shipment(&line, 5).unwrap_err();
        assert_eq!(e.code(), Code::ShipmentExceedsOrder, "{e}");
        assert_eq!(
            (
                e.msg.get("quantity"),
                e.msg.get("ordered"),
                e.msg.get("shipped")
            ),
            (Some("5"), Some("10"), Some("6"))
        );
        assert!(check_shipment(&line, 0).is_err());
        // shipped + quantity would wrap: refused, not let through
        assert_eq!(
            check_shipment(&line, i64::MAX).unwrap_err().field,
            "quantity"
        );
        assert!(check_shipment(&line, i64::MIN).is_err());
        assert_eq!(
            check_shipment(
                &LineQuantities {
                    declined: true,
                    ordered: 3,
                    ..Default::default()
                },
                1
            )
            .unwrap_err()
            .code(),
            Code::LineDeclined
        );
    }

    #[test]
    fn payables_are_due_after_the_payment_days() {
        let r = DeliveryRules::default();
        let d = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(
            payable(&r, 12_500, 4, d).unwrap(),
            (50_000, NaiveDate::from_ymd_opt(2026, 12, 23).unwrap())
        );
        assert_eq!(
            payable(&r, i64::MAX, 2, d).unwrap_err().code(),
            Code::AmountTooLarge
        );
    }

    #[test]
    fn state_checks_name_the_state() {
        let e = check_cancel(OrderState::PartiallyReceived, 0).unwrap_err();
        assert_eq!(e.msg.get("state"), Some("partially received"));
        assert!(check_cancel(OrderState::Acknowledged, 0).is_ok());
        assert!(check_cancel(OrderState::Acknowledged, 1).is_err());
        assert!(check_acknowledge(OrderState::Submitted).is_ok());
        assert_eq!(
            check_decline(
                OrderState::Shipped,
                &LineQuantities {
                    ordered: 5,
                    shipped: 1,
                    ..Default::default()
                }
            )
            .unwrap_err()
            .code(),
            Code::LinePartlyShipped
        );
        assert_eq!(idempotency_key(Some("  ")).unwrap(), None);
        assert!(idempotency_key(Some(&"k".repeat(201))).is_err());
    }

    #[test]
    fn a_receipt_adds_up_to_what_was_shipped() {
        let counted = |accepted, rejected, reason| Receipt::Counted {
            accepted,
            rejected,
            reason,
        };
        let d = Some(RejectReason::Damaged);
        let r = check_receipt(200, counted(180, 20, d)).unwrap();
        assert_eq!((r.accepted, r.rejected, r.reason), (180, 20, d));
        assert_eq!(r.outcome(), ReceiptOutcome::Partial);
        assert_eq!(r.received(), 200);
        let m = check_receipt(200, counted(190, 10, Some(RejectReason::Missing))).unwrap();
        assert_eq!(m.received(), 190);
        assert_eq!(
            check_receipt(200, Receipt::Accepted).unwrap().outcome(),
            ReceiptOutcome::Accepted
        );
        let all = check_receipt(200, Receipt::Rejected(RejectReason::WrongItem)).unwrap();
        assert_eq!((all.accepted, all.rejected), (0, 200));
        assert_eq!(all.outcome(), ReceiptOutcome::Rejected);
        // a reason beside nothing rejected is not kept
        assert_eq!(check_receipt(5, counted(5, 0, d)).unwrap().reason, None);
        let codes = |r: Result<Received, Vec<Invalid>>| {
            r.unwrap_err()
                .iter()
                .map(|e| (e.field.clone(), e.code()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            codes(check_receipt(200, counted(200, 20, d))),
            [("accepted".to_string(), Code::ReceiptDoesNotAddUp)]
        );
        assert_eq!(
            codes(check_receipt(200, counted(180, 20, None))),
            [("reason".to_string(), Code::RejectReasonRequired)]
        );
        assert_eq!(
            codes(check_receipt(200, counted(-1, 201, d))),
            [
                ("accepted".to_string(), Code::OutOfRange),
                ("rejected".to_string(), Code::OutOfRange)
            ]
        );
    }

    proptest::proptest! {
        /// Whatever is typed, the check never panics, and what it lets through adds up to the
        /// shipped quantity with no negative part and a reason for any rejected unit.
        #[test]
        fn receipts_pass_exactly_when_they_add_up(
            shipped in 1i64..=10_000_000,
            accepted in proptest::prop_oneof![proptest::num::i64::ANY, -5i64..10_000_005],
            rejected in proptest::prop_oneof![proptest::num::i64::ANY, -5i64..10_000_005],
            with_reason: bool,
        ) {
            let reason = with_reason.then_some(RejectReason::Damaged);
            let got = check_receipt(shipped, Receipt::Counted { accepted, rejected, reason });
            let fits = accepted >= 0
                && rejected >= 0
                && accepted.checked_add(rejected) == Some(shipped)
                && (rejected == 0 || with_reason);
            proptest::prop_assert_eq!(got.is_ok(), fits);
            if let Ok(r) = got {
                proptest::prop_assert_eq!(r.accepted + r.rejected, shipped);
                proptest::prop_assert_eq!(r.reason.is_some(), r.rejected > 0);
            }
        }

        /// A whole number of units accepted and the rest rejected always passes.
        #[test]
        fn any_split_of_the_shipped_quantity_passes(shipped in 1i64..=10_000_000, cut in 0.0f64..=1.0) {
            let accepted = ((shipped as f64) * cut) as i64;
            let r = check_receipt(shipped, Receipt::Counted {
                accepted,
                rejected: shipped - accepted,
                reason: Some(RejectReason::ShortDated),
            });
            proptest::prop_assert!(r.is_ok(), "{:?}", r);
        }
    }

    #[test]
    fn reasons_are_a_closed_set() {
        assert_eq!(
            RejectReason::parse("reason", "damaged").unwrap(),
            RejectReason::Damaged
        );
        let e = RejectReason::parse("reason", "late").unwrap_err();
        assert_eq!(e.code(), Code::NotOneOf);
        assert!(
            e.msg
                .get("words")
                .is_some_and(|w| w.contains("short_dated")),
            "{e}"
        );
        assert_eq!(
            DeclineReason::parse("reason", "out_of_stock").unwrap(),
            DeclineReason::OutOfStock
        );
    }
}
