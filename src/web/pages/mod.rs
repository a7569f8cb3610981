//! The server-rendered pages, one module per area.

pub mod admin;
pub mod audit;
pub mod bad_faith;
pub mod bids;
pub mod catalog;
pub mod commitments;
pub mod contracts;
pub mod custody;
pub mod delivery_notes;
pub mod demand;
pub mod direct_listings;
pub mod home;
pub mod import;
pub mod lots;
pub mod objections;
pub mod ordering;
pub mod orders;
pub mod parties;
pub mod payables;
pub mod performance;
pub mod pickers;
pub mod regions;
pub mod shortage_parties;
pub mod shortages;
pub mod suppliers;
pub mod tender_sections;
pub mod tenders;

use actix_web::web;

use super::view::Field;
use crate::domain::Labelled;
use crate::i18n::Tr;

pub fn routes(cfg: &mut web::ServiceConfig) {
    home::routes(cfg);
    catalog::routes(cfg);
    import::routes(cfg);
    parties::routes(cfg);
    suppliers::routes(cfg);
    regions::routes(cfg);
    admin::routes(cfg);
    audit::routes(cfg);
    custody::tender_routes(cfg);
    tenders::routes(cfg);
    custody::routes(cfg);
    bids::routes(cfg);
    orders::routes(cfg);
    performance::routes(cfg);
    commitments::routes(cfg);
    shortages::routes(cfg);
}

/// A select of a closed set of words, labelled in the page's language (first, when given, a
/// blank choice labelled `with_blank`).
pub fn word_options<T: Labelled>(t: &Tr, with_blank: Option<&str>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = with_blank
        .map(|b| vec![(String::new(), b.to_string())])
        .unwrap_or_default();
    v.extend(
        T::ALL
            .iter()
            .map(|x| (x.as_str().to_string(), x.label(t.lang).to_string())),
    );
    v
}

/// A select of a closed set of words, labelled from the `field.NAME` string.
pub fn word_field<T: Labelled>(t: &Tr, name: &str, value: &str) -> Field {
    Field::select(
        name,
        t.get(&format!("field.{name}")),
        value,
        word_options::<T>(t, None),
    )
}

/// A table's column headings: the strings of `keys`, in order.
pub fn cols(t: &Tr, keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| t.get(k).to_string()).collect()
}

/// A field labelled from the `field.NAME` string.
pub fn field(t: &Tr, name: &str, value: &str) -> Field {
    Field::text(name, t.get(&format!("field.{name}")), value)
}

pub fn yes_no(t: &Tr, b: bool) -> String {
    t.get(if b { "word.yes" } else { "word.no" }).to_string()
}

/// A stored UTC time shown in the province's zone.
pub fn local_time(tz: chrono_tz::Tz, at: chrono::NaiveDateTime) -> String {
    at.and_utc()
        .with_timezone(&tz)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A drug's name in the reader's language: its Chinese name, or its generic name (INN) in
/// English (the Chinese name where no generic name is recorded).
pub fn drug_name<'a>(t: &Tr, d: &'a crate::store::catalog::Drug) -> &'a str {
    if t.zh() || d.inn.trim().is_empty() {
        &d.name_zh
    } else {
        &d.inn
    }
}

/// A stored amount (1/10,000 yuan) in the reader's locale: `¥1,234.50` (`Tr::price`: more
/// decimals only when the amount has them). Machine formats (CSV, JSON, a form's value) keep
/// `Money`'s own text.
pub fn yuan(t: &crate::i18n::Tr, v: i64) -> String {
    t.price(crate::domain::money::Money::from_ten_thousandths(v).decimal())
}

/// The status of a page: 422 when it shows a refused form again (with what was typed and
/// its errors), else 200.
pub fn refused_status(refused: bool) -> actix_web::http::StatusCode {
    if refused {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    }
}

/// A list page searched by `q` and filtered by one closed set of words (`category`), a page
/// at a time: drugs, institutions, suppliers. What differs between them is here; the page's
/// shape is [`list_page`]'s.
pub struct Listing<'a> {
    /// The page's path (the search form's action and the pager's base).
    pub path: &'static str,
    pub heading: &'a str,
    /// String keys of the columns' headings.
    pub columns: &'a [&'a str],
    pub rows: Vec<Vec<super::view::Cell>>,
    /// The `category` filter: its label and its options (from [`word_options`]).
    pub filter: (&'a str, Vec<(String, String)>),
    pub actions: Vec<super::view::Link>,
}

