//! The drug catalog pages: drugs and products (spreadsheet import: `import.rs`).

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

use super::pickers::{self, Choice};
use super::{
    admin_actions, edit_page, field, list_page, new_record_page, record_form, word_field,
    word_options, yes_no, Listing,
};
use crate::app;
use crate::domain::catalog::{Category, DrugForm, ListOrigin, ProductForm, Unit};
use crate::domain::paging::PageRequest;
use crate::store::catalog::{self as cat, ProductFilter};
use crate::web::auth::Viewer;
use crate::web::view::{
    self, Cell, DetailPage, Field, Form, FormPage, Link, ListPage, Pager, Search, Section, Table,
};
use crate::web::{db, run, AppState, Error};

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub category: String,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    pub drug_id: Option<i64>,
    pub manufacturer_id: Option<i64>,
}

/// Renders a form again with what was wrong (422), or passes other errors on.
pub fn form_or_error(
    v: &Viewer,
    heading: &str,
    form: Form,
    err: Error,
    back: Option<Link>,
) -> Result<HttpResponse, Error> {
    match err {
        Error::Invalid(es) => {
            let (form, errors) = form.with_errors(&v.t, &es);
            view::render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &FormPage {
                    chrome: v.chrome(heading),
                    heading: heading.to_string(),
                    errors,
                    form,
                    back,
                },
            )
        }
        e => Err(e),
    }
}

pub fn form_page(
    v: &Viewer,
    heading: &str,
    form: Form,
    back: Option<Link>,
) -> Result<HttpResponse, Error> {
    view::ok(&FormPage {
        chrome: v.chrome(heading),
        heading: heading.to_string(),
        errors: vec![],
        form,
        back,
    })
}

// ---------- drugs ----------

#[get("/drugs")]
async fn drug_list(
    v: Viewer,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let page = PageRequest::new(q.page, q.per_page);
    let (qs, cat_filter) = (q.q.clone(), Category::parse("category", &q.category).ok());
    let result = db(&state, move |c| {
        cat::search_drugs(c, &qs, cat_filter, &page)
    })
    .await?;
    let rows = result
        .items
        .iter()
        .map(|d| {
            vec![
                Cell::link(&d.code, format!("/drugs/{}", d.id)),
                Cell::link(&d.name_zh, format!("/drugs/{}", d.id)),
                Cell::text(&d.inn),
                Cell::text(&d.dosage_form),
                Cell::text(&d.strength),
                Cell::text(d.unit.label(t.lang)),
                Cell::text(d.category.label(t.lang)),
            ]
        })
        .collect();
    list_page(
        &v,
        &q,
        &result,
        Listing {
            path: "/drugs",
            heading: t.get("nav.drugs"),
            columns: &[
                "field.code",
                "field.name_zh",
                "field.inn",
                "field.dosage_form",
                "field.strength",
                "field.unit",
                "field.category",
            ],
            rows,
            filter: (
                t.get("field.category"),
                word_options::<Category>(&t, Some(t.get("word.all_categories"))),
            ),
            actions: admin_actions(
                &v,
                &[("/drugs/new", "action.new_drug"), ("/import", "nav.import")],
            ),
        },
    )
}

fn drug_fields(v: &Viewer, f: &DrugForm) -> Vec<Field> {
    let t = &v.t;
    vec![
        field(t, "code", &f.code).required(),
        field(t, "name_zh", &f.name_zh).required(),
        field(t, "inn", &f.inn).required(),
        field(t, "dosage_form", &f.dosage_form).required(),
        field(t, "strength", &f.strength).required(),
        word_field::<Unit>(t, "unit", &f.unit),
        word_field::<ListOrigin>(t, "origin", &f.origin),
        word_field::<Category>(t, "category", &f.category),
        field(t, "atc_code", &f.atc_code),
    ]
}

#[get("/drugs/new")]
async fn new_drug(v: Viewer) -> Result<HttpResponse, Error> {
    let fields = drug_fields(&v, &DrugForm::default());
    new_record_page(&v, "/drugs", "action.new_drug", "nav.drugs", fields)
}

