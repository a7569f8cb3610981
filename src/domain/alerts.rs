//! The alerts the platform e-mails; users choose which they receive.

words! {
    /// The alerts the platform e-mails (users turn each on or off).
    #[derive(PartialOrd, Ord)]
    pub enum AlertKind {
        Shortage => "shortage",
        OverdueDelivery => "overdue_delivery",
        PaymentDue => "payment_due",
        PaymentOverdue => "payment_overdue",
        LicenceExpiring => "licence_expiring",
        ContractBehind => "contract_behind",
        ContractEnding => "contract_ending",
        BidDeadline => "bid_deadline",
        CommitmentBehind => "commitment_behind",
        /// A key custodian's dealing or contribution is awaited.
        Custody => "custody",
    }
}

/// Whether a contract's purchases lag: purchased below `behind_pct` % of what the time elapsed
/// calls for (committed × elapsed ÷ term), once `min_elapsed_days` have passed.
pub fn execution_behind(
    committed: i64,
    purchased: i64,
    elapsed_days: i64,
    term_days: i64,
    behind_pct: i64,
    min_elapsed_days: i64,
) -> bool {
    if elapsed_days < min_elapsed_days || term_days <= 0 || committed <= 0 {
        return false;
    }
    let elapsed = elapsed_days.min(term_days) as i128;
    // purchased / (committed × elapsed / term) < behind_pct / 100
    (purchased as i128) * (term_days as i128) * 100
        < (committed as i128) * elapsed * (behind_pct as i128)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behind_schedule() {
        // A year's contract of 365 units, 100 days in: 100 expected; 80 % is 80.
        assert!(execution_behind(365, 79, 100, 365, 80, 30));
        assert!(!execution_behind(365, 80, 100, 365, 80, 30));
        // Too early to judge.
        assert!(!execution_behind(365, 0, 20, 365, 80, 30));
        for k in AlertKind::ALL {
            assert_eq!(AlertKind::parse("kind", k.as_str()).ok(), Some(*k));
        }
    }
}
