//! The institutions' pages: list, record, village clinics, contacts (suppliers: `suppliers.rs`).

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

use super::catalog::ListQuery;
use super::pickers::{self, Parties};
use super::{
    admin_actions, edit_page, field, list_page, new_record_page, record_form, save_form,
    word_field, word_options, yes_no, Listing,
};
use crate::app;
use crate::domain::catalog::{InstitutionForm, InstitutionKind};
use crate::domain::paging::PageRequest;
use crate::domain::roles::Scope;
use crate::domain::{Code, Invalid};
use crate::store::parties;
use crate::web::auth::Viewer;
use crate::web::view::{self, Cell, DetailPage, Field, Form, Link, Section, Table};
use crate::web::{db, run, AppState, Error};

// ---------- institutions ----------

/// The institutions a viewer may see; refuses roles that have none to see.
async fn institution_scope(v: &Viewer, state: &AppState) -> Result<Scope, Error> {
    let p = v.p.clone();
    db(state, move |c| Ok(app::parties::institution_scope(c, &p))).await?
}

#[get("/institutions")]
async fn institution_list(
    v: Viewer,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let scope = institution_scope(&v, &state).await?;
    let page = PageRequest::new(q.page, q.per_page);
    let kind = InstitutionKind::parse("kind", &q.category).ok();
    let qs = q.q.clone();
    let result = db(&state, move |c| {
        parties::list_institutions(c, &scope, &qs, kind, &page)
    })
    .await?;
    let rows = result
        .items
        .iter()
        .map(|i| {
            vec![
                Cell::link(&i.code, format!("/institutions/{}", i.id)),
                Cell::link(&i.name, format!("/institutions/{}", i.id)),
                Cell::text(i.kind.label(t.lang)),
                Cell::text(format!("{} {}", i.region_code, i.region_name)),
                Cell::text(if i.remote {
                    yes_no(&t, true)
                } else {
                    String::new()
                }),
            ]
        })
        .collect();
    list_page(
        &v,
        &q,
        &result,
        Listing {
            path: "/institutions",
            heading: t.get("nav.institutions"),
            columns: &[
                "field.code",
                "field.name",
                "field.kind",
                "field.region",
                "field.remote",
            ],
            rows,
            filter: (
                t.get("field.kind"),
                word_options::<InstitutionKind>(&t, Some(t.get("word.all_kinds"))),
            ),
            actions: admin_actions(&v, &[("/institutions/new", "action.new_institution")]),
        },
    )
}

fn institution_fields(v: &Viewer, f: &InstitutionForm, pk: &Parties) -> Vec<Field> {
    let t = &v.t;
    vec![
        field(t, "code", &f.code).required(),
        field(t, "name", &f.name).required(),
        word_field::<InstitutionKind>(t, "kind", &f.kind),
        pickers::region_field(t, "region_code", &f.region_code, pk).required(),
        Field::datalist(
            "parent_code",
            t.get("field.parent_code"),
            &pickers::label_of(&f.parent_code, &pk.institutions),
            pickers::options(&pk.institutions),
        ),
        Field::checkbox("remote", t.get("field.remote"), f.remote == "true"),
        field(t, "emails", &f.emails),
    ]
}

/// The form with its parent institution read back into a code (a typed name that names one
/// institution counts), then checked: every refusal at once.
fn picked_institution(
    f: &InstitutionForm,
    pk: &Parties,
) -> Result<crate::domain::catalog::InstitutionInput, Vec<crate::domain::Invalid>> {
    let mut picked = f.clone();
    let mut errs = vec![];
    pickers::pick_into(
        "parent_code",
        &pk.institutions,
        &mut picked.parent_code,
        &mut errs,
        false,
    );
    if errs.is_empty() {
        picked.validate()
    } else {
        Err(pickers::merge(errs, picked.validate().map(|_| ())))
    }
}

#[get("/institutions/new")]
async fn new_institution(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let pk = pickers::parties(&v, &state).await?;
    let fields = institution_fields(&v, &InstitutionForm::default(), &pk);
    new_record_page(
        &v,
        "/institutions",
        "action.new_institution",
        "nav.institutions",
        fields,
    )
}

#[post("/institutions")]
async fn create_institution(
    v: Viewer,
    state: web::Data<AppState>,
    f: web::Form<InstitutionForm>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let f = f.into_inner();
    let pk = pickers::parties(&v, &state).await?;
    let form = record_form(&v, "/institutions", institution_fields(&v, &f, &pk));
    save_form(
        &v,
        &state,
        v.t.get("action.new_institution"),
        form,
        picked_institution(&f, &pk),
        app::parties::create_institution,
        |i| format!("/institutions/{}", i.id),
    )
    .await
}

#[get("/institutions/{id}")]
async fn institution(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    institution_page(&v, &state, id.into_inner(), None).await
}

