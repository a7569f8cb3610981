//! The order form: an institution's user picks drugs (those some arrangement serves its county
//! with today) and quantities, for itself or one of its village clinics; the basket becomes one
//! order per supplier (`app::orders::place`).

use actix_web::{get, post, web, HttpResponse};
use std::collections::HashMap;

use crate::app::ordering::{BasketLine, Item};
use crate::app::orders;
use crate::domain::bounds::Quantity;
use crate::domain::roles::Role;
use crate::domain::{Code, Invalid, Msg};
use crate::store::parties;
use crate::web::auth::Viewer;
use crate::web::view::{self, Field, Form, Link};
use crate::web::{db, run, AppState, Error};

/// Rows of the basket on the form.
const ROWS: usize = 6;

#[get("/orders/new")]
async fn new_order(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let form = basket_form(&v, &state, &HashMap::new()).await?;
    super::catalog::form_page(
        &v,
        v.t.get("order.new"),
        form,
        Some(Link::new("/orders", v.t.get("nav.orders"))),
    )
}

/// The order form, showing what was typed (`typed`: the posted fields; empty for a new form).
async fn basket_form(
    v: &Viewer,
    state: &web::Data<AppState>,
    typed: &HashMap<String, String>,
) -> Result<Form, Error> {
    let t = v.t;
    let inst = match (v.p.role, v.p.institution_id) {
        (Role::Institution, Some(i)) => i,
        _ => return Err(Error::forbidden()),
    };
    let p = v.p.clone();
    let drugs = run(state, move |cx| orders::orderable_drugs(cx, &p)).await?;
    let kids = db(state, move |c| {
        let me = parties::get_institution(c, inst)?;
        let kids = parties::children_of(c, inst)?;
        let mut out = vec![(me.id.to_string(), me.name)];
        for k in kids {
            out.push((k.to_string(), parties::get_institution(c, k)?.name));
        }
        Ok(out)
    })
    .await?;
    let value = |k: &str| typed.get(k).map(String::as_str).unwrap_or_default();
    let mut options = vec![(String::new(), t.get("order.choose_drug").to_string())];
    options.extend(
        drugs
            .into_iter()
            .map(|(code, name, strength)| (code.clone(), format!("{code} · {name} {strength}"))),
    );
    let mut fields = vec![];
    if kids.len() > 1 {
        let chosen = match value("institution_id") {
            "" => inst.to_string(),
            s => s.to_string(),
        };
        fields.push(Field::select(
            "institution_id",
            t.get("order.for_institution"),
            &chosen,
            kids,
        ));
    }
    for i in 1..=ROWS {
        let (drug, qty) = (format!("drug_{i}"), format!("quantity_{i}"));
        fields.push(Field::select(
            &drug,
            &format!("{} {i}", t.get("order.drug")),
            value(&drug).trim(),
            options.clone(),
        ));
        fields.push(Field::text(
            &qty,
            &format!("{} {i}", t.get("order.quantity")),
            value(&qty),
        ));
    }
    fields.push(Field::checkbox(
        "urgent",
        t.get("order.urgent"),
        typed.contains_key("urgent"),
    ));
    Ok(Form::new("/orders", t.get("order.place"), fields))
}

/// Each basket line's form fields: (drug or contract, quantity).
type LineFields = Vec<(String, String)>;