#[post("/drugs")]
async fn create_drug(
    v: Viewer,
    state: web::Data<AppState>,
    f: web::Form<DrugForm>,
) -> Result<HttpResponse, Error> {
    let f = f.into_inner();
    let form = record_form(&v, "/drugs", drug_fields(&v, &f));
    let p = v.p.clone();
    let result = run(&state, move |cx| app::catalog::create_drug(cx, &p, &f)).await;
    match result {
        Ok(d) => Ok(view::see_other(&format!("/drugs/{}", d.id))),
        Err(e) => form_or_error(&v, v.t.get("action.new_drug"), form, e, None),
    }
}

#[get("/drugs/{id}")]
async fn drug(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let id = id.into_inner();
    let (d, products, total) = db(&state, move |c| {
        let d = cat::get_drug(c, id)?;
        let p = cat::list_products(
            c,
            &ProductFilter {
                drug_id: Some(id),
                by_price: true,
                ..Default::default()
            },
            &PageRequest::new(Some(1), Some(200)),
        )?;
        let total = cat::reference_price_total(c, id)?;
        Ok((d, p, total))
    })
    .await?;
    let mut section = Section::new(t.get("nav.products"));
    section.table = Some(product_table(&v, &products.items));
    section.text.push(format!(
        "{}: {}",
        t.get("field.reference_total"),
        t.price(total.decimal())
    ));
    let mut actions = vec![];
    if v.p.can_administer() {
        actions.push(Link::new(format!("/drugs/{id}/edit"), t.get("action.edit")));
        actions.push(Link::new(
            format!("/products/new?drug_code={}", d.code),
            t.get("action.new_product"),
        ));
    }
    view::ok(&DetailPage {
        chrome: v.chrome(super::drug_name(&t, &d)),
        heading: format!("{} {}", super::drug_name(&t, &d), d.strength),
        props: vec![
            (t.get("field.code").into(), d.code.clone()),
            (t.get("field.inn").into(), d.inn.clone()),
            (t.get("field.dosage_form").into(), d.dosage_form.clone()),
            (t.get("field.strength").into(), d.strength.clone()),
            (t.get("field.unit").into(), d.unit.label(t.lang).to_string()),
            (
                t.get("field.origin").into(),
                d.origin.label(t.lang).to_string(),
            ),
            (
                t.get("field.category").into(),
                d.category.label(t.lang).to_string(),
            ),
            (
                t.get("field.atc_code").into(),
                d.atc_code.clone().unwrap_or_default(),
            ),
        ],
        actions,
        sections: vec![section],
    })
}

#[get("/drugs/{id}/edit")]
async fn edit_drug(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let id = id.into_inner();
    let d = db(&state, move |c| cat::get_drug(c, id)).await?;
    let f = DrugForm {
        code: d.code,
        name_zh: d.name_zh,
        inn: d.inn,
        dosage_form: d.dosage_form,
        strength: d.strength,
        unit: d.unit.to_string(),
        origin: d.origin.to_string(),
        category: d.category.to_string(),
        atc_code: d.atc_code.unwrap_or_default(),
    };
    edit_page(
        &v,
        format!("/drugs/{id}"),
        drug_fields(&v, &f),
        Link::new(format!("/drugs/{id}"), v.t.get("action.back")),
    )
}

#[post("/drugs/{id}")]
async fn update_drug(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<DrugForm>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let f = f.into_inner();
    let form = record_form(&v, format!("/drugs/{id}"), drug_fields(&v, &f));
    let p = v.p.clone();
    let result = run(&state, move |cx| app::catalog::update_drug(cx, &p, id, &f)).await;
    match result {
        Ok(_) => Ok(view::see_other(&format!("/drugs/{id}"))),
        Err(e) => form_or_error(&v, v.t.get("action.edit"), form, e, None),
    }
}

// ---------- products ----------

