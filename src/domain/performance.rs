//! Delivery performance, from the live order, delivery and receipt records (DOMAIN.md,
//! "Performance"): delivery rate, timely delivery rate, decline rate, fill rate, contract
//! execution. Pure sums and ratios over totals the store reads per contract.

use chrono::NaiveDate;
use std::collections::BTreeMap;

/// What one contract's order lines add up to over a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Order lines (cancelled orders left out).
    pub lines: i64,
    /// Lines the supplier declined.
    pub declined: i64,
    /// Quantity ordered on lines not declined (what was purchased under the contract).
    pub purchased: i64,
    /// Quantity ordered on lines whose delivery deadline has passed.
    pub due_ordered: i64,
    /// Quantity delivered on those lines: shipped, less the units rejected on receipt (a line
    /// with 20 of 200 rejected counts 180; units not yet confirmed count as delivered).
    pub due_delivered: i64,
    /// Quantity delivered (shipped less rejected), over all delivery note lines.
    pub delivered: i64,
    /// Of that, delivered by the order's deadline.
    pub timely: i64,
    /// Quantity rejected on receipt.
    pub rejected: i64,
}

impl Totals {
    /// Folds another contract's totals in. Each is a BIGINT sum of lines bounded by
    /// bounds::Quantity, so these sums stay far below i64::MAX; saturating all the same, so a
    /// report never panics on what it reads.
    pub fn add(&mut self, o: &Totals) {
        self.lines = self.lines.saturating_add(o.lines);
        self.declined = self.declined.saturating_add(o.declined);
        self.purchased = self.purchased.saturating_add(o.purchased);
        self.due_ordered = self.due_ordered.saturating_add(o.due_ordered);
        self.due_delivered = self.due_delivered.saturating_add(o.due_delivered);
        self.delivered = self.delivered.saturating_add(o.delivered);
        self.timely = self.timely.saturating_add(o.timely);
        self.rejected = self.rejected.saturating_add(o.rejected);
    }

    /// Delivered ÷ ordered quantity, over lines past their deadline (a line still within its
    /// deadline is not yet a failure to deliver).
    pub fn delivery_rate(&self) -> Option<f64> {
        ratio(self.due_delivered, self.due_ordered)
    }
    /// Quantity delivered by the deadline ÷ quantity delivered (rejected units left out of both).
    pub fn timely_rate(&self) -> Option<f64> {
        ratio(self.timely, self.delivered)
    }
    /// Declined lines ÷ lines.
    pub fn decline_rate(&self) -> Option<f64> {
        ratio(self.declined, self.lines)
    }
    /// The fill rate of a drug in a region: the delivery rate of its lines.
    pub fn fill_rate(&self) -> Option<f64> {
        self.delivery_rate()
    }
}

/// `a ÷ b`, none when nothing was counted.
pub fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// A rate as people read it: "92.5%", or "—" when there is nothing to count.
pub fn percent(r: Option<f64>) -> String {
    match r {
        Some(r) => format!("{:.1}%", r * 100.0),
        None => "—".into(),
    }
}

/// Where a contract belongs, for folding its totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractKey {
    pub contract_id: i64,
    pub supplier_id: i64,
    pub drug_id: i64,
    /// The tender's region the contract covers.
    pub region_id: i64,
    pub committed: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// Sums totals by a key of theirs (a contract's supplier, a product's drug, …); totals whose
/// key gives none are left out.
pub fn fold_by<J: Ord, K: Ord>(
    totals: &BTreeMap<J, Totals>,
    key: impl Fn(&J) -> Option<K>,
) -> BTreeMap<K, Totals> {
    let mut out: BTreeMap<K, Totals> = BTreeMap::new();
    for (j, t) in totals {
        if let Some(k) = key(j) {
            out.entry(k).or_default().add(t);
        }
    }
    out
}

/// Contract execution: purchased ÷ committed volume.
pub fn execution(purchased: i64, committed: i64) -> Option<f64> {
    ratio(purchased, committed)
}