/// The basket of the posted form: rows `drug_i` / `quantity_i` (empty rows skipped), or a
/// `contract_id` with its `quantity` (the older form, checked like any line).
/// With each line, the form's fields it came from (drug or contract, quantity), to put the
/// service's errors (`lines[i].…`) next to them.
fn basket_of(f: &HashMap<String, String>) -> Result<(Vec<BasketLine>, LineFields), Error> {
    let get = |k: &str| f.get(k).map(|s| s.trim()).unwrap_or_default();
    let mut lines = vec![];
    let mut fields = vec![];
    let mut errs = vec![];
    if let Some(k) = f.get("contract_id").filter(|s| !s.trim().is_empty()) {
        let id = k.trim().parse::<i64>().map_err(|_| {
            Invalid::new("contract_id", Msg::new(Code::NoSuchContract).arg("id", k))
        })?;
        let q = Quantity::parse("quantity", get("quantity"))?.get();
        lines.push(BasketLine {
            item: Item::Contract(id),
            quantity: q,
        });
        fields.push(("contract_id".to_string(), "quantity".to_string()));
    }
    for i in 1..=ROWS {
        let (drug, qty) = (get(&format!("drug_{i}")), get(&format!("quantity_{i}")));
        if drug.is_empty() && qty.is_empty() {
            continue;
        }
        if drug.is_empty() {
            errs.push(Invalid::new(
                format!("drug_{i}"),
                Msg::new(Code::ChooseDrug).arg("line", i),
            ));
            continue;
        }
        match Quantity::parse(&format!("quantity_{i}"), qty) {
            Ok(q) => {
                lines.push(BasketLine {
                    item: Item::Drug(drug.to_string()),
                    quantity: q.get(),
                });
                fields.push((format!("drug_{i}"), format!("quantity_{i}")));
            }
            Err(e) => errs.push(e),
        }
    }
    if errs.is_empty() {
        Ok((lines, fields))
    } else {
        Err(Error::Invalid(errs))
    }
}

/// A service's error on `lines[i].drug` / `lines[i].contract_id` / `lines[i].quantity` moved to
/// the form field that line came from.
fn to_form_field(e: Invalid, fields: &[(String, String)]) -> Invalid {
    let Some(rest) = e.field.strip_prefix("lines[") else {
        return e;
    };
    let Some((i, part)) = rest.split_once("].") else {
        return e;
    };
    match (i.parse::<usize>().ok().and_then(|i| fields.get(i)), part) {
        (Some((item, _)), "drug" | "contract_id") => Invalid::new(item.clone(), e.msg),
        (Some((_, qty)), "quantity") => Invalid::new(qty.clone(), e.msg),
        _ => e,
    }
}

#[post("/orders")]
async fn place(
    v: Viewer,
    session: actix_session::Session,
    state: web::Data<AppState>,
    f: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, Error> {
    let f = f.into_inner();
    let placed = async {
        let institution_id = match f.get("institution_id").map(|s| s.trim()) {
            Some(s) if !s.is_empty() => Some(
                s.parse::<i64>()
                    .map_err(|_| Invalid::new("institution_id", Code::InstitutionNotFound))?,
            ),
            _ => None,
        };
        let (lines, fields) = basket_of(&f)?;
        let cmd = orders::PlaceOrder {
            institution_id,
            urgent: f.contains_key("urgent"),
            lines,
        };
        let p = v.p.clone();
        run(&state, move |cx| orders::place(cx, &p, &cmd))
            .await
            .map_err(|e| match e {
                Error::Invalid(es) => {
                    Error::Invalid(es.into_iter().map(|e| to_form_field(e, &fields)).collect())
                }
                e => e,
            })
    }
    .await;
    match placed {
        Ok(placed) => {
            let n = placed.len().to_string();
            crate::web::flash(&session, v.t.get("ordui.placed").replace("{n}", &n));
            Ok(match placed.as_slice() {
                [(o, _)] => view::see_other(&format!("/orders/{}", o.id)),
                _ => view::see_other("/orders"),
            })
        }
        // Bad input: the same form again, what was typed kept, each error by its field.
        Err(Error::Invalid(errs)) if v.p.role == Role::Institution => {
            let t = v.t;
            let form = basket_form(&v, &state, &f).await?;
            let (form, errors) = form.with_errors(&t, &errs);
            view::render(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                &view::FormPage {
                    chrome: v.chrome(t.get("order.new")),
                    heading: t.get("order.new").to_string(),
                    errors,
                    form,
                    back: Some(Link::new("/orders", t.get("nav.orders"))),
                },
            )
        }
        Err(e) => Err(e),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(new_order).service(place);
}
