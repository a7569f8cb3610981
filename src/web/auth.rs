//! Who is asking: sessions for people (login, logout, language), bearer tokens for programs.
//!
//! A person's session lives in the database (`sessions`): the encrypted cookie carries only a
//! random id, looked up on every request, so logout, a password change or reset, and the idle
//! and absolute lifetimes end it on every replica at once.

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, FromRequest, HttpRequest, HttpResponse};
use chrono::Duration;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;

use super::view::{self, nav_for, Chrome, LoginPage};
use super::{db, ApiError, AppState, Error};
use crate::domain::roles::{Principal, Role};
use crate::domain::{Code, Msg};
use crate::i18n::{self, Tr};
use crate::security;
use crate::store::users;

const SID: &str = "sid";
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
    /// The path asked for: its menu link is marked current.
    pub path: String,
    /// The notice of the last action (its flash), taken from the session by a GET.
    pub notice: Option<String>,
}

impl Viewer {
    pub fn chrome(&self, title: impl Into<String>) -> Chrome {
        let groups = nav_for(&self.t, &self.p, &self.path);
        Chrome {
            t: self.t,
            title: title.into(),
            user: Some(self.display_name.clone()),
            role: Some(role_label(&self.t, self.p.role)),
            nav: groups.iter().flat_map(|g| g.links.clone()).collect(),
            groups,
            csrf: self.csrf.clone(),
            notice: self.notice.clone(),
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
            let sid: String = session
                .get(SID)
                .ok()
                .flatten()
                .ok_or(Error::Unauthenticated)?;
            let user = match live_user(&state, &sid).await? {
                Some(u) => u,
                None => {
                    session.purge();
                    return Err(Error::Unauthenticated);
                }
            };
            let t = language(&session, &req, Some(&user.language));
            // A page shown by a GET shows the notice of the action before it, once.
            let notice = if req.method() == actix_web::http::Method::GET {
                super::take_flash(&session)
            } else {
                None
            };
            Ok(Viewer {
                p: user.principal()?,
                display_name: user.display_name.clone(),
                t,
                csrf: csrf_token(&session),
                path: req.path().to_string(),
                notice,
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

/// The active user of the live session with this id, if any.
async fn live_user(state: &AppState, sid: &str) -> Result<Option<users::UserRow>, Error> {
    let hash = security::token_hash(sid);
    let now = state.clock.now();
    let life = session_life(&state.config);
    db(state, move |c| users::session_user(c, &hash, now, life)).await
}

pub fn session_life(config: &crate::config::Config) -> users::SessionLife {
    users::SessionLife {
        idle: Duration::minutes(config.session_idle_minutes),
        absolute: Duration::hours(config.session_max_hours),
    }
}

/// The client's address: the peer's, or, when the peer is one of the trusted proxies, the
/// nearest address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_address(req: &HttpRequest, config: &crate::config::Config) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return String::new();
    };
    if !config.trusted_proxies.contains(&peer) {
        return peer.to_string();
    }
    let forwarded: Vec<std::net::IpAddr> = req
        .headers()
        .get_all("X-Forwarded-For")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map_while(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|a| !config.trusted_proxies.contains(a))
        .or(forwarded.first())
        .unwrap_or(&peer)
        .to_string()
}

/// A path of this site to send a browser back to: relative, starting with one `/`, with no
/// backslash, control character or scheme-relative `//` that a browser could read as another
/// site. `None` for anything else.
pub fn safe_local_path(p: &str) -> Option<&str> {
    let ok = p.starts_with('/')
        && !p.starts_with("//")
        && !p.contains('\\')
        && !p.chars().any(|c| c.is_control() || c.is_whitespace())
        && p.len() <= 2048;
    ok.then_some(p)
}

/// The path of a `Referer` when it names this host (scheme, then exactly the host, then the
/// path); `None` when it names another site or is not a safe path.
pub fn back_from_referer<'a>(referer: &'a str, host: &str) -> Option<&'a str> {
    let rest = referer
        .strip_prefix("https://")
        .or_else(|| referer.strip_prefix("http://"))?;
    let path = rest.strip_prefix(host)?;
    let path = path.split('#').next().unwrap_or_default();
    safe_local_path(path)
}

// ---------- pages ----------

pub fn anon_chrome(t: Tr, csrf: String, title: &str) -> Chrome {
    Chrome {
        t,
        title: title.to_string(),
        user: None,
        role: None,
        nav: vec![],
        groups: vec![],
        csrf,
        notice: None,
    }
}

#[get("/")]
async fn root(session: Session) -> HttpResponse {
    let logged_in = session.get::<String>(SID).ok().flatten().is_some();
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
    let page = |status: StatusCode, msg: String| {
        view::render(
            status,
            &LoginPage {
                chrome: anon_chrome(t, csrf_token(&session), t.get("login.title")),
                username: username.chars().take(users::MAX_USERNAME_CHARS).collect(),
                error: Some(msg),
            },
        )
    };
    // Nothing is stored for a name no account can have.
    if username.chars().count() > users::MAX_USERNAME_CHARS {
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            t.get("login.too_long")
                .replace("{max}", &users::MAX_USERNAME_CHARS.to_string()),
        );
    }
    let now = state.clock.now();
    let address = client_address(&req, &state.config);
    let limits = users::LoginLimits {
        since: now - Duration::minutes(state.config.login_lock_minutes),
        per_user_and_address: state.config.login_max_failures,
        per_user: state.config.login_max_failures_per_user,
        per_address: state.config.login_max_failures_per_address,
    };
    let (name, addr) = (username.clone(), address.clone());
    let reservation = db(&state, move |c| {
        users::reserve_login_attempt(c, &name, &addr, now, limits)
    })
    .await?;
    let Some(reservation) = reservation else {
        return page(
            StatusCode::TOO_MANY_REQUESTS,
            t.get("login.locked")
                .replace("{minutes}", &state.config.login_lock_minutes.to_string()),
        );
    };
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
            // The wrong attempt recorded by the reservation goes; the session starts.
            let sid = security::new_session_id();
            let hash = security::token_hash(&sid);
            let (name, uid) = (username.clone(), u.id);
            db(&state, move |c| {
                users::login_succeeded(c, reservation, &name, &address)?;
                users::start_session(c, uid, &hash, now)
            })
            .await?;
            session.renew();
            session
                .insert(SID, sid)
                .map_err(|e| Error::Internal(e.to_string()))?;
            let _ = session.insert(LANG, &u.language);
            let _ = session.insert(CSRF, security::new_csrf_token());
            Ok(view::see_other("/home"))
        }
        // The reservation stays recorded as a failure.
        _ => page(StatusCode::UNAUTHORIZED, t.get("login.failed").to_string()),
    }
}

