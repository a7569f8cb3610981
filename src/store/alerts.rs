//! Who receives an alert: the users of the parties concerned, with an e-mail address, active,
//! and not having turned that alert off.

use diesel::prelude::*;
use std::collections::BTreeSet;

use super::schema::{alert_optouts, users};
use super::{audit, write_tx, Act, DbConn, Result};
use crate::domain::alerts::AlertKind;
use crate::domain::roles::Role;

/// One recipient: an address and the language the message is written in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Recipient {
    pub user_id: i64,
    pub email: String,
    pub language: String,
}

/// Whose users an alert goes to.
#[derive(Debug, Clone, Default)]
pub struct Audience {
    pub center: bool,
    pub regulator: bool,
    pub suppliers: Vec<i64>,
    pub institutions: Vec<i64>,
    /// Named users (a tender's key custodians).
    pub users: Vec<i64>,
}

/// The recipients of an alert of `kind` to `to`, each address once.
pub fn recipients(conn: &mut DbConn, kind: AlertKind, to: &Audience) -> Result<Vec<Recipient>> {
    let mut rows: Vec<(i64, String, String)> = vec![];
    let base = || {
        users::table
            .filter(users::active.eq(true))
            .filter(users::email.ne(""))
            .filter(
                users::id.ne_all(
                    alert_optouts::table
                        .filter(alert_optouts::kind.eq(kind))
                        .select(alert_optouts::user_id),
                ),
            )
            .select((users::id, users::email, users::language))
    };
    let mut roles = vec![];
    if to.center {
        roles.push(Role::Center);
    }
    if to.regulator {
        roles.push(Role::Regulator);
    }
    if !roles.is_empty() {
        rows.extend(
            base()
                .filter(users::role.eq_any(roles))
                .load::<(i64, String, String)>(conn)?,
        );
    }
    for chunk in to.suppliers.chunks(500) {
        rows.extend(
            base()
                .filter(users::supplier_id.eq_any(chunk.to_vec()))
                .load::<(i64, String, String)>(conn)?,
        );
    }
    for chunk in to.institutions.chunks(500) {
        rows.extend(
            base()
                .filter(users::institution_id.eq_any(chunk.to_vec()))
                .load::<(i64, String, String)>(conn)?,
        );
    }
    for chunk in to.users.chunks(500) {
        rows.extend(
            base()
                .filter(users::id.eq_any(chunk.to_vec()))
                .load::<(i64, String, String)>(conn)?,
        );
    }
    let mut seen = BTreeSet::new();
    let mut out = vec![];
    rows.sort();
    for (user_id, email, language) in rows {
        let email = email.trim().to_string();
        if email.contains('@') && seen.insert(email.to_lowercase()) {
            out.push(Recipient {
                user_id,
                email,
                language,
            });
        }
    }
    Ok(out)
}

/// The alerts a user turned off.
pub fn optouts(conn: &mut DbConn, user_id: i64) -> Result<BTreeSet<AlertKind>> {
    Ok(alert_optouts::table
        .filter(alert_optouts::user_id.eq(user_id))
        .select(alert_optouts::kind)
        .load::<AlertKind>(conn)?
        .into_iter()
        .collect())
}

/// Sets which alerts a user turned off (the others are on).
pub fn set_optouts(
    conn: &mut DbConn,
    act: &Act,
    user_id: i64,
    off: &BTreeSet<AlertKind>,
) -> Result<()> {
    write_tx(conn, |conn| {
        let before = optouts(conn, user_id)?;
        diesel::delete(alert_optouts::table.filter(alert_optouts::user_id.eq(user_id)))
            .execute(conn)?;
        for k in off {
            diesel::insert_into(alert_optouts::table)
                .values((
                    alert_optouts::user_id.eq(user_id),
                    alert_optouts::kind.eq(k),
                ))
                .execute(conn)?;
        }
        audit::append(
            conn,
            act,
            "alert_preferences",
            "user",
            user_id,
            Some(&before),
            Some(off),
        )
    })
}
