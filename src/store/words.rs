//! The domain's closed sets of words ([`crate::domain::Word`]) as text columns: a row struct
//! holds the enum, a query filters with it (`.filter(orders::state.eq(OrderState::Submitted))`).
//!
//! Written as its word; read back strictly: a stored word the set does not have is an error of
//! the read (diesel's `DeserializationError`, which the application logs and answers as a
//! server error without the word), never a default. The impls are generic over the backend, so
//! one set serves SQLite, PostgreSQL and the `MultiBackend` of [`super::DbConn`] alike (a
//! custom type needs `ToSql`/`FromSql` for each backend of a `MultiConnection`; here they are
//! those of `str`/`String`, which every backend has).

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::sql_types::Text;

use crate::domain::Word;

/// Reads a stored word: exactly one of the set's (no trimming, no case folding).
pub fn from_sql<T: Word, DB: Backend>(bytes: DB::RawValue<'_>) -> deserialize::Result<T>
where
    String: FromSql<Text, DB>,
{
    let s = String::from_sql(bytes)?;
    s.parse::<T>().map_err(|_| {
        let name = std::any::type_name::<T>();
        let name = name.rsplit("::").next().unwrap_or(name);
        let shown: String = s.chars().take(40).collect();
        format!("the database holds {shown:?}, which is not a word of {name}").into()
    })
}

/// Makes each listed [`Word`] enum a value of a `Text` (or `Nullable<Text>`) column: `ToSql`
/// and `FromSql` here, generic over the backend; `AsExpression` and `Queryable` by diesel's own
/// derives, pointed at the domain's type (`foreign_derive`, as diesel derives them for the
/// standard types), so that the domain itself stays free of diesel.
macro_rules! text_words {
    ($($t:ty),+ $(,)?) => {$(
        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $t
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(
                    <$t as $crate::domain::Word>::as_str(self),
                    out,
                )
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $t
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                $crate::store::words::from_sql::<$t, DB>(bytes)
            }
        }

        const _: () = {
            #[derive(diesel::AsExpression, diesel::FromSqlRow)]
            #[diesel(foreign_derive)]
            #[diesel(sql_type = diesel::sql_types::Text)]
            #[allow(dead_code)]
            struct Column($t);
        };
    )+};
}

text_words!(
    crate::domain::tender::TenderState,
    crate::domain::tender::WindowStatus,
    crate::domain::tender::LotStatus,
    crate::domain::tender::BidStatus,
    crate::domain::tender::TechnicalResult,
    crate::domain::tender::ContractStatus,
    crate::domain::supply::ContractKind,
    crate::domain::award::PolicyKind,
    crate::domain::orders::OrderState,
    crate::domain::orders::DeclineReason,
    crate::domain::orders::RejectReason,
    crate::domain::orders::ReceiptOutcome,
    crate::domain::orders::CreditEventKind,
    crate::domain::shortage::Level,
    crate::domain::shortage::Scope,
    crate::domain::shortage::ShortageStatus,
    crate::domain::shortage::Change,
    crate::domain::shortage::EventKind,
    crate::domain::shortage::ResponseKind,
    crate::domain::alerts::AlertKind,
    crate::domain::mail::MailStatus,
    crate::domain::roles::Role,
    crate::domain::catalog::RegionLevel,
    crate::domain::catalog::InstitutionKind,
    crate::domain::catalog::SupplierKind,
    crate::domain::catalog::LicenceKind,
    crate::domain::catalog::CreditStatus,
    crate::domain::catalog::Unit,
    crate::domain::catalog::ListOrigin,
    crate::domain::catalog::Category,
    crate::domain::custody::Sealing,
);

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::{Nullable, Text};

    use super::super::DbConn;
    use crate::domain::orders::OrderState;
    use crate::domain::tender::TenderState;

    #[derive(QueryableByName, Debug)]
    struct One {
        #[diesel(sql_type = Text)]
        w: OrderState,
        #[diesel(sql_type = Nullable<Text>)]
        n: Option<TenderState>,
    }

    fn conn() -> DbConn {
        DbConn::Sqlite(SqliteConnection::establish(":memory:").expect("in-memory SQLite"))
    }

    fn read(c: &mut DbConn, w: &str, n: &str) -> QueryResult<One> {
        diesel::sql_query(format!("SELECT '{w}' AS w, {n} AS n")).get_result(c)
    }

    #[test]
    fn every_word_is_written_and_read_back_through_the_multi_backend() {
        let mut c = conn();
        diesel::sql_query("CREATE TABLE t (w TEXT NOT NULL, n TEXT)")
            .execute(&mut c)
            .unwrap();
        table! { t (w) { w -> Text, n -> Nullable<Text>, } }
        for s in OrderState::ALL {
            diesel::delete(t::table).execute(&mut c).unwrap();
            diesel::insert_into(t::table)
                .values((t::w.eq(s), t::n.eq(None::<TenderState>)))
                .execute(&mut c)
                .unwrap();
            let (w, n): (OrderState, Option<TenderState>) =
                t::table.select((t::w, t::n)).first(&mut c).unwrap();
            assert_eq!((w, n), (*s, None));
            let raw: String = t::table
                .filter(t::w.eq(*s))
                .select(t::w)
                .first(&mut c)
                .unwrap();
            assert_eq!(raw, s.as_str());
        }
        for s in TenderState::ALL {
            diesel::update(t::table)
                .set(t::n.eq(Some(*s)))
                .execute(&mut c)
                .unwrap();
            let n: Option<TenderState> = t::table.select(t::n).first(&mut c).unwrap();
            assert_eq!(n, Some(*s));
        }
    }

    #[test]
    fn an_unknown_stored_word_is_an_error_not_a_default() {
        let mut c = conn();
        let ok = read(&mut c, "acknowledged", "'awarded'").unwrap();
        assert_eq!(
            (ok.w, ok.n),
            (OrderState::Acknowledged, Some(TenderState::Awarded))
        );
        assert_eq!(read(&mut c, "received", "NULL").unwrap().n, None);
        for (w, n) in [
            ("bogus", "NULL"),
            ("", "NULL"),
            ("Acknowledged", "NULL"),
            ("acknowledged ", "NULL"),
            ("acknowledged", "'bogus'"),
        ] {
            match read(&mut c, w, n) {
                Err(diesel::result::Error::DeserializationError(e)) => {
                    assert!(e.to_string().contains("is not a word of"), "{e}")
                }
                other => panic!("{w:?}, {n}: {other:?}"),
            }
        }
    }
}
