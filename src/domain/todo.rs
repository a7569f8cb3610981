//! What waits for whom (the home page's to-do list): the pure rules. Which step a tender waits
//! for from the center, and the windows that make a record "recent" or "expiring".

use chrono::{DateTime, NaiveDate, Utc};

use super::tender::{TenderAction, TenderState};

/// Days back a decline or a late line counts as recent (the shortage scan's trailing window).
pub const RECENT_DAYS: i64 = 30;

/// Days back an institution's shortage report stays open (the scan still counts it).
pub const REPORT_DAYS: i64 = 30;

/// The step the center takes next on a tender in state `state` (its state now, a deadline past
/// closing it), or none while it waits on others (bidders, the objection window) or is done.
/// The same steps as the tender's page offers; a provisional award waits for its objection
/// window and for the objections to be answered.
pub fn next_step(
    state: TenderState,
    objection_deadline: Option<DateTime<Utc>>,
    open_objections: usize,
    now: DateTime<Utc>,
) -> Option<TenderAction> {
    use TenderAction as A;
    use TenderState as S;
    match state {
        S::Draft => Some(A::Publish),
        S::Closed => Some(A::OpenTechnical),
        S::TechnicalOpened => Some(A::PublishTechnical),
        S::TechnicalPublished => Some(A::OpenCommercial),
        S::CommercialOpened => Some(A::PublishAward),
        S::Provisional => {
            let window_over = objection_deadline.is_none_or(|d| now >= d);
            (window_over && open_objections == 0).then_some(A::Finalize)
        }
        S::Awarded => Some(A::Contract),
        S::Open | S::Contracted | S::Cancelled => None,
    }
}

/// Is a licence expiring `expires_on` worth a line on `today`: expired (`Some(true)`), expiring
/// within `window_days` (`Some(false)`), or neither.
pub fn licence_due(expires_on: NaiveDate, today: NaiveDate, window_days: i64) -> Option<bool> {
    let left = (expires_on - today).num_days();
    if left < 0 {
        Some(true)
    } else if left <= window_days {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0).unwrap()
    }

    #[test]
    fn each_center_state_has_its_step() {
        use TenderAction as A;
        use TenderState as S;
        let now = at(12);
        assert_eq!(next_step(S::Draft, None, 0, now), Some(A::Publish));
        assert_eq!(next_step(S::Open, None, 0, now), None);
        assert_eq!(next_step(S::Closed, None, 0, now), Some(A::OpenTechnical));
        assert_eq!(next_step(S::Awarded, None, 0, now), Some(A::Contract));
        assert_eq!(next_step(S::Contracted, None, 0, now), None);
        assert_eq!(next_step(S::Cancelled, None, 0, now), None);
    }

    #[test]
    fn a_provisional_award_waits_for_its_window_and_its_objections() {
        let s = TenderState::Provisional;
        assert_eq!(next_step(s, Some(at(13)), 0, at(12)), None);
        assert_eq!(next_step(s, Some(at(11)), 1, at(12)), None);
        assert_eq!(
            next_step(s, Some(at(11)), 0, at(12)),
            Some(TenderAction::Finalize)
        );
    }

    #[test]
    fn licences_expired_or_within_the_window() {
        let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert_eq!(licence_due(d(11, 30), d(12, 1), 30), Some(true));
        assert_eq!(licence_due(d(12, 31), d(12, 1), 30), Some(false));
        assert_eq!(licence_due(d(12, 1), d(12, 1), 30), Some(false));
        assert_eq!(
            licence_due(NaiveDate::from_ymd_opt(2027, 1, 2).unwrap(), d(12, 1), 30),
            None
        );
    }
}
