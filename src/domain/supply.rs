//! Supply arrangements: which contract serves an order line.
//!
//! An institution orders a drug, never a contract. Each row of `contracts` is an *arrangement*
//! of one [`ContractKind`] that supplies one drug to a set of counties over a period:
//!
//! - `award` — a contract of the tender's award: under a multiple-winner lot the winner's
//!   primary counties, under the other policies every county of the tender's region;
//! - `backup_switch` — a shortage response moved the counties to the lot's backup winner, at the
//!   backup's own awarded price;
//! - `designated` — a shortage response named a producer (定点生产) at a negotiated price;
//! - `direct_listing` — a supplier listed a product of the drug at its own price under a
//!   direct-listing response's cap.
//!
//! **The choice** ([`serving`]): for a county, a drug and a day, among the arrangements *in
//! force* that day (status `in_force`, `starts_on` ≤ day ≤ `ends_on`) that supply that county
//! with that drug:
//!
//! 1. a `backup_switch` or `designated` arrangement (if several, the latest created, then the
//!    highest id);
//! 2. else a `direct_listing` (if several, the lowest unit price, then the lowest id);
//! 3. else the `award` contract (if several, the lowest id);
//! 4. none: the line is refused (`no_arrangement_for_drug`).
//!
//! So exactly one arrangement, or none, serves each county, drug and day, and it is the same one
//! on every route (page, API) that places an order.

use chrono::{NaiveDate, NaiveDateTime};
use std::cmp::{Ordering, Reverse};

use super::money::Money;
use super::tender::ContractStatus;

super::words! {
    /// What made an arrangement (a row of `contracts`).
    pub enum ContractKind {
        Award => "award", "中标合同", "award";
        BackupSwitch => "backup_switch", "切换备选供应", "switch to backup";
        Designated => "designated", "定点生产", "designated producer";
        DirectListing => "direct_listing", "直接挂网", "direct listing";
    }
}

/// An arrangement as the choice needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrangement {
    pub contract_id: i64,
    pub kind: ContractKind,
    pub status: ContractStatus,
    pub drug_id: i64,
    pub supplier_id: i64,
    pub product_id: i64,
    /// The counties it supplies.
    pub counties: Vec<i64>,
    pub unit_price: Money,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub created_at: NaiveDateTime,
}

impl Arrangement {
    /// In force on `day` and supplying `county` with `drug`.
    pub fn serves(&self, county: i64, drug: i64, day: NaiveDate) -> bool {
        self.status == ContractStatus::InForce
            && self.starts_on <= day
            && day <= self.ends_on
            && self.drug_id == drug
            && self.counties.contains(&county)
    }
}

/// Which class of arrangement goes first: lower first.
fn class(kind: ContractKind) -> u8 {
    match kind {
        ContractKind::BackupSwitch | ContractKind::Designated => 0,
        ContractKind::DirectListing => 1,
        ContractKind::Award => 2,
    }
}

/// The documented order: `Less` when `a` goes before `b`.
fn precedes(a: &Arrangement, b: &Arrangement) -> Ordering {
    class(a.kind)
        .cmp(&class(b.kind))
        .then_with(|| match class(a.kind) {
            0 => (Reverse(a.created_at), Reverse(a.contract_id))
                .cmp(&(Reverse(b.created_at), Reverse(b.contract_id))),
            1 => (a.unit_price, a.contract_id).cmp(&(b.unit_price, b.contract_id)),
            _ => a.contract_id.cmp(&b.contract_id),
        })
}

/// The arrangement that serves `county` with `drug` on `day` (see the module's documentation),
/// or none.
pub fn serving(
    arrangements: &[Arrangement],
    county: i64,
    drug: i64,
    day: NaiveDate,
) -> Option<&Arrangement> {
    arrangements
        .iter()
        .filter(|a| a.serves(county, drug, day))
        .min_by(|a, b| precedes(a, b))
}

