//! The application layer: one service per aggregate. A service takes the acting principal and a
//! typed command, authorizes it (role and ownership, one rule each, stated once here or in
//! `domain::roles`), lets `domain` decide, persists through `store` in one transaction with its
//! audit record, and returns a typed result. Pages, the API and the jobs all call these; the web
//! only parses, calls and renders.

pub mod audit;
pub mod bids;
pub mod catalog;
pub mod commitments;
pub mod custody;
pub mod duties;
pub mod error;
pub mod ordering;
pub mod orders;
pub mod outbox;
pub mod parties;
pub mod performance;
pub mod regions;
pub mod shortage_picks;
pub mod shortage_responses;
pub mod shortage_scan;
pub mod shortages;
pub mod tenders;
pub mod todo;
pub mod users;

pub use error::Error;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::roles::Principal;
use crate::store::{Act, Conn, Store};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Center staff keep the catalog, the parties and the accounts; anyone else is refused.
pub fn may_administer(p: &Principal) -> Result<()> {
    if p.can_administer() {
        Ok(())
    } else {
        Err(Error::forbidden())
    }
}

/// What a service runs with: the database, the settings and the clock (borrowed from whoever
/// calls: the web's state or a job's runner).
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub config: &'a Config,
    pub clock: &'a Clock,
}

impl<'a> Ctx<'a> {
    /// A pooled connection (blocking: services run on a blocking thread, never on an HTTP worker).
    pub fn conn(&self) -> Result<Conn> {
        Ok(self.store.conn()?)
    }

    /// Today in the province's time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock
            .now()
            .with_timezone(&self.config.time_zone)
            .date_naive()
    }

    /// The audit context of this principal, now.
    pub fn act(&self, p: &Principal) -> Act {
        Act::new(&p.username, self.clock.now())
    }
}
