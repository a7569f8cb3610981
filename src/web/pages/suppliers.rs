//! The suppliers' pages: list, record, licences (added, removed after a confirmation),
//! contacts, and the bad-faith record.

use actix_web::{get, post, web, HttpResponse};

use super::catalog::ListQuery;
use super::parties::ContactsForm;
use super::pickers::{self, Parties};
use super::{
    admin_actions, edit_page, field, list_page, new_record_page, record_form, save_form,
    word_field, word_options, Listing,
};
use crate::app;
use crate::domain::catalog::{
    days_to_expiry, CreditStatus, LicenceForm, LicenceKind, SupplierForm, SupplierKind,
};
use crate::domain::paging::PageRequest;
use crate::domain::roles::Scope;
use crate::domain::{Code, Invalid};
use crate::i18n::Tr;
use crate::store::parties::Licence;
use crate::store::{parties, regions};
use crate::web::auth::Viewer;
use crate::web::view::{self, Cell, DetailPage, Field, Form, Link, Section, Table};
use crate::web::{db, run, AppState, Error};
use actix_web::http::StatusCode;
use chrono::NaiveDate;

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
                word_options::<SupplierKind>(&t, Some(t.get("word.all_kinds"))),
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
        word_field::<SupplierKind>(t, "kind", &f.kind),
        pickers::region_field(t, "region_code", &f.region_code, pk).required(),
        word_field::<CreditStatus>(t, "credit_status", &f.credit_status),
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
    let form = record_form(&v, "/suppliers", supplier_fields(&v, &f, &pk));
    save_form(
        &v,
        &state,
        v.t.get("action.new_supplier"),
        form,
        f.validate(),
        app::parties::create_supplier,
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
    supplier_page(&v, &state, id.into_inner(), Refused::None).await
}

/// A form of the supplier's page that was refused: shown again on the page (422) with what was
/// typed and each error next to its field.
enum Refused {
    None,
    Licence(LicenceForm, Vec<Invalid>),
    Contacts(String, Vec<Invalid>),
}

impl Refused {
    /// Shows `result`'s refusal on the supplier's page, or goes back to the page when it saved.
    async fn or_saved<T>(
        v: &Viewer,
        state: &web::Data<AppState>,
        id: i64,
        result: Result<T, Error>,
        refused: impl FnOnce(Vec<Invalid>) -> Refused,
    ) -> Result<HttpResponse, Error> {
        match result {
            Ok(_) => Ok(view::see_other(&format!("/suppliers/{id}"))),
            Err(Error::Invalid(es)) => supplier_page(v, state, id, refused(es)).await,
            Err(e) => Err(e),
        }
    }
}

async fn supplier_page(
    v: &Viewer,
    state: &web::Data<AppState>,
    id: i64,
    refused: Refused,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    if !supplier_scope(v)?.allows(id) {
        return Err(Error::NotFound(Code::SupplierNotFound.into()));
    }
    let today = state.today();
    let (s, lic, region) = db(state, move |c| {
        let s = parties::get_supplier(c, id)?;
        let l = parties::licences_of(c, id)?;
        let r = regions::get(c, s.region_id)?;
        Ok((s, l, r))
    })
    .await?;
    let can_edit = v.p.can_edit_supplier(id);
    let (licence, contacts) = match &refused {
        Refused::None => (None, None),
        Refused::Licence(f, es) => (Some((f, es.as_slice())), None),
        Refused::Contacts(emails, es) => (None, Some((emails.as_str(), es.as_slice()))),
    };
    let mut sections = licence_sections(&t, id, &lic, today, can_edit, licence);
    if can_edit {
        let (emails, errors) = contacts.unwrap_or((&s.emails, &[]));
        sections.push(super::parties::contacts_section(
            &t,
            &format!("/suppliers/{id}/contacts"),
            emails,
            contacts.map(|_| errors),
        ));
    }
    if v.p.reads_everything() || v.p.supplier_id == Some(id) {
        sections.extend(super::bad_faith::bad_faith_sections(v, state, id).await?);
    }
    let status = match refused {
        Refused::None => StatusCode::OK,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
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
    view::render(
        status,
        &DetailPage {
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
        },
    )
}

/// A supplier's licences with their state today, and (for who may change them) the form that
/// adds one.
fn licence_sections(
    t: &Tr,
    id: i64,
    lic: &[Licence],
    today: NaiveDate,
    can_edit: bool,
    refused: Option<(&LicenceForm, &[Invalid])>,
) -> Vec<Section> {
    let mut lic_section = Section::new(t.get("section.licences"));
    let columns: Vec<String> = [
        "field.licence_kind",
        "field.number",
        "field.expires_on",
        "field.status",
    ]
    .iter()
    .map(|k| t.get(k).to_string())
    .collect();
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
                vec![
                    Cell::text(l.kind.label(t.lang)),
                    Cell::text(&l.number),
                    Cell::text(l.expires_on.to_string()),
                    status,
                ]
            })
            .collect(),
    });
    if can_edit {
        // Removing is irreversible: each licence's button opens its confirmation first.
        for l in lic {
            lic_section.forms.push(
                Form::button(
                    format!("/suppliers/{id}/licences/{}/remove", l.id),
                    format!("{} {}", t.get("action.remove_licence"), l.number),
                )
                .confirm(t.get("ui.remove_licence_effect")),
            );
        }
    }
    let mut sections = vec![lic_section];
    if can_edit {
        sections.push(add_licence_section(t, id, refused));
    }
    sections
}

