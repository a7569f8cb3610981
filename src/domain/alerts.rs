//! The alerts the platform e-mails; users choose which they receive.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    Shortage,
    OverdueDelivery,
    PaymentDue,
    PaymentOverdue,
    LicenceExpiring,
    ContractBehind,
    ContractEnding,
    BidDeadline,
}

impl AlertKind {
    pub const ALL: [AlertKind; 8] = [
        AlertKind::Shortage,
        AlertKind::OverdueDelivery,
        AlertKind::PaymentDue,
        AlertKind::PaymentOverdue,
        AlertKind::LicenceExpiring,
        AlertKind::ContractBehind,
        AlertKind::ContractEnding,
        AlertKind::BidDeadline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Shortage => "shortage",
            AlertKind::OverdueDelivery => "overdue_delivery",
            AlertKind::PaymentDue => "payment_due",
            AlertKind::PaymentOverdue => "payment_overdue",
            AlertKind::LicenceExpiring => "licence_expiring",
            AlertKind::ContractBehind => "contract_behind",
            AlertKind::ContractEnding => "contract_ending",
            AlertKind::BidDeadline => "bid_deadline",
        }
    }

    pub fn parse(s: &str) -> Option<AlertKind> {
        AlertKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
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
            assert_eq!(AlertKind::parse(k.as_str()), Some(k));
        }
    }
}