/// The share of its term a contract has run by `day` (0 before, 1 after).
pub fn elapsed(starts_on: NaiveDate, ends_on: NaiveDate, day: NaiveDate) -> f64 {
    let total = (ends_on - starts_on).num_days() + 1;
    let run = (day - starts_on).num_days() + 1;
    if total <= 0 {
        return 1.0;
    }
    (run as f64 / total as f64).clamp(0.0, 1.0)
}

/// Behind schedule: purchased less than `share` (e.g. 0.8) of what an even pace would have
/// bought by `day`.
pub fn behind_schedule(c: &ContractKey, purchased: i64, day: NaiveDate, share: f64) -> bool {
    let expected = c.committed as f64 * elapsed(c.starts_on, c.ends_on, day);
    (purchased as f64) < expected * share
}

/// Cumulative quantity per month from (month index, quantity) pairs: `months` values.
pub fn cumulative(months: usize, amounts: &[(usize, i64)]) -> Vec<f64> {
    let mut per = vec![0i64; months];
    for &(m, q) in amounts {
        if m < months {
            per[m] = per[m].saturating_add(q);
        }
    }
    let mut run = 0i64;
    per.into_iter()
        .map(|q| {
            run = run.saturating_add(q);
            run as f64
        })
        .collect()
}

/// The months from the one holding `from` to the one holding `to`, as (year, month).
pub fn months_between(from: NaiveDate, to: NaiveDate) -> Vec<(i32, u32)> {
    use chrono::Datelike;
    let mut out = vec![];
    let (mut y, mut m) = (from.year(), from.month());
    while (y, m) <= (to.year(), to.month()) && out.len() < 240 {
        out.push((y, m));
        if m == 12 {
            y += 1;
            m = 1;
        } else {
            m += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn rates_are_the_domain_ratios_and_none_on_nothing() {
        let t = Totals {
            lines: 10,
            declined: 1,
            purchased: 900,
            due_ordered: 800,
            due_delivered: 600,
            delivered: 8,
            timely: 6,
            rejected: 1,
        };
        assert_eq!(t.delivery_rate(), Some(0.75));
        assert_eq!(t.timely_rate(), Some(0.75));
        assert_eq!(t.decline_rate(), Some(0.1));
        assert_eq!(Totals::default().delivery_rate(), None);
        assert_eq!(percent(Some(0.925)), "92.5%");
        assert_eq!(percent(None), "—");
    }

    #[test]
    fn folding_sums_by_key_and_leaves_out_the_unknown() {
        let supplier_of: BTreeMap<i64, i64> = [(1, 7), (2, 7), (3, 8)].into();
        let mut totals = BTreeMap::new();
        for id in 1..=4 {
            totals.insert(
                id,
                Totals {
                    lines: id,
                    ..Default::default()
                },
            );
        }
        let by_supplier = fold_by(&totals, |c| supplier_of.get(c).copied());
        assert_eq!(by_supplier[&7].lines, 3);
        assert_eq!(by_supplier[&8].lines, 3);
        assert_eq!(by_supplier.len(), 2, "contract 4 is not among them");
    }

    #[test]
    fn pace_and_months() {
        assert_eq!(
            elapsed(d("2026-01-01"), d("2026-12-31"), d("2025-06-01")),
            0.0
        );
        assert_eq!(
            elapsed(d("2026-01-01"), d("2026-12-31"), d("2027-06-01")),
            1.0
        );
        let half = elapsed(d("2026-01-01"), d("2026-12-31"), d("2026-07-02"));
        assert!((half - 0.5).abs() < 0.01, "{half}");
        let c = ContractKey {
            contract_id: 1,
            supplier_id: 1,
            drug_id: 1,
            region_id: 1,
            committed: 1000,
            starts_on: d("2026-01-01"),
            ends_on: d("2026-12-31"),
        };
        assert!(behind_schedule(&c, 300, d("2026-07-02"), 0.8));
        assert!(!behind_schedule(&c, 450, d("2026-07-02"), 0.8));
        assert_eq!(months_between(d("2026-11-15"), d("2027-02-01")).len(), 4);
        assert_eq!(
            cumulative(3, &[(0, 5), (2, 1), (0, 1), (9, 100)]),
            vec![6.0, 6.0, 7.0]
        );
    }
}
