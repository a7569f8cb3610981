//! Center staff's administration: users, API tokens, the outbox (the audit log: `audit`).

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

use super::catalog::{form_or_error, form_page};
use super::pickers::{self, Choice};
use super::{field, record_form, yes_no};
use crate::app;
use crate::domain::roles::Role;
use crate::domain::users::UserForm;
use crate::domain::{required_text, Code, Invalid, Msg};
use crate::store::{outbox, users};
use crate::web::auth::{role_label, Viewer};
use crate::web::view::{self, Cell, DetailPage, Field, Form, Link, ListPage, Section, Table};
use crate::web::{db, run, AppState, Error};

#[get("/users")]
async fn user_list(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let t = v.t;
    let all = db(&state, users::list).await?;
    let table = Table {
        columns: [
            "field.username",
            "field.display_name",
            "field.role",
            "field.email",
            "field.active",
            "",
        ]
        .iter()
        .map(|k| {
            if k.is_empty() {
                String::new()
            } else {
                t.get(k).to_string()
            }
        })
        .collect(),
        rows: all
            .iter()
            .map(|u| {
                let role = role_label(&t, u.role);
                vec![
                    Cell::text(&u.username),
                    Cell::text(&u.display_name),
                    Cell::text(role),
                    Cell::text(&u.email),
                    Cell::text(yes_no(&t, u.active)).with_class(if u.active {
                        "good"
                    } else {
                        "bad"
                    }),
                    Cell::link(t.get("action.manage"), format!("/users/{}", u.id)),
                ]
            })
            .collect(),
    };
    view::ok(&ListPage {
        chrome: v.chrome(t.get("nav.users")),
        heading: t.get("nav.users").to_string(),
        search: None,
        actions: vec![Link::new("/users/new", t.get("action.new_user"))],
        table,
        pager: None,
        empty: t.get("page.no_results").to_string(),
    })
}

/// The pickers of the user form: suppliers (a select) and institutions (a datalist), keyed by
/// their codes.
struct UserPickers {
    suppliers: Vec<Choice>,
    institutions: Vec<Choice>,
}

async fn user_pickers(v: &Viewer, state: &web::Data<AppState>) -> Result<UserPickers, Error> {
    let p = v.p.clone();
    let c = run(state, move |cx| app::parties::party_choices(cx, &p)).await?;
    Ok(UserPickers {
        suppliers: pickers::party_choices_by_code(&c.suppliers),
        institutions: pickers::party_choices_by_code(&c.institutions),
    })
}

fn user_fields(v: &Viewer, f: &UserForm, pk: &UserPickers) -> Vec<Field> {
    let t = &v.t;
    let roles = Role::ALL
        .iter()
        .map(|r| (r.as_str().to_string(), role_label(t, *r)))
        .collect();
    vec![
        field(t, "username", &f.username).required(),
        field(t, "display_name", &f.display_name).required(),
        Field::select("role", t.get("field.role"), &f.role, roles),
        field(t, "password", "").kind("password").required(),
        field(t, "email", &f.email),
        Field::select(
            "supplier_uscc",
            t.get("field.supplier_uscc"),
            &f.supplier_uscc,
            pickers::options_with_blank(t, &pk.suppliers),
        ),
        Field::datalist(
            "institution_code",
            t.get("field.institution_code"),
            &pickers::label_of(&f.institution_code, &pk.institutions),
            pickers::options(&pk.institutions),
        ),
        Field::select(
            "language",
            t.get("field.language"),
            &f.language,
            vec![
                ("zh-CN".into(), "中文".into()),
                ("en".into(), "English".into()),
            ],
        ),
    ]
}

#[get("/users/new")]
async fn new_user(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let pk = user_pickers(&v, &state).await?;
    let form = record_form(&v, "/users", user_fields(&v, &UserForm::default(), &pk));
    form_page(
        &v,
        v.t.get("action.new_user"),
        form,
        Some(Link::new("/users", v.t.get("nav.users"))),
    )
}

