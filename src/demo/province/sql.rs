//! Literal SQL values and the multi-row `INSERT` writer of the generator.

use std::fmt::{self, Display, Write as _};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::store::{DbConn, StoreError};

/// Rows per `INSERT` statement.
const ROWS_PER_STATEMENT: usize = 1_000;

/// A quoted text literal.
pub(super) struct Q<'a>(pub(super) &'a str);
impl Display for Q<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('\'')?;
        for c in self.0.chars() {
            if c == '\'' {
                f.write_str("''")?;
            } else {
                f.write_char(c)?;
            }
        }
        f.write_char('\'')
    }
}

/// A timestamp literal, as diesel stores one on SQLite (`%Y-%m-%d %H:%M:%S`, whole seconds).
pub(super) struct Ts(pub(super) NaiveDateTime);
impl Display for Ts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}'", self.0.format("%Y-%m-%d %H:%M:%S"))
    }
}

pub(super) struct Day(pub(super) NaiveDate);
impl Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}'", self.0.format("%Y-%m-%d"))
    }
}

pub(super) struct B(pub(super) bool);
impl Display for B {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0 { "TRUE" } else { "FALSE" })
    }
}

/// NULL or the value.
pub(super) struct Opt<T>(pub(super) Option<T>);
impl<T: Display> Display for Opt<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            None => f.write_str("NULL"),
            Some(v) => v.fmt(f),
        }
    }
}

/// Rows of one table, gathered into statements of [`ROWS_PER_STATEMENT`] rows and written by
/// [`Inserter::flush`] (so that the caller writes tables in the order their references need).
pub(super) struct Inserter {
    pub(super) table: &'static str,
    head: String,
    done: Vec<String>,
    current: String,
    rows_in_current: usize,
    pub(super) total: i64,
}

impl Inserter {
    pub(super) fn new(table: &'static str, columns: &str) -> Self {
        Inserter {
            table,
            head: format!("INSERT INTO {table} ({columns}) VALUES "),
            done: vec![],
            current: String::new(),
            rows_in_current: 0,
            total: 0,
        }
    }

    /// The statement to write the next row into, as `(v1,v2,…)`.
    pub(super) fn row(&mut self) -> &mut String {
        if self.rows_in_current == ROWS_PER_STATEMENT {
            self.done.push(std::mem::take(&mut self.current));
            self.rows_in_current = 0;
        }
        if self.rows_in_current == 0 {
            self.current.push_str(&self.head);
        } else {
            self.current.push(',');
        }
        self.rows_in_current += 1;
        self.total += 1;
        &mut self.current
    }

    pub(super) fn flush(&mut self, conn: &mut DbConn) -> Result<(), StoreError> {
        for s in self.done.drain(..) {
            conn.batch_execute(&s)?;
        }
        if self.rows_in_current > 0 {
            conn.batch_execute(&self.current)?;
            self.current.clear();
            self.rows_in_current = 0;
        }
        Ok(())
    }
}

/// Writes into a row; formatting into a `String` cannot fail.
macro_rules! row {
    ($ins:expr, $($arg:tt)*) => {{
        let _ = ::std::fmt::Write::write_fmt($ins.row(), format_args!($($arg)*));
    }};
}

#[derive(QueryableByName)]
struct MaxId {
    #[diesel(sql_type = BigInt)]
    m: i64,
}

/// The first free id of a table.
pub(super) fn next_id(conn: &mut DbConn, table: &str) -> Result<i64, StoreError> {
    let r: MaxId = diesel::sql_query(format!(
        "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS m FROM {table}"
    ))
    .get_result(conn)?;
    Ok(r.m + 1)
}

/// The tables whose ids this module assigns.
pub(super) const ID_TABLES: &[&str] = &[
    "regions",
    "institutions",
    "suppliers",
    "licences",
    "drugs",
    "products",
    "demand_windows",
    "tenders",
    "lots",
    "bids",
    "bid_versions",
    "contracts",
    "contract_allocations",
    "contract_distributors",
    "orders",
    "order_lines",
    "deliveries",
    "delivery_lines",
    "payables",
    "credit_events",
];