fn product_table(v: &Viewer, items: &[cat::Product]) -> Table {
    let t = &v.t;
    Table {
        columns: [
            "field.drug",
            "field.manufacturer",
            "field.approval_number",
            "field.units_per_package",
            "field.gtin",
            "field.consistency_passed",
            "field.reference_price",
        ]
        .iter()
        .map(|k| t.get(k).to_string())
        .collect(),
        rows: items
            .iter()
            .map(|p| {
                vec![
                    Cell::link(
                        format!("{} {}", p.drug_name, p.strength),
                        format!("/drugs/{}", p.drug_id),
                    ),
                    Cell::text(&p.manufacturer_name),
                    Cell::link(&p.approval_number, format!("/products/{}/edit", p.id)),
                    Cell::num(p.units_per_package.to_string()),
                    Cell::text(p.gtin.clone().unwrap_or_default()),
                    Cell::text(yes_no(t, p.consistency_passed || p.originator)),
                    Cell::num(
                        p.reference_price
                            .map(|m| t.price(m.decimal()))
                            .unwrap_or_default(),
                    ),
                ]
            })
            .collect(),
    }
}

#[get("/products")]
async fn product_list(
    v: Viewer,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let page = PageRequest::new(q.page, q.per_page);
    let filter = ProductFilter {
        q: q.q.clone(),
        drug_id: q.drug_id,
        manufacturer_id: q.manufacturer_id,
        by_price: false,
    };
    let result = db(&state, move |c| cat::list_products(c, &filter, &page)).await?;
    let mut actions = vec![];
    if v.p.can_administer() {
        actions.push(Link::new("/products/new", t.get("action.new_product")));
    }
    let params = [
        ("q", q.q.clone()),
        (
            "manufacturer_id",
            q.manufacturer_id.map(|i| i.to_string()).unwrap_or_default(),
        ),
        (
            "drug_id",
            q.drug_id.map(|i| i.to_string()).unwrap_or_default(),
        ),
    ];
    view::ok(&ListPage {
        chrome: v.chrome(t.get("nav.products")),
        heading: t.get("nav.products").to_string(),
        search: Some(Search {
            action: "/products".into(),
            q: q.q.clone(),
            filters: vec![],
        }),
        actions,
        pager: Some(Pager::of(&t, &result, "/products", &params)),
        table: product_table(&v, &result.items),
        empty: t.get("page.no_results").to_string(),
    })
}

/// The pickers of the product form: drugs (a datalist, keyed by code) and manufacturers (a
/// select, keyed by USCC).
pub struct ProductPickers {
    drugs: Vec<Choice>,
    makers: Vec<Choice>,
}

async fn product_pickers(v: &Viewer, state: &web::Data<AppState>) -> Result<ProductPickers, Error> {
    let (t, p) = (v.t, v.p.clone());
    let (drugs, parties) = run(state, move |cx| {
        Ok((
            app::catalog::drug_choices(cx)?,
            app::parties::party_choices(cx, &p)?,
        ))
    })
    .await?;
    Ok(ProductPickers {
        drugs: pickers::drug_choices(&t, &drugs),
        makers: pickers::party_choices_by_code(&parties.suppliers),
    })
}

/// The form as typed with the pickers read back into codes, or every refusal at once.
fn picked_product(f: &ProductForm, pk: &ProductPickers) -> Result<ProductForm, Error> {
    let mut out = f.clone();
    let mut errs = vec![];
    pickers::pick_into("drug_code", &pk.drugs, &mut out.drug_code, &mut errs, true);
    pickers::pick_into(
        "manufacturer_uscc",
        &pk.makers,
        &mut out.manufacturer_uscc,
        &mut errs,
        true,
    );
    if errs.is_empty() {
        Ok(out)
    } else {
        let rest = out.validate().map(|_| ());
        Err(Error::Invalid(pickers::merge(errs, rest)))
    }
}