/// An institution's page; `refused` is the contacts form sent and refused (what was typed, what
/// was wrong), shown again with a 422.
async fn institution_page(
    v: &Viewer,
    state: &web::Data<AppState>,
    id: i64,
    refused: Option<(String, Vec<Invalid>)>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let scope = institution_scope(v, state).await?;
    if !scope.allows(id) {
        return Err(Error::NotFound(Code::InstitutionNotFound.into()));
    }
    let (i, parent, children) = db(state, move |c| {
        let i = parties::get_institution(c, id)?;
        let parent = match i.parent_id {
            Some(p) => Some(parties::get_institution(c, p)?),
            None => None,
        };
        let kids = parties::children_of(c, id)?;
        let children = parties::list_institutions(
            c,
            &Scope::Only(kids),
            "",
            None,
            &PageRequest::new(Some(1), Some(200)),
        )?;
        Ok((i, parent, children.items))
    })
    .await?;
    let mut sections = vec![];
    if !children.is_empty() {
        sections.push(clinics_section(&t, &children));
    }
    if v.p.can_edit_institution(id, i.parent_id) {
        let emails = refused.as_ref().map_or(i.emails.as_str(), |(e, _)| e);
        let errors = refused.as_ref().map(|(_, es)| es.as_slice());
        sections.push(contacts_section(
            &t,
            &format!("/institutions/{id}/contacts"),
            emails,
            errors,
        ));
    }
    let actions = if v.p.can_administer() {
        vec![Link::new(
            format!("/institutions/{id}/edit"),
            t.get("action.edit"),
        )]
    } else {
        vec![]
    };
    let status = super::refused_status(refused.is_some());
    view::render(
        status,
        &DetailPage {
            chrome: v.chrome(&i.name),
            heading: i.name.clone(),
            props: vec![
                (t.get("field.code").into(), i.code.clone()),
                (t.get("field.kind").into(), i.kind.label(t.lang).to_string()),
                (
                    t.get("field.region").into(),
                    format!("{} {}", i.region_code, i.region_name),
                ),
                (
                    t.get("field.parent").into(),
                    parent.map(|p| p.name).unwrap_or_default(),
                ),
                (t.get("field.remote").into(), yes_no(&t, i.remote)),
                (t.get("field.emails").into(), i.emails.clone()),
            ],
            actions,
            sections,
        },
    )
}

/// A township center's village clinics.
fn clinics_section(t: &crate::i18n::Tr, children: &[parties::Institution]) -> Section {
    let mut s = Section::new(t.get("section.village_clinics"));
    s.table = Some(Table {
        columns: vec![t.get("field.code").into(), t.get("field.name").into()],
        rows: children
            .iter()
            .map(|c| {
                vec![
                    Cell::link(&c.code, format!("/institutions/{}", c.id)),
                    Cell::text(&c.name),
                ]
            })
            .collect(),
    });
    s
}

/// The form of a party's contact e-mails, posted to `action`: `emails` as stored, or as typed
/// when `refused` holds what was wrong with them.
pub(super) fn contacts_section(
    t: &crate::i18n::Tr,
    action: &str,
    emails: &str,
    refused: Option<&[Invalid]>,
) -> Section {
    let mut s = Section::new(t.get("section.contacts"));
    s.push_form(
        t,
        Form::new(
            action,
            t.get("action.save"),
            vec![field(t, "emails", emails)],
        ),
        refused,
    );
    s
}

#[get("/institutions/{id}/edit")]
async fn edit_institution(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let id = id.into_inner();
    let (i, parent) = db(&state, move |c| {
        let i = parties::get_institution(c, id)?;
        let parent = match i.parent_id {
            Some(p) => Some(parties::get_institution(c, p)?.code),
            None => None,
        };
        Ok((i, parent))
    })
    .await?;
    let f = InstitutionForm {
        code: i.code,
        name: i.name,
        kind: i.kind.to_string(),
        region_code: i.region_code,
        parent_code: parent.unwrap_or_default(),
        remote: i.remote.to_string(),
        emails: i.emails,
    };
    let pk = pickers::parties(&v, &state).await?;
    edit_page(
        &v,
        format!("/institutions/{id}"),
        institution_fields(&v, &f, &pk),
        Link::new(format!("/institutions/{id}"), v.t.get("action.back")),
    )
}

#[post("/institutions/{id}")]
async fn update_institution(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<InstitutionForm>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let id = id.into_inner();
    let f = f.into_inner();
    let pk = pickers::parties(&v, &state).await?;
    save_form(
        &v,
        &state,
        v.t.get("action.edit"),
        record_form(
            &v,
            format!("/institutions/{id}"),
            institution_fields(&v, &f, &pk),
        ),
        picked_institution(&f, &pk),
        move |cx, p, input| app::parties::update_institution(cx, p, id, input),
        |_| format!("/institutions/{id}"),
    )
    .await
}

#[derive(Deserialize)]
pub struct ContactsForm {
    #[serde(default)]
    pub emails: String,
}

#[post("/institutions/{id}/contacts")]
async fn institution_contacts(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<ContactsForm>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let emails = f.into_inner().emails;
    let (p, typed) = (v.p.clone(), emails.clone());
    let result = run(&state, move |cx| {
        app::parties::set_institution_contacts(cx, &p, id, &typed)
    })
    .await;
    match result {
        Ok(_) => Ok(view::see_other(&format!("/institutions/{id}"))),
        Err(Error::Invalid(es)) => institution_page(&v, &state, id, Some((emails, es))).await,
        Err(e) => Err(e),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(institution_list)
        .service(new_institution)
        .service(create_institution)
        .service(institution)
        .service(edit_institution)
        .service(update_institution)
        .service(institution_contacts);
}
