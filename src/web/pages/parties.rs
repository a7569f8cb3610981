//! Institutions and suppliers (with licences) pages.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

use super::catalog::{form_page, ListQuery};
use super::pickers::{self, Parties};
use super::{
    admin_actions, field, list_page, new_record_page, save_form, word_options, yes_no, Listing,
};
use crate::app;
use crate::domain::catalog::{
    days_to_expiry, CreditStatus, InstitutionForm, InstitutionKind, LicenceForm, LicenceKind,
    SupplierForm, SupplierKind,
};
use crate::domain::paging::PageRequest;
use crate::domain::roles::Scope;
use crate::domain::Code;
use crate::i18n::Tr;
use crate::store::parties::Licence;
use crate::store::{parties, regions};
use crate::web::auth::Viewer;
use crate::web::view::{self, Cell, DetailPage, Field, Form, Link, Section, Table};
use crate::web::{db, run, AppState, Error};
use chrono::NaiveDate;

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
                word_options(
                    InstitutionKind::ALL,
                    |k| k.as_str(),
                    |k, l| k.label(l),
                    &t,
                    Some(t.get("word.all_kinds")),
                ),
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
        Field::select(
            "kind",
            t.get("field.kind"),
            &f.kind,
            word_options(
                InstitutionKind::ALL,
                |k| k.as_str(),
                |k, l| k.label(l),
                t,
                None,
            ),
        ),
        Field::select(
            "region_code",
            t.get("field.region_code"),
            &f.region_code,
            pickers::options_with_blank(t, &pk.regions),
        )
        .required(),
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
    let form = Form::new(
        "/institutions",
        v.t.get("action.save"),
        institution_fields(&v, &f, &pk),
    );
    save_form(
        &v,
        &state,
        v.t.get("action.new_institution"),
        form,
        picked_institution(&f, &pk),
        parties::create_institution,
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
    let t = v.t;
    let id = id.into_inner();
    let scope = institution_scope(&v, &state).await?;
    if !scope.allows(id) {
        return Err(Error::NotFound(Code::InstitutionNotFound.into()));
    }
    let (i, parent, children) = db(&state, move |c| {
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
        sections.push(s);
    }
    if v.p.can_edit_institution(id, i.parent_id) {
        let mut s = Section::new(t.get("section.contacts"));
        s.forms.push(Form::new(
            format!("/institutions/{id}/contacts"),
            t.get("action.save"),
            vec![field(&t, "emails", &i.emails)],
        ));
        sections.push(s);
    }
    let actions = if v.p.can_administer() {
        vec![Link::new(
            format!("/institutions/{id}/edit"),
            t.get("action.edit"),
        )]
    } else {
        vec![]
    };
    view::ok(&DetailPage {
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
    })
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
    let form = Form::new(
        format!("/institutions/{id}"),
        v.t.get("action.save"),
        institution_fields(&v, &f, &pk),
    );
    form_page(
        &v,
        v.t.get("action.edit"),
        form,
        Some(Link::new(
            format!("/institutions/{id}"),
            v.t.get("action.back"),
        )),
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
    let form = Form::new(
        format!("/institutions/{id}"),
        v.t.get("action.save"),
        institution_fields(&v, &f, &pk),
    );
    save_form(
        &v,
        &state,
        v.t.get("action.edit"),
        form,
        picked_institution(&f, &pk),
        move |c, act, input| parties::update_institution(c, act, id, input),
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
    let (p, emails) = (v.p.clone(), f.into_inner().emails);
    run(&state, move |cx| {
        app::parties::set_institution_contacts(cx, &p, id, &emails)
    })
    .await?;
    Ok(view::see_other(&format!("/institutions/{id}")))
}

// ---------- suppliers ----------

fn supplier_scope(v: &Viewer) -> Result<Scope, Error> {
    app::parties::supplier_scope(&v.p)
}

#[get("/suppliers")]
async fn supplier_list(
    v: Viewer,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let scope = supplier_scope(&v)?;
    let page = PageRequest::new(q.page, q.per_page);
    let kind = SupplierKind::parse("kind", &q.category).ok();
    let qs = q.q.clone();
    let result = db(&state, move |c| {
        parties::list_suppliers(c, &scope, &qs, kind, &page)
    })
    .await?;
    let rows = result
        .items
        .iter()
        .map(|s| {
            vec![
                Cell::link(&s.name, format!("/suppliers/{}", s.id)),
                Cell::text(&s.uscc),
                Cell::text(s.kind.label(t.lang)),
                Cell::text(s.credit_status.label(t.lang)),
            ]
        })
        .collect();
    list_page(
        &v,
        &q,
        &result,
        Listing {
            path: "/suppliers",
            heading: t.get("nav.suppliers"),
            columns: &[
                "field.name",
                "field.uscc",
                "field.kind",
                "field.credit_status",
            ],
            rows,
            filter: (
                t.get("field.kind"),
                word_options(
                    SupplierKind::ALL,
                    |k| k.as_str(),
                    |k, l| k.label(l),
                    &t,
                    Some(t.get("word.all_kinds")),
                ),
            ),
            actions: admin_actions(&v, &[("/suppliers/new", "action.new_supplier")]),
        },
    )
}

fn supplier_fields(v: &Viewer, f: &SupplierForm, pk: &Parties) -> Vec<Field> {
    let t = &v.t;
    vec![
        field(t, "uscc", &f.uscc).required(),
        field(t, "name", &f.name).required(),
        Field::select(
            "kind",
            t.get("field.kind"),
            &f.kind,
            word_options(
                SupplierKind::ALL,
                |k| k.as_str(),
                |k, l| k.label(l),
                t,
                None,
            ),
        ),
        Field::select(
            "region_code",
            t.get("field.region_code"),
            &f.region_code,
            pickers::options_with_blank(t, &pk.regions),
        )
        .required(),
        Field::select(
            "credit_status",
            t.get("field.credit_status"),
            &f.credit_status,
            word_options(
                CreditStatus::ALL,
                |k| k.as_str(),
                |k, l| k.label(l),
                t,
                None,
            ),
        ),
        field(t, "emails", &f.emails),
    ]
}

#[get("/suppliers/new")]
async fn new_supplier(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let pk = pickers::parties(&v, &state).await?;
    let fields = supplier_fields(&v, &SupplierForm::default(), &pk);
    new_record_page(
        &v,
        "/suppliers",
        "action.new_supplier",
        "nav.suppliers",
        fields,
    )
}

#[post("/suppliers")]
async fn create_supplier(
    v: Viewer,
    state: web::Data<AppState>,
    f: web::Form<SupplierForm>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let f = f.into_inner();
    let pk = pickers::parties(&v, &state).await?;
    let form = Form::new(
        "/suppliers",
        v.t.get("action.save"),
        supplier_fields(&v, &f, &pk),
    );
    save_form(
        &v,
        &state,
        v.t.get("action.new_supplier"),
        form,
        f.validate(),
        parties::create_supplier,
        |s| format!("/suppliers/{}", s.id),
    )
    .await
}

/// A supplier's page: visible to staff, regulators and the supplier's own users; 404 to others.
#[get("/suppliers/{id}")]
async fn supplier(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let id = id.into_inner();
    if !supplier_scope(&v)?.allows(id) {
        return Err(Error::NotFound(Code::SupplierNotFound.into()));
    }
    let today = state.today();
    let (s, lic, region) = db(&state, move |c| {
        let s = parties::get_supplier(c, id)?;
        let l = parties::licences_of(c, id)?;
        let r = regions::get(c, s.region_id)?;
        Ok((s, l, r))
    })
    .await?;
    let can_edit = v.p.can_edit_supplier(id);
    let mut sections = licence_sections(&t, id, &lic, today, can_edit);
    if can_edit {
        let mut c = Section::new(t.get("section.contacts"));
        c.forms.push(Form::new(
            format!("/suppliers/{id}/contacts"),
            t.get("action.save"),
            vec![field(&t, "emails", &s.emails)],
        ));
        sections.push(c);
    }
    if v.p.reads_everything() || v.p.supplier_id == Some(id) {
        sections.extend(super::bad_faith::bad_faith_sections(&v, &state, id).await?);
    }
    let mut actions = vec![Link::new(
        format!("/products?manufacturer_id={id}"),
        t.get("nav.products"),
    )];
    if v.p.can_administer() {
        actions.push(Link::new(
            format!("/suppliers/{id}/edit"),
            t.get("action.edit"),
        ));
    }
    view::ok(&DetailPage {
        chrome: v.chrome(&s.name),
        heading: s.name.clone(),
        props: vec![
            (t.get("field.uscc").into(), s.uscc.clone()),
            (t.get("field.kind").into(), s.kind.label(t.lang).to_string()),
            (
                t.get("field.region").into(),
                format!("{} {}", region.code, region.name(t.lang)),
            ),
            (
                t.get("field.credit_status").into(),
                s.credit_status.label(t.lang).to_string(),
            ),
            (t.get("field.emails").into(), s.emails.clone()),
        ],
        actions,
        sections,
    })
}

/// A supplier's licences with their state today, and (for who may change them) the form that
/// adds one.
fn licence_sections(
    t: &Tr,
    id: i64,
    lic: &[Licence],
    today: NaiveDate,
    can_edit: bool,
) -> Vec<Section> {
    let mut lic_section = Section::new(t.get("section.licences"));
    let mut columns: Vec<String> = [
        "field.licence_kind",
        "field.number",
        "field.expires_on",
        "field.status",
    ]
    .iter()
    .map(|k| t.get(k).to_string())
    .collect();
    if can_edit {
        columns.push(String::new());
    }
    lic_section.table = Some(Table {
        columns,
        rows: lic
            .iter()
            .map(|l| {
                let days = days_to_expiry(l.expires_on, today);
                let status = if days < 0 {
                    Cell::text(t.get("licence.expired")).with_class("bad")
                } else if days <= 30 {
                    Cell::text(
                        t.get("licence.expiring")
                            .replace("{days}", &days.to_string()),
                    )
                    .with_class("warn")
                } else {
                    Cell::text(t.get("licence.valid")).with_class("good")
                };
                let mut row = vec![
                    Cell::text(l.kind.label(t.lang)),
                    Cell::text(&l.number),
                    Cell::text(l.expires_on.to_string()),
                    status,
                ];
                if can_edit {
                    row.push(Cell::link(
                        t.get("action.remove"),
                        format!("/suppliers/{id}/licences/{}/remove", l.id),
                    ));
                }
                row
            })
            .collect(),
    });
    let mut sections = vec![lic_section];
    if can_edit {
        let mut add = Section::new(t.get("section.add_licence"));
        add.forms.push(Form::new(
            format!("/suppliers/{id}/licences"),
            t.get("action.add"),
            vec![
                Field::select(
                    "kind",
                    t.get("field.licence_kind"),
                    "",
                    word_options(LicenceKind::ALL, |k| k.as_str(), |k, l| k.label(l), t, None),
                ),
                field(t, "number", "").required(),
                field(t, "expires_on", "").kind("date").required(),
            ],
        ));
        sections.push(add);
    }
    sections
}

#[get("/suppliers/{id}/edit")]
async fn edit_supplier(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let id = id.into_inner();
    let (s, region) = db(&state, move |c| {
        let s = parties::get_supplier(c, id)?;
        let r = regions::get(c, s.region_id)?;
        Ok((s, r))
    })
    .await?;
    let f = SupplierForm {
        uscc: s.uscc,
        name: s.name,
        kind: s.kind.to_string(),
        region_code: region.code,
        credit_status: s.credit_status.to_string(),
        emails: s.emails,
    };
    let pk = pickers::parties(&v, &state).await?;
    let form = Form::new(
        format!("/suppliers/{id}"),
        v.t.get("action.save"),
        supplier_fields(&v, &f, &pk),
    );
    form_page(
        &v,
        v.t.get("action.edit"),
        form,
        Some(Link::new(
            format!("/suppliers/{id}"),
            v.t.get("action.back"),
        )),
    )
}

#[post("/suppliers/{id}")]
async fn update_supplier(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<SupplierForm>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let id = id.into_inner();
    let f = f.into_inner();
    let pk = pickers::parties(&v, &state).await?;
    let form = Form::new(
        format!("/suppliers/{id}"),
        v.t.get("action.save"),
        supplier_fields(&v, &f, &pk),
    );
    save_form(
        &v,
        &state,
        v.t.get("action.edit"),
        form,
        f.validate(),
        move |c, act, input| parties::update_supplier(c, act, id, input),
        |_| format!("/suppliers/{id}"),
    )
    .await
}

/// Refuses changes to a supplier by anyone but staff and the supplier's own users
/// (404 for another supplier's users, as if it were not there).
fn check_supplier_edit(v: &Viewer, id: i64) -> Result<(), Error> {
    app::parties::check_supplier_edit(&v.p, id)
}

#[post("/suppliers/{id}/contacts")]
async fn supplier_contacts(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<ContactsForm>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let (p, emails) = (v.p.clone(), f.into_inner().emails);
    run(&state, move |cx| {
        app::parties::set_supplier_contacts(cx, &p, id, &emails)
    })
    .await?;
    Ok(view::see_other(&format!("/suppliers/{id}")))
}

#[post("/suppliers/{id}/licences")]
async fn add_licence(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<LicenceForm>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    check_supplier_edit(&v, id)?;
    let input = f.validate()?;
    let act = state.act(&v.p.username);
    db(&state, move |c| parties::add_licence(c, &act, id, &input)).await?;
    Ok(view::see_other(&format!("/suppliers/{id}")))
}

/// Confirms before removing a licence (a GET never changes anything).
#[get("/suppliers/{id}/licences/{lid}/remove")]
async fn confirm_remove_licence(
    v: Viewer,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, Error> {
    let (id, lid) = path.into_inner();
    check_supplier_edit(&v, id)?;
    let mut form = Form::new(
        format!("/suppliers/{id}/licences/{lid}/remove"),
        v.t.get("action.remove"),
        vec![],
    );
    form.danger = true;
    form_page(
        &v,
        v.t.get("action.remove_licence"),
        form,
        Some(Link::new(
            format!("/suppliers/{id}"),
            v.t.get("action.back"),
        )),
    )
}

#[post("/suppliers/{id}/licences/{lid}/remove")]
async fn remove_licence(
    v: Viewer,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, Error> {
    let (id, lid) = path.into_inner();
    check_supplier_edit(&v, id)?;
    let act = state.act(&v.p.username);
    db(&state, move |c| parties::remove_licence(c, &act, id, lid)).await?;
    Ok(view::see_other(&format!("/suppliers/{id}")))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(institution_list)
        .service(new_institution)
        .service(create_institution)
        .service(institution)
        .service(edit_institution)
        .service(update_institution)
        .service(institution_contacts)
        .service(supplier_list)
        .service(new_supplier)
        .service(create_supplier)
        .service(supplier)
        .service(edit_supplier)
        .service(update_supplier)
        .service(supplier_contacts)
        .service(add_licence)
        .service(confirm_remove_licence)
        .service(remove_licence);
}
