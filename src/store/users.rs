//! Users, API tokens (stored hashed), sessions (stored hashed) and the login-failure record
//! behind throttling.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{api_tokens, login_failures, sessions, users};
use super::{audit, micros, Act, DbConn, Result, StoreError};
use crate::domain::roles::{Principal, Role};
use crate::domain::{Code, Invalid, Msg};

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: Role,
    pub supplier_id: Option<i64>,
    pub institution_id: Option<i64>,
    pub email: String,
    pub language: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

/// A user as shown and audited (never with the password hash).
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub supplier_id: Option<i64>,
    pub institution_id: Option<i64>,
    pub email: String,
    pub language: String,
    pub active: bool,
}

impl From<&UserRow> for User {
    fn from(r: &UserRow) -> Self {
        User {
            id: r.id,
            username: r.username.clone(),
            display_name: r.display_name.clone(),
            role: r.role,
            supplier_id: r.supplier_id,
            institution_id: r.institution_id,
            email: r.email.clone(),
            language: r.language.clone(),
            active: r.active,
        }
    }
}

impl UserRow {
    pub fn principal(&self) -> Result<Principal> {
        Ok(Principal {
            user_id: self.id,
            username: self.username.clone(),
            role: self.role,
            supplier_id: self.supplier_id,
            institution_id: self.institution_id,
        })
    }
}

pub fn by_username(conn: &mut DbConn, username: &str) -> Result<Option<UserRow>> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn get(conn: &mut DbConn, id: i64) -> Result<UserRow> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Code::UserNotFound.into()))
}

pub fn list(conn: &mut DbConn) -> Result<Vec<User>> {
    let rows: Vec<UserRow> = users::table
        .order(users::username.asc())
        .select(UserRow::as_select())
        .load(conn)?;
    Ok(rows.iter().map(User::from).collect())
}

/// A new user, already validated; the password is already hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: Role,
    pub supplier_id: Option<i64>,
    pub institution_id: Option<i64>,
    pub email: String,
    pub language: String,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct UserInsert<'a> {
    username: &'a str,
    password_hash: &'a str,
    display_name: &'a str,
    role: Role,
    supplier_id: Option<i64>,
    institution_id: Option<i64>,
    email: &'a str,
    language: &'a str,
    active: bool,
    created_at: NaiveDateTime,
}

pub fn create(conn: &mut DbConn, act: &Act, u: &NewUser) -> Result<User> {
    // A supplier user belongs to a supplier, an institution user to an institution, others to neither.
    match (u.role, u.supplier_id, u.institution_id) {
        (Role::Supplier, Some(_), None) | (Role::Institution, None, Some(_)) => {}
        (Role::Center | Role::Expert | Role::Regulator, None, None) => {}
        (Role::Supplier, _, _) => {
            return Err(Invalid::new("supplier", Code::SupplierUserNeedsSupplier).into())
        }
        (Role::Institution, _, _) => {
            return Err(Invalid::new("institution", Code::InstitutionUserNeedsInstitution).into())
        }
        _ => return Err(Invalid::new("role", Code::OnlySupplierOrInstitutionUsersBelong).into()),
    }
    super::write_tx(conn, |conn| {
        if by_username(conn, &u.username)?.is_some() {
            return Err(Invalid::new(
                "username",
                Msg::new(Code::UsernameTaken).arg("username", &u.username),
            )
            .into());
        }
        let id: i64 = diesel::insert_into(users::table)
            .values(UserInsert {
                username: &u.username,
                password_hash: &u.password_hash,
                display_name: &u.display_name,
                role: u.role,
                supplier_id: u.supplier_id,
                institution_id: u.institution_id,
                email: &u.email,
                language: &u.language,
                active: true,
                created_at: act.stamp(),
            })
            .returning(users::id)
            .get_result(conn)?;
        let after = User::from(&get(conn, id)?);
        audit::append(conn, act, "create", "user", id, None::<&()>, Some(&after))?;
        Ok(after)
    })
}