/// The form that adds a licence: empty, or as typed with what was wrong (`refused`).
fn add_licence_section(t: &Tr, id: i64, refused: Option<(&LicenceForm, &[Invalid])>) -> Section {
    let mut add = Section::new(t.get("section.add_licence"));
    let typed = refused.map(|(f, _)| f);
    let form = Form::new(
        format!("/suppliers/{id}/licences"),
        t.get("action.add"),
        vec![
            Field::select(
                "kind",
                t.get("field.licence_kind"),
                typed.map_or("", |f| &f.kind),
                word_options::<LicenceKind>(t, None),
            ),
            field(t, "number", typed.map_or("", |f| &f.number)).required(),
            field(t, "expires_on", typed.map_or("", |f| &f.expires_on))
                .kind("date")
                .required(),
        ],
    );
    add.push_form(t, form, refused.map(|(_, es)| es));
    add
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
    edit_page(
        &v,
        format!("/suppliers/{id}"),
        supplier_fields(&v, &f, &pk),
        Link::new(format!("/suppliers/{id}"), v.t.get("action.back")),
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
    save_form(
        &v,
        &state,
        v.t.get("action.edit"),
        record_form(&v, format!("/suppliers/{id}"), supplier_fields(&v, &f, &pk)),
        f.validate(),
        move |cx, p, input| app::parties::update_supplier(cx, p, id, input),
        |_| format!("/suppliers/{id}"),
    )
    .await
}

#[post("/suppliers/{id}/contacts")]
async fn supplier_contacts(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<ContactsForm>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let emails = f.into_inner().emails;
    let (p, typed) = (v.p.clone(), emails.clone());
    let result = run(&state, move |cx| {
        app::parties::set_supplier_contacts(cx, &p, id, &typed)
    })
    .await;
    Refused::or_saved(&v, &state, id, result, |es| Refused::Contacts(emails, es)).await
}

#[post("/suppliers/{id}/licences")]
async fn add_licence(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<LicenceForm>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let f = f.into_inner();
    let (p, typed) = (v.p.clone(), f.clone());
    let result = run(&state, move |cx| {
        app::parties::add_licence(cx, &p, id, &typed)
    })
    .await;
    Refused::or_saved(&v, &state, id, result, |es| Refused::Licence(f, es)).await
}

#[post("/suppliers/{id}/licences/{lid}/remove")]
async fn remove_licence(
    v: Viewer,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, Error> {
    let (id, lid) = path.into_inner();
    let p = v.p.clone();
    run(&state, move |cx| {
        app::parties::remove_licence(cx, &p, id, lid)
    })
    .await?;
    Ok(view::see_other(&format!("/suppliers/{id}")))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(supplier_list)
        .service(new_supplier)
        .service(create_supplier)
        .service(supplier)
        .service(edit_supplier)
        .service(update_supplier)
        .service(supplier_contacts)
        .service(add_licence)
        .service(remove_licence);
}
