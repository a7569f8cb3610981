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
    let t = v.t;
    let inst = match (v.p.role, v.p.institution_id) {
        (Role::Institution, Some(i)) => i,
        _ => return Err(Error::forbidden()),
    };
    let p = v.p.clone();
    let drugs = run(&state, move |cx| orders::orderable_drugs(cx, &p)).await?;
    let kids = db(&state, move |c| {
        let me = parties::get_institution(c, inst)?;
        let kids = parties::children_of(c, inst)?;
        let mut out = vec![(me.id.to_string(), me.name)];
        for k in kids {
            out.push((k.to_string(), parties::get_institution(c, k)?.name));
        }
        Ok(out)
    })
    .await?;
    let mut options = vec![(String::new(), t.get("order.choose_drug").to_string())];
    options.extend(
        drugs
            .into_iter()
            .map(|(code, name, strength)| (code.clone(), format!("{code} · {name} {strength}"))),
    );
    let mut fields = vec![];
    if kids.len() > 1 {
        fields.push(Field::select(
            "institution_id",
            t.get("order.for_institution"),
            &inst.to_string(),
            kids,
        ));
    }
    for i in 1..=ROWS {
        fields.push(Field::select(
            &format!("drug_{i}"),
            &format!("{} {i}", t.get("order.drug")),
            "",
            options.clone(),
        ));
        fields.push(Field::text(
            &format!("quantity_{i}"),
            &format!("{} {i}", t.get("order.quantity")),
            "",
        ));
    }
    fields.push(Field::checkbox("urgent", t.get("order.urgent"), false));
    let form = Form::new("/orders", t.get("order.place"), fields);
    super::catalog::form_page(
        &v,
        t.get("order.new"),
        form,
        Some(Link::new("/orders", t.get("nav.orders"))),
    )
}

/// The basket of the posted form: rows `drug_i` / `quantity_i` (empty rows skipped), or a
/// `contract_id` with its `quantity` (the older form, checked like any line).
fn basket_of(f: &HashMap<String, String>) -> Result<Vec<BasketLine>, Error> {
    let get = |k: &str| f.get(k).map(|s| s.trim()).unwrap_or_default();
    let mut lines = vec![];
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
            Ok(q) => lines.push(BasketLine {
                item: Item::Drug(drug.to_string()),
                quantity: q.get(),
            }),
            Err(e) => errs.push(e),
        }
    }
    if errs.is_empty() {
        Ok(lines)
    } else {
        Err(Error::Invalid(errs))
    }
}

#[post("/orders")]
async fn place(
    v: Viewer,
    state: web::Data<AppState>,
    f: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, Error> {
    let f = f.into_inner();
    let institution_id = match f.get("institution_id").map(|s| s.trim()) {
        Some(s) if !s.is_empty() => Some(
            s.parse::<i64>()
                .map_err(|_| Invalid::new("institution_id", Code::InstitutionNotFound))?,
        ),
        _ => None,
    };
    let cmd = orders::PlaceOrder {
        institution_id,
        urgent: f.contains_key("urgent"),
        lines: basket_of(&f)?,
    };
    let p = v.p.clone();
    let placed = run(&state, move |cx| orders::place(cx, &p, &cmd)).await?;
    Ok(match placed.as_slice() {
        [(o, _)] => view::see_other(&format!("/orders/{}", o.id)),
        _ => view::see_other("/orders"),
    })
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(new_order).service(place);
}