pub fn set_active(conn: &mut DbConn, act: &Act, id: i64, active: bool) -> Result<User> {
    super::write_tx(conn, |conn| {
        let before = User::from(&get(conn, id)?);
        diesel::update(users::table.find(id))
            .set(users::active.eq(active))
            .execute(conn)?;
        if !active {
            end_sessions_of(conn, id, act.stamp())?;
        }
        let after = User::from(&get(conn, id)?);
        let action = if active { "activate" } else { "deactivate" };
        audit::append(conn, act, action, "user", id, Some(&before), Some(&after))?;
        Ok(after)
    })
}

/// Sets a user's password (a change or an administrator's reset) and, in the same transaction,
/// ends every session and revokes every API token of the user, and forgets the failed logins
/// of the username (a reset lifts a lock).
pub fn set_password_hash(conn: &mut DbConn, act: &Act, id: i64, hash: &str) -> Result<()> {
    super::write_tx(conn, |conn| {
        let user = get(conn, id)?;
        diesel::update(users::table.find(id))
            .set(users::password_hash.eq(hash))
            .execute(conn)?;
        let sessions_ended = end_sessions_of(conn, id, act.stamp())?;
        let tokens_revoked = diesel::update(
            api_tokens::table
                .filter(api_tokens::user_id.eq(id))
                .filter(api_tokens::revoked_at.is_null()),
        )
        .set(api_tokens::revoked_at.eq(Some(act.stamp())))
        .execute(conn)?;
        diesel::delete(login_failures::table.filter(login_failures::username.eq(&user.username)))
            .execute(conn)?;
        audit::append(
            conn,
            act,
            "set_password",
            "user",
            id,
            None::<&()>,
            Some(&serde_json::json!({
                "sessions_ended": sessions_ended,
                "tokens_revoked": tokens_revoked,
            })),
        )?;
        Ok(())
    })
}

pub fn set_language(conn: &mut DbConn, act: &Act, id: i64, lang: &str) -> Result<()> {
    super::write_tx(conn, |conn| {
        let before = User::from(&get(conn, id)?);
        diesel::update(users::table.find(id))
            .set(users::language.eq(lang))
            .execute(conn)?;
        let after = User::from(&get(conn, id)?);
        audit::append(
            conn,
            act,
            "set_language",
            "user",
            id,
            Some(&before),
            Some(&after),
        )?;
        Ok(())
    })
}

// ---------- sessions ----------

/// A session's last_seen_at is written at most this often (not on every request).
pub const TOUCH_EVERY_SECONDS: i64 = 60;

/// How long a session lives: since its last request (idle) and since the login (absolute).
#[derive(Debug, Clone, Copy)]
pub struct SessionLife {
    pub idle: chrono::Duration,
    pub absolute: chrono::Duration,
}

/// Starts a session for the user; the cookie carries the id, the table its hash.
pub fn start_session(
    conn: &mut DbConn,
    user_id: i64,
    token_hash: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(token_hash),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(micros(now)),
            sessions::last_seen_at.eq(micros(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The active user of a live session (not ended, neither idle nor older than its lifetimes);
/// notes the request as the session's last (at most once a minute).
pub fn session_user(
    conn: &mut DbConn,
    token_hash: &str,
    now: chrono::DateTime<chrono::Utc>,
    life: SessionLife,
) -> Result<Option<UserRow>> {
    let found: Option<(i64, NaiveDateTime, UserRow)> = sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::ended_at.is_null())
        .filter(sessions::last_seen_at.gt(micros(now - life.idle)))
        .filter(sessions::created_at.gt(micros(now - life.absolute)))
        .filter(users::active.eq(true))
        .select((sessions::id, sessions::last_seen_at, UserRow::as_select()))
        .first(conn)
        .optional()?;
    let Some((id, last_seen, user)) = found else {
        return Ok(None);
    };
    if micros(now) - last_seen >= chrono::Duration::seconds(TOUCH_EVERY_SECONDS) {
        diesel::update(sessions::table.find(id))
            .set(sessions::last_seen_at.eq(micros(now)))
            .execute(conn)?;
    }
    Ok(Some(user))
}

/// Ends one session (logout).
pub fn end_session(
    conn: &mut DbConn,
    token_hash: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    diesel::update(
        sessions::table
            .filter(sessions::token_hash.eq(token_hash))
            .filter(sessions::ended_at.is_null()),
    )
    .set(sessions::ended_at.eq(Some(micros(now))))
    .execute(conn)?;
    Ok(())
}

/// Ends every open session of a user; how many.
fn end_sessions_of(conn: &mut DbConn, user_id: i64, at: NaiveDateTime) -> Result<usize> {
    Ok(diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::ended_at.is_null()),
    )
    .set(sessions::ended_at.eq(Some(at)))
    .execute(conn)?)
}