#[post("/users")]
async fn create_user(
    v: Viewer,
    session: actix_session::Session,
    state: web::Data<AppState>,
    f: web::Form<UserForm>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let f = f.into_inner();
    let pk = user_pickers(&v, &state).await?;
    let form = record_form(&v, "/users", user_fields(&v, &f, &pk));
    let mut picked = f.clone();
    let mut errs = vec![];
    pickers::pick_into(
        "supplier_uscc",
        &pk.suppliers,
        &mut picked.supplier_uscc,
        &mut errs,
        false,
    );
    pickers::pick_into(
        "institution_code",
        &pk.institutions,
        &mut picked.institution_code,
        &mut errs,
        false,
    );
    let p = v.p.clone();
    let result = if errs.is_empty() {
        run(&state, move |cx| app::users::create(cx, &p, &picked)).await
    } else {
        let rest = picked.validate().map(|_| ());
        Err(Error::Invalid(pickers::merge(errs, rest)))
    };
    match result {
        Ok(u) => {
            crate::web::flash(
                &session,
                v.t.get("ui.flash.user_created")
                    .replace("{name}", &u.username),
            );
            Ok(view::see_other(&format!("/users/{}", u.id)))
        }
        Err(e) => form_or_error(&v, v.t.get("action.new_user"), form, e, None),
    }
}

#[get("/users/{id}")]
async fn user_page(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let t = v.t;
    let id = id.into_inner();
    let (u, tokens) = db(&state, move |c| {
        let u = users::get(c, id)?;
        let tokens: Vec<users::Token> = users::tokens(c)?
            .into_iter()
            .filter(|t| t.user_id == id)
            .collect();
        Ok((u, tokens))
    })
    .await?;
    let mut sections = vec![];
    let mut acc = Section::new(t.get("section.account"));
    let mut toggle = if u.active {
        Form::button(
            format!("/users/{id}/deactivate"),
            t.get("action.deactivate"),
        )
    } else {
        Form::button(format!("/users/{id}/activate"), t.get("action.activate"))
    };
    toggle.danger = u.active;
    acc.forms.push(toggle);
    acc.forms.push(Form::new(
        format!("/users/{id}/password"),
        t.get("action.set_password"),
        vec![field(&t, "password", "").kind("password").required()],
    ));
    sections.push(acc);
    let mut tok = Section::new(t.get("nav.tokens"));
    tok.table = Some(token_table(&v, &tokens, &[(u.id, u.username.clone())]));
    tok.forms.push(Form::new(
        "/tokens",
        t.get("action.issue_token"),
        vec![
            Field {
                kind: "hidden",
                ..Field::text("user_id", "", &id.to_string())
            },
            field(&t, "token_name", "").required(),
        ],
    ));
    sections.push(tok);
    let role = role_label(&t, u.role);
    view::ok(&DetailPage {
        chrome: v.chrome(&u.username),
        heading: format!("{} ({})", u.display_name, u.username),
        props: vec![
            (t.get("field.role").into(), role),
            (t.get("field.email").into(), u.email.clone()),
            (t.get("field.active").into(), yes_no(&t, u.active)),
            (t.get("field.language").into(), u.language.clone()),
        ],
        actions: vec![Link::new("/users", t.get("nav.users"))],
        sections,
    })
}

