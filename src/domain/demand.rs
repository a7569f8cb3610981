//! Demand collection: when a window takes reports, and what a reported row must be.

use chrono::NaiveDateTime;

use super::import::RowError;
use super::roles::Scope;
use super::tender::WindowStatus;
use super::{bounds, Code, Invalid, Msg};

/// A window's title: trimmed, required, at most 200 characters.
pub fn check_title(title: &str) -> Result<String, Invalid> {
    super::required_text("title", title, 200)
}

/// A new window: its title and a closing time still ahead of `now`.
pub fn check_new_window(
    title: &str,
    closes_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<String, Invalid> {
    let title = check_title(title)?;
    if closes_at <= now {
        return Err(Invalid::new("closes_at", Code::WindowMustCloseInFuture));
    }
    Ok(title)
}

/// Does the window take reports now: open, and its closing time not reached?
pub fn takes_reports(status: WindowStatus, closes_at: NaiveDateTime, now: NaiveDateTime) -> bool {
    status == WindowStatus::Open && closes_at > now
}

/// Refuses a report to a window that does not take reports now.
pub fn check_takes_reports(
    status: WindowStatus,
    closes_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<(), Invalid> {
    if takes_reports(status, closes_at, now) {
        Ok(())
    } else {
        Err(Invalid::new("window", Code::DemandWindowClosed))
    }
}

/// A reported quantity: whole units of use a year, within `bounds::DEMAND`.
pub fn check_quantity(field: &str, quantity: i64) -> Result<i64, Invalid> {
    bounds::in_range(field, quantity, bounds::DEMAND)
}

/// A drug a report names must exist.
pub fn known_drug(field: &str, code: &str, id: Option<i64>) -> Result<i64, Invalid> {
    id.ok_or_else(|| Invalid::new(field, Msg::new(Code::NoDrugWithCode).arg("code", code)))
}

/// A report names a drug of the catalog (by id).
pub fn check_drug_found(found: bool) -> Result<(), Invalid> {
    if found {
        Ok(())
    } else {
        Err(Invalid::new("drug", Code::RecordNotFound))
    }
}

/// One row of a demand upload as read (row number, institution code, drug code, quantity),
/// with the ids its codes name (none when no such record).
pub struct RowLookup<'a> {
    pub row: usize,
    pub institution_code: &'a str,
    pub drug_code: &'a str,
    pub quantity: i64,
    pub institution_id: Option<i64>,
    pub drug_id: Option<i64>,
}

/// A row the uploader may report: (institution id, drug id, quantity), or why not. The
/// institution must be one the uploader reports for (its own or its village clinics').
pub fn resolve_row(r: &RowLookup, allowed: &Scope) -> Result<(i64, i64, i64), RowError> {
    let refuse = |field: &str, code: Code, value: &str| {
        RowError::new(
            r.row,
            Invalid::new(field, Msg::new(code).arg("code", value)),
        )
    };
    match (r.institution_id, r.drug_id) {
        (Some(i), _) if !allowed.allows(i) => Err(refuse(
            "institution_code",
            Code::MayNotReportForInstitution,
            r.institution_code,
        )),
        (None, _) => Err(refuse(
            "institution_code",
            Code::NoInstitutionWithCode,
            r.institution_code,
        )),
        (_, None) => Err(refuse("drug_code", Code::NoDrugWithCode, r.drug_code)),
        (Some(i), Some(d)) => check_quantity("quantity", r.quantity)
            .map(|q| (i, d, q))
            .map_err(|e| RowError::new(r.row, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 5, 1)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    }

    #[test]
    fn a_window_takes_reports_while_open_and_before_it_closes() {
        assert!(takes_reports(WindowStatus::Open, at(10), at(9)));
        assert!(!takes_reports(WindowStatus::Open, at(10), at(10)));
        assert!(!takes_reports(WindowStatus::Closed, at(10), at(9)));
        assert!(check_new_window(" t ", at(9), at(10)).is_err());
        assert_eq!(check_new_window(" t ", at(11), at(10)).unwrap(), "t");
    }

    #[test]
    fn a_row_outside_the_uploaders_institutions_is_refused_first() {
        let row = |i, d, q| RowLookup {
            row: 2,
            institution_code: "I1",
            drug_code: "D1",
            quantity: q,
            institution_id: i,
            drug_id: d,
        };
        let mine = Scope::Only(vec![1]);
        let code = |r: Result<_, RowError>| r.unwrap_err().msg.code;
        assert_eq!(
            code(resolve_row(&row(Some(2), None, 1), &mine)),
            Code::MayNotReportForInstitution
        );
        assert_eq!(
            code(resolve_row(&row(None, Some(1), 1), &mine)),
            Code::NoInstitutionWithCode
        );
        assert_eq!(
            code(resolve_row(&row(Some(1), None, 1), &mine)),
            Code::NoDrugWithCode
        );
        assert_eq!(
            code(resolve_row(&row(Some(1), Some(3), -1), &mine)),
            Code::OutOfRange
        );
        assert_eq!(
            resolve_row(&row(Some(1), Some(3), 5), &mine).unwrap(),
            (1, 3, 5)
        );
    }
}