/// The open (not ended) sessions of a user, live or expired.
pub fn open_sessions(conn: &mut DbConn, user_id: i64) -> Result<i64> {
    Ok(sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::ended_at.is_null())
        .count()
        .get_result(conn)?)
}

// ---------- login throttling ----------

/// Longest username a login may name; longer ones are refused before anything is stored.
pub use crate::domain::users::MAX_USERNAME_CHARS;

/// How many failed logins, within the window, lock what.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    /// Failures counted since this instant.
    pub since: chrono::DateTime<chrono::Utc>,
    /// Of one username from one client address.
    pub per_user_and_address: i64,
    /// Of one username from every address together.
    pub per_user: i64,
    /// From one client address, whatever the username (known or not).
    pub per_address: i64,
}

/// Reserves one password check for a login: the attempt is first recorded as a failure, in
/// its own committed statement, and only then are the failures counted, so that of any number
/// of concurrent attempts at most the limit see a count within it (each sees its own record
/// and those committed before). `Some(id)` of the record when the password may be checked
/// (call `login_succeeded` with it if it was right; a wrong one stays recorded); `None` when a
/// limit is reached, and the record is withdrawn, so that refused attempts do not prolong the
/// lock. The username must already be at most `MAX_USERNAME_CHARS` long.
pub fn reserve_login_attempt(
    conn: &mut DbConn,
    username: &str,
    address: &str,
    now: chrono::DateTime<chrono::Utc>,
    limits: LoginLimits,
) -> Result<Option<i64>> {
    if username.chars().count() > MAX_USERNAME_CHARS {
        return Err(Invalid::new(
            "username",
            Msg::new(Code::TooLong).arg("max", MAX_USERNAME_CHARS),
        )
        .into());
    }
    let id: i64 = diesel::insert_into(login_failures::table)
        .values((
            login_failures::username.eq(username),
            login_failures::address.eq(address),
            login_failures::at.eq(micros(now)),
        ))
        .returning(login_failures::id)
        .get_result(conn)?;
    let since = micros(limits.since);
    let recent = || login_failures::table.filter(login_failures::at.gt(since));
    let pair: i64 = recent()
        .filter(login_failures::username.eq(username))
        .filter(login_failures::address.eq(address))
        .count()
        .get_result(conn)?;
    let user: i64 = recent()
        .filter(login_failures::username.eq(username))
        .count()
        .get_result(conn)?;
    let from: i64 = recent()
        .filter(login_failures::address.eq(address))
        .count()
        .get_result(conn)?;
    if pair > limits.per_user_and_address || user > limits.per_user || from > limits.per_address {
        diesel::delete(login_failures::table.find(id)).execute(conn)?;
        return Ok(None);
    }
    Ok(Some(id))
}

/// A reserved login proved right: its record goes, with the earlier failures of the username
/// from that address (the owner's own typing errors).
pub fn login_succeeded(
    conn: &mut DbConn,
    reservation: i64,
    username: &str,
    address: &str,
) -> Result<()> {
    super::write_tx(conn, |conn| {
        diesel::delete(login_failures::table.find(reservation)).execute(conn)?;
        diesel::delete(
            login_failures::table
                .filter(login_failures::username.eq(username))
                .filter(login_failures::address.eq(address)),
        )
        .execute(conn)?;
        Ok(())
    })
}