#[post("/users/{id}/{what}")]
async fn user_action(
    v: Viewer,
    session: actix_session::Session,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
    f: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, Error> {
    let (id, what) = path.into_inner();
    let p = v.p.clone();
    let done = match what.as_str() {
        "activate" | "deactivate" => {
            let on = what == "activate";
            run(&state, move |cx| app::users::set_active(cx, &p, id, on)).await?;
            if on {
                "ui.flash.user_activated"
            } else {
                "ui.flash.user_deactivated"
            }
        }
        "password" => {
            let pw = f
                .iter()
                .find(|(k, _)| k == "password")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            run(&state, move |cx| app::users::set_password(cx, &p, id, &pw)).await?;
            "ui.flash.password_set"
        }
        _ => {
            return Err(Error::NotFound(
                Msg::new(Code::PageNotFound).arg("detail", what),
            ))
        }
    };
    crate::web::flash(&session, v.t.get(done));
    Ok(view::see_other(&format!("/users/{id}")))
}

// ---------- API tokens ----------

fn token_table(v: &Viewer, tokens: &[users::Token], names: &[(i64, String)]) -> Table {
    let t = &v.t;
    Table {
        columns: [
            "field.username",
            "field.token_name",
            "field.prefix",
            "field.created_at",
            "field.status",
            "",
        ]
        .iter()
        .map(|k| {
            if k.is_empty() {
                String::new()
            } else {
                t.get(k).to_string()
            }
        })
        .collect(),
        rows: tokens
            .iter()
            .map(|tok| {
                let owner = names
                    .iter()
                    .find(|(id, _)| *id == tok.user_id)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default();
                let (status, action) = match tok.revoked_at {
                    Some(at) => (
                        Cell::text(format!(
                            "{} {}",
                            t.get("token.revoked"),
                            at.format("%Y-%m-%d %H:%M")
                        ))
                        .with_class("bad"),
                        Cell::text(""),
                    ),
                    None => (
                        Cell::text(t.get("token.active")).with_class("good"),
                        Cell::link(t.get("action.revoke"), format!("/tokens/{}/revoke", tok.id)),
                    ),
                };
                vec![
                    Cell::text(owner),
                    Cell::text(&tok.name),
                    Cell::text(format!("{}…", tok.prefix)),
                    Cell::text(tok.created_at.format("%Y-%m-%d %H:%M").to_string()),
                    status,
                    action,
                ]
            })
            .collect(),
    }
}

#[get("/tokens")]
async fn token_list(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let t = v.t;
    let (tokens, all) = db(&state, |c| Ok((users::tokens(c)?, users::list(c)?))).await?;
    let names: Vec<(i64, String)> = all.iter().map(|u| (u.id, u.username.clone())).collect();
    let mut s = Section::new(t.get("action.issue_token"));
    s.forms.push(token_form(&v, &all, &IssueForm::default()));
    let mut list = Section::new(t.get("nav.tokens"));
    list.table = Some(token_table(&v, &tokens, &names));
    view::ok(&DetailPage {
        chrome: v.chrome(t.get("nav.tokens")),
        heading: t.get("nav.tokens").to_string(),
        props: vec![],
        actions: vec![],
        sections: vec![s, list],
    })
}

/// The form that issues a token: the user (picked by name), the token's name; `f` as typed.
fn token_form(v: &Viewer, all: &[users::User], f: &IssueForm) -> Form {
    let t = &v.t;
    let mut options = vec![(String::new(), t.get("formui.choose").to_string())];
    options.extend(all.iter().map(|u| {
        (
            u.id.to_string(),
            format!("{} ({})", u.display_name, u.username),
        )
    }));
    Form::new(
        "/tokens",
        t.get("action.issue_token"),
        vec![
            Field::select("user_id", t.get("field.username"), &f.user_id, options).required(),
            field(t, "token_name", &f.token_name).required(),
        ],
    )
}

#[derive(Deserialize, Default)]
struct IssueForm {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    token_name: String,
}

/// Issues a token and shows its secret once; only its hash is kept.
#[post("/tokens")]
async fn issue_token(
    v: Viewer,
    state: web::Data<AppState>,
    f: web::Form<IssueForm>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let t = v.t;
    let user_id = f
        .user_id
        .trim()
        .parse::<i64>()
        .map_err(|_| Invalid::new("user_id", Code::ChooseUser));
    let name = required_text("token_name", &f.token_name, 100);
    let (user_id, name) = match (user_id, name) {
        (Ok(u), Ok(n)) => (u, n),
        (u, n) => {
            let es = [u.err(), n.err()].into_iter().flatten().collect();
            let all = db(&state, users::list).await?;
            return form_or_error(
                &v,
                t.get("action.issue_token"),
                token_form(&v, &all, &f),
                Error::Invalid(es),
                Some(Link::new("/tokens", t.get("nav.tokens"))),
            );
        }
    };
    let p = v.p.clone();
    let (tok, user, secret) = run(&state, move |cx| {
        app::users::issue_token(cx, &p, user_id, &name)
    })
    .await?;
    let mut s = Section::new(t.get("token.secret_title"));
    s.text.push(t.get("token.secret_once").to_string());
    s.text.push(secret);
    s.links
        .push(Link::new(format!("/users/{user_id}"), t.get("action.back")));
    view::ok(&DetailPage {
        chrome: v.chrome(t.get("nav.tokens")),
        heading: format!("{} · {}", t.get("action.issue_token"), tok.name),
        props: vec![
            (t.get("field.username").into(), user.username),
            (t.get("field.prefix").into(), tok.prefix),
        ],
        actions: vec![],
        sections: vec![s],
    })
}

#[get("/tokens/{id}/revoke")]
async fn confirm_revoke(v: Viewer, id: web::Path<i64>) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let id = id.into_inner();
    let mut form = Form::new(
        format!("/tokens/{id}/revoke"),
        v.t.get("action.revoke"),
        vec![],
    )
    .confirm(v.t.get("ui.revoke_token_effect"));
    // This page is the confirmation: shown open.
    form.expanded = true;
    form_page(
        &v,
        v.t.get("action.revoke_token"),
        form,
        Some(Link::new("/tokens", v.t.get("action.back"))),
    )
}

