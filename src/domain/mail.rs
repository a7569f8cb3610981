//! The e-mail outbox's rules: how long to wait before the next try, and when to stop.

use chrono::Duration;

words! {
    /// A message of the outbox: waiting to be sent, sent, or given up on (kept to send again).
    pub enum MailStatus {
        Pending => "pending",
        Sent => "sent",
        Failed => "failed",
    }
}

/// Tries before a message is marked failed (it is kept; center staff can send it again).
pub const MAX_ATTEMPTS: i32 = 6;

/// How long after failed try number `attempt` (1 for the first) the next one is made:
/// 1, 5, 15 and 60 minutes, then 4 hours.
pub fn backoff(attempt: i32) -> Duration {
    match attempt {
        i32::MIN..=1 => Duration::minutes(1),
        2 => Duration::minutes(5),
        3 => Duration::minutes(15),
        4 => Duration::hours(1),
        _ => Duration::hours(4),
    }
}

/// What becomes of a message whose try number `attempt` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryIn(Duration),
    Failed,
}

pub fn after_failure(attempt: i32) -> AfterFailure {
    if attempt >= MAX_ATTEMPTS {
        AfterFailure::Failed
    } else {
        AfterFailure::RetryIn(backoff(attempt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_and_the_last_try_fails() {
        let waits: Vec<i64> = (1..MAX_ATTEMPTS)
            .map(|a| backoff(a).num_minutes())
            .collect();
        assert!(waits.windows(2).all(|w| w[0] < w[1]), "{waits:?}");
        assert_eq!(
            after_failure(1),
            AfterFailure::RetryIn(Duration::minutes(1))
        );
        assert_eq!(
            after_failure(MAX_ATTEMPTS - 1),
            AfterFailure::RetryIn(Duration::hours(4))
        );
        assert_eq!(after_failure(MAX_ATTEMPTS), AfterFailure::Failed);
    }
}
