//! Who is asking: sessions for people (login, logout, language), bearer tokens for programs.

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, FromRequest, HttpRequest, HttpResponse};
use chrono::Duration;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;

use super::i18n::{self, Tr};
use super::view::{self, nav_for, Chrome, LoginPage};
use super::{db, ApiError, AppState, Error};
use crate::domain::roles::{Principal, Role};
use crate::security;
use crate::store::users;

const UID: &str = "uid";
const CSRF: &str = "csrf";
const LANG: &str = "lang";

/// The session's CSRF token, created on first use.
pub fn csrf_token(session: &Session) -> String {
    match session.get::<String>(CSRF).ok().flatten() {
        Some(t) => t,
        None => {
            let t = security::new_csrf_token();
            let _ = session.insert(CSRF, &t);
            t
        }
    }
}

/// The language: chosen in the session, else the user's, else the browser's.
pub fn language(session: &Session, req: &HttpRequest, user_lang: Option<&str>) -> Tr {
    if let Some(l) = session.get::<String>(LANG).ok().flatten() {
        return Tr::new(&l);
    }
    if let Some(l) = user_lang {
        return Tr::new(l);
    }
    let accept = req
        .headers()
        .get("Accept-Language")
        .and_then(|v| v.to_str().ok());
    Tr::new(i18n::from_accept_language(accept))
}

pub fn role_label(t: &Tr, r: Role) -> String {
    t.get(&format!("role.{}", r.as_str())).to_string()
}

/// A logged-in person, with what the page around the content needs.
pub struct Viewer {
    pub p: Principal,
    pub display_name: String,
    pub t: Tr,
    pub csrf: String,
}

impl Viewer {
    pub fn chrome(&self, title: impl Into<String>) -> Chrome {
        Chrome {
            t: self.t,
            title: title.into(),
            user: Some(self.display_name.clone()),
            role: Some(role_label(&self.t, self.p.role)),
            nav: nav_for(&self.t, &self.p),
            csrf: self.csrf.clone(),
            notice: None,
        }
    }

    /// Refuses anyone but center staff (regulators read, never write).
    pub fn require_admin(&self) -> Result<(), Error> {
        if self.p.can_administer() {
            Ok(())
        } else {
            Err(Error::forbidden())
        }
    }

    /// Refuses anyone who does not read every record (center staff, regulators).
    pub fn require_reader(&self) -> Result<(), Error> {
        if self.p.reads_everything() {
            Ok(())
        } else {
            Err(Error::forbidden())
        }
    }
}

impl FromRequest for Viewer {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let session = req.get_session();
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| Error::Internal("no state".into()))?;
            let uid: i64 = session
                .get(UID)
                .ok()
                .flatten()
                .ok_or(Error::Unauthenticated)?;
            let user = match db(&state, move |c| users::get(c, uid)).await {
                Ok(u) if u.active => u,
                Ok(_) | Err(Error::NotFound(_)) => {
                    session.purge();
                    return Err(Error::Unauthenticated);
                }
                Err(e) => return Err(e),
            };
            let t = language(&session, &req, Some(&user.language));
            Ok(Viewer {
                p: user.principal()?,
                display_name: user.display_name.clone(),
                t,
                csrf: csrf_token(&session),
            })
        })
    }
}

/// A program calling the API with `Authorization: Bearer <token>`.
pub struct ApiUser {
    pub p: Principal,
}

impl FromRequest for ApiUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| Error::Internal("no state".into()))?;
            let token = req
                .headers()
                .get("Authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .ok_or(Error::Unauthenticated)?;
            let hash = security::token_hash(&token);
            let user = db(&state, move |c| users::user_by_token_hash(c, &hash))
                .await?
                .ok_or(Error::Unauthenticated)?;
            Ok(ApiUser {
                p: user.principal()?,
            })
        })
    }
}

// ---------- pages ----------

pub fn anon_chrome(t: Tr, csrf: String, title: &str) -> Chrome {
    Chrome {
        t,
        title: title.to_string(),
        user: None,
        role: None,
        nav: vec![],
        csrf,
        notice: None,
    }
}

#[get("/")]
async fn root(session: Session) -> HttpResponse {
    let logged_in = session.get::<i64>(UID).ok().flatten().is_some();
    view::see_other(if logged_in { "/home" } else { "/login" })
}

#[get("/login")]
async fn login_page(req: HttpRequest, session: Session) -> Result<HttpResponse, Error> {
    let t = language(&session, &req, None);
    let page = LoginPage {
        chrome: anon_chrome(t, csrf_token(&session), t.get("login.title")),
        username: String::new(),
        error: None,
    };
    view::ok(&page)
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

#[post("/login")]
async fn login(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, Error> {
    let t = language(&session, &req, None);
    let username = form.username.trim().to_string();
    let now = state.clock.now();
    let window = Duration::minutes(state.config.login_lock_minutes);
    let max = state.config.login_max_failures;
    let name = username.clone();
    let failures = db(&state, move |c| {
        users::login_failures_since(c, &name, now - window)
    })
    .await?;
    let page = |status: StatusCode, msg: String| {
        view::render(
            status,
            &LoginPage {
                chrome: anon_chrome(t, csrf_token(&session), t.get("login.title")),
                username: username.clone(),
                error: Some(msg),
            },
        )
    };
    if failures >= max {
        return page(
            StatusCode::TOO_MANY_REQUESTS,
            t.get("login.locked")
                .replace("{minutes}", &state.config.login_lock_minutes.to_string()),
        );
    }
    let name = username.clone();
    let user = db(&state, move |c| users::by_username(c, &name)).await?;
    let password = form.password.clone();
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| security::dummy_hash().to_string());
    let ok = web::block(move || security::verify_password(&password, &hash)).await?;
    match user {
        Some(u) if ok && u.active => {
            let name = username.clone();
            db(&state, move |c| users::clear_login_failures(c, &name)).await?;
            session.renew();
            session
                .insert(UID, u.id)
                .map_err(|e| Error::Internal(e.to_string()))?;
            let _ = session.insert(LANG, &u.language);
            let _ = session.insert(CSRF, security::new_csrf_token());
            Ok(view::see_other("/home"))
        }
        _ => {
            let name = username.clone();
            db(&state, move |c| users::record_login_failure(c, &name, now)).await?;
            page(StatusCode::UNAUTHORIZED, t.get("login.failed").to_string())
        }
    }
}

#[post("/logout")]
async fn logout(session: Session) -> HttpResponse {
    session.purge();
    view::see_other("/login")
}

/// Switches the interface language; remembered in the session and, for a user, in the account.
#[get("/lang/{code}")]
async fn switch_language(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let code = code.into_inner();
    if !i18n::LANGS.contains(&code.as_str()) {
        return Err(Error::NotFound(format!("language \"{code}\"")));
    }
    let _ = session.insert(LANG, &code);
    if let Some(uid) = session.get::<i64>(UID).ok().flatten() {
        let now = state.clock.now();
        let lang = code.clone();
        db(&state, move |c| {
            let u = users::get(c, uid)?;
            users::set_language(c, &crate::store::Act::new(u.username, now), uid, &lang)
        })
        .await?;
    }
    // Back to the page the user was on, if it was ours.
    let back = req
        .headers()
        .get("Referer")
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            let host = req.connection_info().host().to_string();
            r.split_once(&host).map(|(_, path)| path.to_string())
        })
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/home".into());
    Ok(view::see_other(&back))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(root)
        .service(login_page)
        .service(login)
        .service(logout)
        .service(switch_language);
}