/// Renders a [`Listing`] of the page `result` asked by `q`.
pub fn list_page<T>(
    v: &super::auth::Viewer,
    q: &catalog::ListQuery,
    result: &crate::domain::paging::Page<T>,
    l: Listing,
) -> Result<actix_web::HttpResponse, super::Error> {
    use super::view::{ListPage, Pager, Search, Table};
    let t = &v.t;
    super::view::ok(&ListPage {
        chrome: v.chrome(l.heading),
        heading: l.heading.to_string(),
        search: Some(Search {
            action: l.path.into(),
            q: q.q.clone(),
            filters: vec![Field::select(
                "category",
                l.filter.0,
                &q.category,
                l.filter.1,
            )],
        }),
        actions: l.actions,
        pager: Some(Pager::of(
            t,
            result,
            l.path,
            &[("q", q.q.clone()), ("category", q.category.clone())],
        )),
        table: Table {
            columns: l.columns.iter().map(|k| t.get(k).to_string()).collect(),
            rows: l.rows,
        },
        empty: t.get("page.no_results").to_string(),
    })
}

/// The actions of a list page: `(path, label key)` for center staff, nothing for others.
pub fn admin_actions(v: &super::auth::Viewer, links: &[(&str, &str)]) -> Vec<super::view::Link> {
    if !v.p.can_administer() {
        return vec![];
    }
    links
        .iter()
        .map(|(href, key)| super::view::Link::new(*href, v.t.get(key)))
        .collect()
}

/// Saves a form center staff sent: its checked `input` through the service `save` (which
/// authorizes, and audits as the viewer in one transaction), then on to `to(saved)`; a refusal
/// shows the form again with what was wrong (422).
pub async fn save_form<I, O>(
    v: &super::auth::Viewer,
    state: &actix_web::web::Data<super::AppState>,
    heading: &str,
    form: super::view::Form,
    input: Result<I, Vec<crate::domain::Invalid>>,
    save: impl FnOnce(&crate::app::Ctx, &crate::domain::roles::Principal, &I) -> crate::app::Result<O>
        + Send
        + 'static,
    to: impl FnOnce(&O) -> String,
) -> Result<actix_web::HttpResponse, super::Error>
where
    I: Send + 'static,
    O: Send + 'static,
{
    let p = v.p.clone();
    let result = match input {
        Ok(input) => super::run(state, move |cx| save(cx, &p, &input)).await,
        Err(es) => Err(super::Error::Invalid(es)),
    };
    match result {
        Ok(o) => Ok(super::view::see_other(&to(&o))),
        Err(e) => catalog::form_or_error(v, heading, form, e, None),
    }
}

/// The form of a record's `fields`, posted to `path` with "Save".
pub fn record_form(
    v: &super::auth::Viewer,
    path: impl Into<String>,
    fields: Vec<Field>,
) -> super::view::Form {
    super::view::Form::new(path, v.t.get("action.save"), fields)
}

/// The page of the form editing a record, headed "Edit", with the link `back`.
pub fn edit_page(
    v: &super::auth::Viewer,
    path: String,
    fields: Vec<Field>,
    back: super::view::Link,
) -> Result<actix_web::HttpResponse, super::Error> {
    let form = record_form(v, path, fields);
    catalog::form_page(v, v.t.get("action.edit"), form, Some(back))
}

/// The page of an empty form for center staff: `fields` posted to `path`, headed by the string
/// `heading`, with a link back to the list (`path`, labelled by the string `list`).
pub fn new_record_page(
    v: &super::auth::Viewer,
    path: &'static str,
    heading: &str,
    list: &str,
    fields: Vec<Field>,
) -> Result<actix_web::HttpResponse, super::Error> {
    v.require_admin()?;
    let form = record_form(v, path, fields);
    let back = super::view::Link::new(path, v.t.get(list));
    catalog::form_page(v, v.t.get(heading), form, Some(back))
}