#[post("/tokens/{id}/revoke")]
async fn revoke_token(
    v: Viewer,
    session: actix_session::Session,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let id = id.into_inner();
    let p = v.p.clone();
    run(&state, move |cx| app::users::revoke_token(cx, &p, id)).await?;
    crate::web::flash(&session, v.t.get("ui.flash.token_revoked"));
    Ok(view::see_other("/tokens"))
}

/// The e-mail outbox (center staff and regulators): what is waiting and what failed after its
/// last try, with its error; center staff send a failed message again.
#[get("/outbox")]
async fn outbox_page(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let t = v.t;
    let p = v.p.clone();
    let (failed, pending) = run(&state, move |cx| {
        app::outbox::failed_and_waiting(cx, &p, 200)
    })
    .await?;
    let tz = state.config.time_zone;
    let table = |rows: &[outbox::Mail]| Table {
        columns: [
            "outbox.id",
            "outbox.recipient",
            "outbox.subject",
            "outbox.attempts",
            "outbox.next",
            "outbox.error",
        ]
        .iter()
        .map(|k| t.get(k).to_string())
        .collect(),
        rows: rows
            .iter()
            .map(|m| {
                vec![
                    Cell::num(m.id.to_string()),
                    Cell::text(&m.recipient),
                    Cell::text(&m.subject),
                    Cell::num(m.attempts.to_string()),
                    Cell::text(super::local_time(tz, m.next_attempt_at)),
                    Cell::text(m.last_error.clone().unwrap_or_default()),
                ]
            })
            .collect(),
    };
    let mut f = Section::new(t.get("outbox.failed"));
    f.table = Some(table(&failed));
    if failed.is_empty() {
        f.text.push(t.get("outbox.none_failed").into());
    }
    if v.p.can_administer() {
        for m in failed.iter().take(50) {
            f.forms.push(Form::button(
                format!("/outbox/{}/resend", m.id),
                t.get("outbox.resend").replace("{id}", &m.id.to_string()),
            ));
        }
    }
    let mut p = Section::new(t.get("outbox.pending"));
    p.table = Some(table(&pending));
    view::ok(&DetailPage {
        chrome: v.chrome(t.get("nav.outbox")),
        heading: t.get("nav.outbox").to_string(),
        props: vec![],
        actions: vec![],
        sections: vec![f, p],
    })
}

#[post("/outbox/{id}/resend")]
async fn resend_mail(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let (id, p) = (id.into_inner(), v.p.clone());
    run(&state, move |cx| app::outbox::resend(cx, &p, id)).await?;
    Ok(view::see_other("/outbox"))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(user_list)
        .service(new_user)
        .service(create_user)
        .service(user_page)
        .service(user_action)
        .service(token_list)
        .service(issue_token)
        .service(confirm_revoke)
        .service(revoke_token)
        .service(outbox_page)
        .service(resend_mail);
}
