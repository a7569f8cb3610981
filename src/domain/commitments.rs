//! Committed volumes (DOMAIN.md, "Contracts"): what an institution committed to buy under a
//! contract, what it has bought so far, what remains, and whether it keeps pace with the
//! contract's period. Pure arithmetic over figures the store reads.

use chrono::NaiveDate;

/// One institution's progress against its committed volume under one contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub committed: i64,
    /// Quantity ordered on its lines under the contract that were neither cancelled (the
    /// order) nor declined (the line).
    pub bought: i64,
    /// What is left to buy: committed − bought, never below 0 (buying beyond is allowed).
    pub remaining: i64,
    /// What an even pace would have bought by the day asked: committed × elapsed share of the
    /// contract's period (whole units, rounded down).
    pub pace: i64,
    /// Bought less than `behind_pct` % of the pace.
    pub behind: bool,
}

/// Days of a period from `starts_on` to `ends_on`, both included (0 when it ends before it
/// starts).
fn term_days(starts_on: NaiveDate, ends_on: NaiveDate) -> i64 {
    ((ends_on - starts_on).num_days() + 1).max(0)
}

/// Days of the period run by the end of `day` (0 before it starts, the whole term after).
fn elapsed_days(starts_on: NaiveDate, ends_on: NaiveDate, day: NaiveDate) -> i64 {
    ((day - starts_on).num_days() + 1).clamp(0, term_days(starts_on, ends_on))
}

/// The progress of `bought` against `committed` for a contract running from `starts_on` to
/// `ends_on`, on `today`; behind when bought < pace × `behind_pct` ÷ 100.
pub fn progress(
    committed: i64,
    bought: i64,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    today: NaiveDate,
    behind_pct: i64,
) -> Progress {
    let committed = committed.max(0);
    let bought = bought.max(0);
    let term = term_days(starts_on, ends_on);
    let pace = if term == 0 {
        committed
    } else {
        let run = elapsed_days(starts_on, ends_on, today);
        (committed as i128 * run as i128 / term as i128) as i64
    };
    Progress {
        committed,
        bought,
        remaining: committed.saturating_sub(bought).max(0),
        pace,
        behind: (bought as i128) * 100 < (pace as i128) * (behind_pct as i128),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn bought_and_remaining_add_up_to_committed_until_it_is_exceeded() {
        let p = progress(1_000, 300, d(1, 1), d(12, 31), d(6, 30), 80);
        assert_eq!(p.bought + p.remaining, p.committed);
        let over = progress(1_000, 1_200, d(1, 1), d(12, 31), d(6, 30), 80);
        assert_eq!(over.remaining, 0, "never below zero");
    }

    #[test]
    fn pace_follows_the_elapsed_share_of_the_period() {
        // 2026 has 365 days; by the end of 30 June 181 have run.
        let p = progress(3_650, 0, d(1, 1), d(12, 31), d(6, 30), 80);
        assert_eq!(p.pace, 1_810);
        assert_eq!(
            progress(3_650, 0, d(1, 1), d(12, 31), d(12, 31), 80).pace,
            3_650
        );
        let before = NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
        let p = progress(3_650, 0, d(1, 1), d(12, 31), before, 80);
        assert_eq!(p.pace, 0);
        assert!(!p.behind, "nothing is due before the period starts");
    }

    #[test]
    fn behind_below_the_threshold_share_of_the_pace() {
        // pace 1,810; 80 % of it is 1,448.
        assert!(progress(3_650, 1_447, d(1, 1), d(12, 31), d(6, 30), 80).behind);
        assert!(!progress(3_650, 1_448, d(1, 1), d(12, 31), d(6, 30), 80).behind);
        assert!(!progress(3_650, 0, d(1, 1), d(12, 31), d(6, 30), 0).behind);
    }
}