pub fn login_failures_since(
    conn: &mut DbConn,
    username: &str,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<i64> {
    Ok(login_failures::table
        .filter(login_failures::username.eq(username))
        .filter(login_failures::at.gt(micros(since)))
        .count()
        .get_result(conn)?)
}

/// What the purge removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub login_failures: usize,
    pub sessions: usize,
}

impl std::fmt::Display for Purged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} old failed logins and {} ended or expired sessions removed",
            self.login_failures, self.sessions
        )
    }
}

/// Removes failed logins recorded before `failures_before`, and sessions that ended or were
/// last used before `sessions_before` (both long past any lock or lifetime).
pub fn purge(
    conn: &mut DbConn,
    failures_before: chrono::DateTime<chrono::Utc>,
    sessions_before: chrono::DateTime<chrono::Utc>,
) -> Result<Purged> {
    super::write_tx(conn, |conn| {
        let login_failures = diesel::delete(
            login_failures::table.filter(login_failures::at.lt(micros(failures_before))),
        )
        .execute(conn)?;
        let before = micros(sessions_before);
        let sessions = diesel::delete(
            sessions::table.filter(
                sessions::last_seen_at
                    .lt(before)
                    .or(sessions::ended_at.lt(before)),
            ),
        )
        .execute(conn)?;
        Ok(Purged {
            login_failures,
            sessions,
        })
    })
}

// ---------- API tokens ----------

#[derive(Queryable, Selectable, Serialize, Debug, Clone)]
#[diesel(table_name = api_tokens)]
pub struct Token {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    #[serde(skip)]
    pub token_hash: String,
    pub prefix: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn create_token(
    conn: &mut DbConn,
    act: &Act,
    user_id: i64,
    name: &str,
    hash: &str,
    prefix: &str,
) -> Result<Token> {
    super::write_tx(conn, |conn| {
        let user = get(conn, user_id)?;
        let id: i64 = diesel::insert_into(api_tokens::table)
            .values((
                api_tokens::user_id.eq(user.id),
                api_tokens::name.eq(name),
                api_tokens::token_hash.eq(hash),
                api_tokens::prefix.eq(prefix),
                api_tokens::created_at.eq(act.stamp()),
            ))
            .returning(api_tokens::id)
            .get_result(conn)?;
        let t = token(conn, id)?;
        audit::append(
            conn,
            act,
            "issue_token",
            "api_token",
            id,
            None::<&()>,
            Some(&t),
        )?;
        Ok(t)
    })
}

pub fn token(conn: &mut DbConn, id: i64) -> Result<Token> {
    api_tokens::table
        .find(id)
        .select(Token::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(Code::TokenNotFound.into()))
}

pub fn tokens(conn: &mut DbConn) -> Result<Vec<Token>> {
    Ok(api_tokens::table
        .order(api_tokens::id.desc())
        .select(Token::as_select())
        .load(conn)?)
}

pub fn revoke_token(conn: &mut DbConn, act: &Act, id: i64) -> Result<Token> {
    super::write_tx(conn, |conn| {
        let before = token(conn, id)?;
        if before.revoked_at.is_some() {
            return Ok(before);
        }
        diesel::update(api_tokens::table.find(id))
            .set(api_tokens::revoked_at.eq(Some(act.stamp())))
            .execute(conn)?;
        let after = token(conn, id)?;
        audit::append(
            conn,
            act,
            "revoke_token",
            "api_token",
            id,
            Some(&before),
            Some(&after),
        )?;
        Ok(after)
    })
}

/// The active user behind a live token, by the token's hash.
pub fn user_by_token_hash(conn: &mut DbConn, hash: &str) -> Result<Option<UserRow>> {
    // One round trip: every API request asks this.
    Ok(api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(hash))
        .filter(api_tokens::revoked_at.is_null())
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}