/// Splits priced lines into one group per supplier, suppliers in the order their first line
/// came, each group's lines in the basket's order: one order per supplier.
pub fn split_by_supplier<T>(lines: Vec<(i64, T)>) -> Vec<(i64, Vec<T>)> {
    let mut out: Vec<(i64, Vec<T>)> = vec![];
    for (supplier, line) in lines {
        match out.iter_mut().find(|(s, _)| *s == supplier) {
            Some((_, ls)) => ls.push(line),
            None => out.push((supplier, vec![line])),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(n as u64)
    }

    fn arrangement() -> impl Strategy<Value = (u8, bool, i64, Vec<i64>, i64, i64, i64, i64)> {
        (
            0u8..4,
            any::<bool>(),
            1i64..3,
            proptest::collection::vec(1i64..5, 0..4),
            1i64..50,
            0i64..20,
            0i64..20,
            0i64..5,
        )
    }

    fn build(i: usize, t: (u8, bool, i64, Vec<i64>, i64, i64, i64, i64)) -> Arrangement {
        let (k, in_force, drug, counties, price, start, len, created) = t;
        Arrangement {
            contract_id: i as i64 + 1,
            kind: ContractKind::ALL[k as usize],
            status: if in_force {
                ContractStatus::InForce
            } else {
                ContractStatus::Ended
            },
            drug_id: drug,
            supplier_id: i as i64 + 100,
            product_id: i as i64 + 200,
            counties,
            unit_price: Money::from_ten_thousandths(price * 10_000),
            starts_on: day(start),
            ends_on: day(start + len),
            created_at: day(created).and_hms_opt(0, 0, 0).unwrap(),
        }
    }

    /// The documented order, written out once more: the better of two eligible arrangements.
    fn better(a: &Arrangement, b: &Arrangement) -> bool {
        let rank = |x: &Arrangement| match x.kind {
            ContractKind::BackupSwitch | ContractKind::Designated => 0,
            ContractKind::DirectListing => 1,
            ContractKind::Award => 2,
        };
        if rank(a) != rank(b) {
            return rank(a) < rank(b);
        }
        match rank(a) {
            0 => (a.created_at, a.contract_id) > (b.created_at, b.contract_id),
            1 => (a.unit_price, a.contract_id) < (b.unit_price, b.contract_id),
            _ => a.contract_id < b.contract_id,
        }
    }

    proptest! {
        #[test]
        fn one_or_none_serves_each_county_and_drug(
            raw in proptest::collection::vec(arrangement(), 0..8),
        ) {
            let all: Vec<Arrangement> =
                raw.into_iter().enumerate().map(|(i, t)| build(i, t)).collect();
            for county in 1..5 {
                for drug in 1..3 {
                    for d in 0..42 {
                        let day = day(d);
                        let eligible: Vec<&Arrangement> =
                            all.iter().filter(|a| a.serves(county, drug, day)).collect();
                        match serving(&all, county, drug, day) {
                            None => prop_assert!(eligible.is_empty()),
                            Some(chosen) => {
                                prop_assert!(chosen.serves(county, drug, day));
                                for other in &eligible {
                                    prop_assert!(
                                        other.contract_id == chosen.contract_id
                                            || better(chosen, other),
                                        "{:?} chosen over {:?}", chosen, other
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_basket_splits_by_supplier_in_its_order() {
        let got = split_by_supplier(vec![(7, "a"), (3, "b"), (7, "c")]);
        assert_eq!(got, vec![(7, vec!["a", "c"]), (3, vec!["b"])]);
    }

    #[test]
    fn a_switch_goes_before_a_listing_before_the_award() {
        let base = build(0, (0, true, 1, vec![1], 10, 0, 30, 0));
        let award = base.clone();
        let listing = Arrangement {
            contract_id: 2,
            kind: ContractKind::DirectListing,
            unit_price: Money::from_ten_thousandths(5),
            ..base.clone()
        };
        let switch = Arrangement {
            contract_id: 3,
            kind: ContractKind::BackupSwitch,
            ..base.clone()
        };
        let all = vec![award.clone(), listing.clone(), switch.clone()];
        assert_eq!(serving(&all, 1, 1, day(3)), Some(&switch));
        assert_eq!(serving(&all[..2], 1, 1, day(3)), Some(&listing));
        assert_eq!(serving(&all[..1], 1, 1, day(3)), Some(&award));
        assert_eq!(serving(&all, 2, 1, day(3)), None, "another county");
        assert_eq!(serving(&all, 1, 2, day(3)), None, "another drug");
        assert_eq!(serving(&all, 1, 1, day(31)), None, "after the end");
    }
}
