//! Users, API tokens (stored hashed) and the login-failure record behind throttling.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{api_tokens, login_failures, users};
use super::{audit, micros, Act, DbConn, Result, StoreError};
use crate::domain::roles::{Principal, Role};
use crate::domain::Invalid;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: String,
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
    pub role: String,
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
            role: r.role.clone(),
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
            role: Role::parse(&self.role)?,
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
        .ok_or_else(|| StoreError::NotFound("user".into()))
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
    role: &'a str,
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
            return Err(Invalid::new(
                "supplier",
                "a supplier user must belong to a supplier (and nothing else)",
            )
            .into())
        }
        (Role::Institution, _, _) => {
            return Err(Invalid::new(
                "institution",
                "an institution user must belong to an institution (and nothing else)",
            )
            .into())
        }
        _ => {
            return Err(Invalid::new(
                "role",
                "only supplier and institution users belong to a supplier or an institution",
            )
            .into())
        }
    }
    super::write_tx(conn, |conn| {
        if by_username(conn, &u.username)?.is_some() {
            return Err(Invalid::new("username", format!("\"{}\" is taken", u.username)).into());
        }
        let id: i64 = diesel::insert_into(users::table)
            .values(UserInsert {
                username: &u.username,
                password_hash: &u.password_hash,
                display_name: &u.display_name,
                role: u.role.as_str(),
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
        let after = User::from(&get(conn, id)?);
        let action = if active { "activate" } else { "deactivate" };
        audit::append(conn, act, action, "user", id, Some(&before), Some(&after))?;
        Ok(after)
    })
}

pub fn set_password_hash(conn: &mut DbConn, act: &Act, id: i64, hash: &str) -> Result<()> {
    super::write_tx(conn, |conn| {
        get(conn, id)?;
        diesel::update(users::table.find(id))
            .set(users::password_hash.eq(hash))
            .execute(conn)?;
        audit::append(
            conn,
            act,
            "set_password",
            "user",
            id,
            None::<&()>,
            None::<&()>,
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

// ---------- login throttling ----------

pub fn record_login_failure(
    conn: &mut DbConn,
    username: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::username.eq(username),
            login_failures::at.eq(micros(at)),
        ))
        .execute(conn)?;
    Ok(())
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

pub fn clear_login_failures(conn: &mut DbConn, username: &str) -> Result<()> {
    diesel::delete(login_failures::table.filter(login_failures::username.eq(username)))
        .execute(conn)?;
    Ok(())
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
        .ok_or_else(|| StoreError::NotFound("token".into()))
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