fn product_fields(v: &Viewer, f: &ProductForm, pk: &ProductPickers) -> Vec<Field> {
    let t = &v.t;
    vec![
        Field::datalist(
            "drug_code",
            t.get("formui.drug"),
            &pickers::label_of(&f.drug_code, &pk.drugs),
            pickers::options(&pk.drugs),
        )
        .required(),
        Field::select(
            "manufacturer_uscc",
            t.get("field.manufacturer"),
            &f.manufacturer_uscc,
            pickers::options_with_blank(t, &pk.makers),
        )
        .required(),
        field(t, "approval_number", &f.approval_number).required(),
        field(t, "units_per_package", &f.units_per_package)
            .inputmode("numeric")
            .required(),
        field(t, "gtin", &f.gtin).inputmode("numeric"),
        Field::checkbox(
            "consistency_passed",
            t.get("field.consistency_passed"),
            f.consistency_passed == "true",
        ),
        Field::checkbox(
            "originator",
            t.get("field.originator"),
            f.originator == "true",
        ),
        field(t, "reference_price", &f.reference_price).inputmode("decimal"),
    ]
}

#[derive(Deserialize)]
struct NewProductQuery {
    #[serde(default)]
    drug_code: String,
}

#[get("/products/new")]
async fn new_product(
    v: Viewer,
    state: web::Data<AppState>,
    q: web::Query<NewProductQuery>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let pk = product_pickers(&v, &state).await?;
    let f = ProductForm {
        drug_code: q.drug_code.clone(),
        ..Default::default()
    };
    let form = record_form(&v, "/products", product_fields(&v, &f, &pk));
    form_page(
        &v,
        v.t.get("action.new_product"),
        form,
        Some(Link::new("/products", v.t.get("nav.products"))),
    )
}

#[post("/products")]
async fn create_product(
    v: Viewer,
    state: web::Data<AppState>,
    f: web::Form<ProductForm>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let f = f.into_inner();
    let pk = product_pickers(&v, &state).await?;
    let form = record_form(&v, "/products", product_fields(&v, &f, &pk));
    let p = v.p.clone();
    let result = match picked_product(&f, &pk) {
        Ok(f) => run(&state, move |cx| app::catalog::create_product(cx, &p, &f)).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => Ok(view::see_other(&format!("/drugs/{}", p.drug_id))),
        Err(e) => form_or_error(&v, v.t.get("action.new_product"), form, e, None),
    }
}

#[get("/products/{id}/edit")]
async fn edit_product(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let id = id.into_inner();
    let (p, uscc) = db(&state, move |c| {
        let p = cat::get_product(c, id)?;
        let s = crate::store::parties::get_supplier(c, p.manufacturer_id)?;
        Ok((p, s.uscc))
    })
    .await?;
    let f = ProductForm {
        drug_code: p.drug_code,
        manufacturer_uscc: uscc,
        approval_number: p.approval_number,
        units_per_package: p.units_per_package.to_string(),
        gtin: p.gtin.unwrap_or_default(),
        consistency_passed: p.consistency_passed.to_string(),
        originator: p.originator.to_string(),
        reference_price: p.reference_price.map(|m| m.to_string()).unwrap_or_default(),
    };
    let pk = product_pickers(&v, &state).await?;
    edit_page(
        &v,
        format!("/products/{id}"),
        product_fields(&v, &f, &pk),
        Link::new(format!("/drugs/{}", p.drug_id), v.t.get("action.back")),
    )
}

#[post("/products/{id}")]
async fn update_product(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<ProductForm>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let id = id.into_inner();
    let f = f.into_inner();
    let pk = product_pickers(&v, &state).await?;
    let form = record_form(&v, format!("/products/{id}"), product_fields(&v, &f, &pk));
    let p = v.p.clone();
    let result = match picked_product(&f, &pk) {
        Ok(f) => {
            run(&state, move |cx| {
                app::catalog::update_product(cx, &p, id, &f)
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => Ok(view::see_other(&format!("/drugs/{}", p.drug_id))),
        Err(e) => form_or_error(&v, v.t.get("action.edit"), form, e, None),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(drug_list)
        .service(new_drug)
        .service(create_drug)
        .service(drug)
        .service(edit_drug)
        .service(update_drug)
        .service(product_list)
        .service(new_product)
        .service(create_product)
        .service(edit_product)
        .service(update_product);
}