/// Ends the session here and in the database: the old cookie opens nothing any more.
#[post("/logout")]
async fn logout(session: Session, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    if let Some(sid) = session.get::<String>(SID).ok().flatten() {
        let hash = security::token_hash(&sid);
        let now = state.clock.now();
        db(&state, move |c| users::end_session(c, &hash, now)).await?;
    }
    session.purge();
    Ok(view::see_other("/login"))
}

/// Switches the interface language (a form of the page header, with its CSRF token);
/// remembered in the session and, for a user, in the account. Back to the page the user was
/// on when the `Referer` names a page of this site, else home.
#[post("/lang/{code}")]
async fn switch_language(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let code = code.into_inner();
    if !i18n::LANGS.contains(&code.as_str()) {
        return Err(Error::NotFound(
            Msg::new(Code::LanguageNotFound).arg("language", &code),
        ));
    }
    let _ = session.insert(LANG, &code);
    if let Some(sid) = session.get::<String>(SID).ok().flatten() {
        if let Some(u) = live_user(&state, &sid).await? {
            let lang = code.clone();
            crate::web::run(&state, move |cx| {
                crate::app::users::set_own_language(cx, u.id, &u.username, &lang)
            })
            .await?;
        }
    }
    let host = req.connection_info().host().to_string();
    let back = req
        .headers()
        .get("Referer")
        .and_then(|v| v.to_str().ok())
        .and_then(|r| back_from_referer(r, &host))
        .filter(|p| !p.starts_with("/lang/"))
        .unwrap_or("/home");
    Ok(view::see_other(back))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(root)
        .service(login_page)
        .service(login)
        .service(logout)
        .service(switch_language);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_followed_back() {
        fn ok(r: &str) -> Option<&str> {
            back_from_referer(r, "jicai.example:8080")
        }
        assert_eq!(
            ok("http://jicai.example:8080/drugs?page=2"),
            Some("/drugs?page=2")
        );
        assert_eq!(ok("https://jicai.example:8080/home#top"), Some("/home"));
        for bad in [
            "http://jicai.example:8080//evil.example/",
            "http://jicai.example:8080/\\evil.example",
            "http://jicai.example:8080/\\/evil.example",
            "http://jicai.example:8080.evil.example/",
            "http://jicai.example:8080@evil.example/",
            "http://evil.example/?jicai.example:8080/home",
            "http://jicai.example:8080/a\tb",
            "http://jicai.example:8080/a\r\nLocation: x",
            "javascript:alert(1)",
            "/\\evil.example",
            "jicai.example:8080/home",
            "",
        ] {
            assert_eq!(ok(bad), None, "{bad:?}");
        }
        assert_eq!(safe_local_path("/\\evil.example"), None);
        assert_eq!(safe_local_path("//evil.example"), None);
        assert_eq!(safe_local_path("https://evil.example"), None);
        assert_eq!(safe_local_path("/ok/path?x=1"), Some("/ok/path?x=1"));
    }
}
