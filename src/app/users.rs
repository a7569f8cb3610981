//! Accounts, kept by center staff: create one, switch it on or off, set its password.

use super::{may_administer, Ctx, Error, Result};
use crate::domain::roles::Principal;
use crate::domain::users::UserForm;
use crate::domain::{Code, Invalid, Msg};
use crate::security;
use crate::store::{parties, users};

/// A new account: every field checked (all errors at once, the password's too), the supplier or
/// institution it belongs to found by its code.
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub fn create(cx: &Ctx, p: &Principal, form: &UserForm) -> Result<users::User> {
    may_administer(p)?;
    let checked = form.validate();
    // The password is checked (and hashed) even when other fields are wrong: one answer names all.
    let hash = security::hash_password(&form.password);
    let (input, hash) = match (checked, hash) {
        (Ok(i), Ok(h)) => (i, h),
        (i, h) => {
            let mut errs = i.err().unwrap_or_default();
            errs.extend(h.err());
            return Err(Error::Invalid(errs));
        }
    };
    let mut c = cx.conn()?;
    let supplier_id = match input.supplier_uscc.as_str() {
        "" => None,
        uscc => Some(
            parties::supplier_by_uscc(&mut c, uscc)?
                .ok_or_else(|| {
                    Invalid::new(
                        "supplier_uscc",
                        Msg::new(Code::NoSupplierWithCode).arg("code", uscc),
                    )
                })?
                .id,
        ),
    };
    let institution_id = match input.institution_code.as_str() {
        "" => None,
        code => Some(
            parties::institution_by_code(&mut c, code)?
                .ok_or_else(|| {
                    Invalid::new(
                        "institution_code",
                        Msg::new(Code::NoInstitutionWithCode).arg("code", code),
                    )
                })?
                .id,
        ),
    };
    Ok(users::create(
        &mut c,
        &cx.act(p),
        &users::NewUser {
            username: input.username,
            password_hash: hash,
            display_name: input.display_name,
            role: input.role,
            supplier_id,
            institution_id,
            email: input.email,
            language: input.language,
        },
    )?)
}

/// Switches an account on or off (ending its sessions when off); nobody switches off their own.
#[tracing::instrument(skip_all, fields(user = %p.username, account = id))]
pub fn set_active(cx: &Ctx, p: &Principal, id: i64, on: bool) -> Result<users::User> {
    may_administer(p)?;
    if id == p.user_id && !on {
        return Err(Invalid::new("user", Code::CannotDeactivateSelf).into());
    }
    Ok(users::set_active(&mut *cx.conn()?, &cx.act(p), id, on)?)
}

/// Sets an account's password (ending its sessions and revoking its API tokens).
#[tracing::instrument(skip_all, fields(user = %p.username, account = id))]
pub fn set_password(cx: &Ctx, p: &Principal, id: i64, password: &str) -> Result<()> {
    may_administer(p)?;
    let hash = security::hash_password(password)?;
    Ok(users::set_password_hash(
        &mut *cx.conn()?,
        &cx.act(p),
        id,
        &hash,
    )?)
}

/// A new API token for an account, with its secret (shown once; only its hash is kept) and the
/// account it acts as (center staff).
#[tracing::instrument(skip_all, fields(user = %p.username, account = user_id))]
pub fn issue_token(
    cx: &Ctx,
    p: &Principal,
    user_id: i64,
    name: &str,
) -> Result<(users::Token, users::UserRow, String)> {
    may_administer(p)?;
    let new = security::new_api_token();
    let mut c = cx.conn()?;
    let tok = users::create_token(&mut c, &cx.act(p), user_id, name, &new.hash, &new.prefix)?;
    let user = users::get(&mut c, user_id)?;
    Ok((tok, user, new.secret))
}

/// Revokes an API token (center staff); revoking a revoked token changes nothing.
#[tracing::instrument(skip_all, fields(user = %p.username, token = id))]
pub fn revoke_token(cx: &Ctx, p: &Principal, id: i64) -> Result<users::Token> {
    may_administer(p)?;
    Ok(users::revoke_token(&mut *cx.conn()?, &cx.act(p), id)?)
}

/// Keeps the language a signed-in user chose for their own account (every role).
#[tracing::instrument(skip_all, fields(user = %username))]
pub fn set_own_language(cx: &Ctx, user_id: i64, username: &str, lang: &str) -> Result<()> {
    let act = crate::store::Act::new(username, cx.clock.now());
    Ok(users::set_language(&mut *cx.conn()?, &act, user_id, lang)?)
}

/// The alert kinds a user has switched off for themselves.
pub fn alert_optouts(
    cx: &Ctx,
    p: &Principal,
) -> Result<std::collections::BTreeSet<crate::domain::alerts::AlertKind>> {
    Ok(crate::store::alerts::optouts(&mut *cx.conn()?, p.user_id)?)
}

/// Sets which alert kinds a user receives (each user their own, every role).
#[tracing::instrument(skip_all, fields(user = %p.username))]
pub fn set_alert_optouts(
    cx: &Ctx,
    p: &Principal,
    off: &std::collections::BTreeSet<crate::domain::alerts::AlertKind>,
) -> Result<()> {
    Ok(crate::store::alerts::set_optouts(
        &mut *cx.conn()?,
        &cx.act(p),
        p.user_id,
        off,
    )?)
}
