//! The error of the application layer: what a request, a page or a job is refused with, as a
//! kind (the status it becomes at the edge) and a message as a code with arguments
//! (`domain::msg`). The words are chosen at the edge, in the reader's language.

use crate::domain::import::RowError;
use crate::domain::{Code, Invalid, Msg};
use crate::store::StoreError;

/// What a request is refused with: the status it gets and a message as a code with arguments
/// (`domain::msg`), put into the reader's language when the response is written
/// (`localize_errors` in `web/mod.rs`).
#[derive(Debug)]
pub enum Error {
    /// Not logged in (pages redirect to the login page).
    Unauthenticated,
    /// Logged in but not allowed.
    Forbidden(Msg),
    /// What was not found.
    NotFound(Msg),
    Invalid(Vec<Invalid>),
    Conflict(Msg),
    TooMany(Msg),
    /// A body over its size limit (413).
    TooLarge(Msg),
    BadRequest(Msg),
    /// Logged, never shown.
    Internal(String),
}

impl Error {
    pub fn forbidden() -> Self {
        Error::Forbidden(Code::NotAllowed.into())
    }

    /// The specific code of the refusal (for `invalid`, each field carries its own).
    pub fn reason(&self) -> Option<&Msg> {
        match self {
            Error::Forbidden(m)
            | Error::NotFound(m)
            | Error::Conflict(m)
            | Error::TooMany(m)
            | Error::TooLarge(m)
            | Error::BadRequest(m) => Some(m),
            _ => None,
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Error::NotFound(what),
            StoreError::Conflict(m) => Error::Conflict(m),
            StoreError::Refused(m) => Error::Forbidden(m),
            StoreError::Invalid(es) => Error::Invalid(es),
            StoreError::Rejected(rows) => {
                Error::Invalid(rows.into_iter().map(row_invalid).collect())
            }
            other => {
                tracing::error!("store: {other}");
                Error::Internal(other.to_string())
            }
        }
    }
}

fn row_invalid(r: RowError) -> Invalid {
    Invalid::new(format!("row {} {}", r.row, r.field), r.msg)
}

impl From<Invalid> for Error {
    fn from(e: Invalid) -> Self {
        Error::Invalid(vec![e])
    }
}

impl From<Vec<Invalid>> for Error {
    fn from(e: Vec<Invalid>) -> Self {
        Error::Invalid(e)
    }
}
