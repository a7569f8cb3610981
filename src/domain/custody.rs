//! What a tender's key custody waits for from one custodian, at the tender's state: the rule
//! the custodian's page shows and the `sealing` job e-mails by.

use super::tender::TenderState;

words! {
    /// How a tender's price envelopes are sealed (`tenders.sealing`): `quorum`, to a key the
    /// tender's custodians form (k of them open), or `server`, to one key derived from the
    /// master key file on the server (for demos and tests only).
    pub enum Sealing {
        Quorum => "quorum",
        Server => "server",
    }
}

/// The custodian's next step for one tender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustodyStep {
    /// A draft tender: the custodian's dealing is awaited (`jicai custodian deal`).
    Deal,
    /// Dealt; the other custodians have not all dealt yet (nothing to do now).
    Waiting,
    /// The key is formed: the custodian checks its shares (`jicai custodian check`); its
    /// contribution comes after the technical results.
    Check,
    /// Technical results published: the custodian's contribution to the opening is awaited.
    Contribute,
    /// Nothing more is asked of this custodian.
    Done,
}

impl CustodyStep {
    pub fn as_str(self) -> &'static str {
        match self {
            CustodyStep::Deal => "deal",
            CustodyStep::Waiting => "waiting",
            CustodyStep::Check => "check",
            CustodyStep::Contribute => "contribute",
            CustodyStep::Done => "done",
        }
    }

    /// Whether the step asks the custodian to act (and so has an e-mail).
    pub fn asks(self) -> bool {
        matches!(self, CustodyStep::Deal | CustodyStep::Contribute)
    }
}

/// The step of a custodian who has `dealt` / `contributed`, of a tender at `state` whose key is
/// `key_formed` or not.
pub fn step(state: TenderState, key_formed: bool, dealt: bool, contributed: bool) -> CustodyStep {
    use TenderState as S;
    match state {
        S::Draft if !dealt => CustodyStep::Deal,
        S::Draft if !key_formed => CustodyStep::Waiting,
        S::Draft | S::Open | S::Closed | S::TechnicalOpened => CustodyStep::Check,
        S::TechnicalPublished if !contributed => CustodyStep::Contribute,
        _ => CustodyStep::Done,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TenderState as S;

    #[test]
    fn each_state_asks_its_step() {
        assert_eq!(step(S::Draft, false, false, false), CustodyStep::Deal);
        assert_eq!(step(S::Draft, false, true, false), CustodyStep::Waiting);
        assert_eq!(step(S::Draft, true, true, false), CustodyStep::Check);
        assert_eq!(step(S::Open, true, true, false), CustodyStep::Check);
        assert_eq!(
            step(S::TechnicalPublished, true, true, false),
            CustodyStep::Contribute
        );
        assert_eq!(
            step(S::TechnicalPublished, true, true, true),
            CustodyStep::Done
        );
        assert_eq!(step(S::Awarded, true, true, false), CustodyStep::Done);
        assert_eq!(step(S::Cancelled, false, false, false), CustodyStep::Done);
        assert!(CustodyStep::Deal.asks() && CustodyStep::Contribute.asks());
        assert!(!CustodyStep::Check.asks());
    }
}
