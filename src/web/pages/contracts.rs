//! Contract pages: the contracts the reader may see, one contract with its committed volumes
//! and distributors, and the winner's form naming a distributor per county.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

use super::tenders::cols;
use super::yuan;
use crate::app::tenders::contracts::{self as svc, ContractView};
use crate::domain::roles::Role;
use crate::domain::{Code, Invalid};
use crate::i18n::Tr;
use crate::web::auth::Viewer;
use crate::web::view::{self, Cell, DetailPage, Field, Form, ListPage, Section, Table};
use crate::web::{run, AppState, Error};

#[get("/contracts")]
async fn contract_list(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let t = v.t;
    let p = v.p.clone();
    let lines = run(&state, move |cx| svc::list(cx, &p)).await?;
    let rows: Vec<Vec<Cell>> = lines
        .into_iter()
        .map(|l| {
            let c = l.contract;
            vec![
                Cell::link(
                    format!("{} · {}", l.drug, l.supplier),
                    format!("/contracts/{}", c.id),
                ),
                Cell::text(l.drug),
                Cell::text(l.supplier),
                Cell::num(yuan(&t, c.unit_price)),
                Cell::num(l.volume.to_string()),
                Cell::text(format!("{} – {}", c.starts_on, c.ends_on)),
            ]
        })
        .collect();
    let vol = if v.p.role == Role::Institution {
        t.get("tender.our_committed_volume")
    } else {
        t.get("tender.committed_volume")
    };
    view::ok(&ListPage {
        chrome: v.chrome(t.get("tender.contracts")),
        heading: t.get("tender.contracts").into(),
        search: None,
        actions: vec![],
        table: Table {
            columns: cols(&[
                t.get("tender.contract"),
                t.get("tender.drug"),
                t.get("tender.supplier"),
                t.get("tender.unit_price"),
                vol,
                t.get("tender.period"),
            ]),
            rows,
        },
        pager: None,
        empty: t.get("page.no_results").into(),
    })
}

#[get("/contracts/{id}")]
async fn contract_page(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let id = id.into_inner();
    let p = v.p.clone();
    let k = run(&state, move |cx| svc::contract(cx, &p, id)).await?;
    let c = &k.contract;
    let mut s = Section::new(t.get("tender.committed_volume_by_institution"));
    s.table = Some(Table {
        columns: cols(&[t.get("field.name"), t.get("tender.committed_volume")]),
        rows: k
            .allocations
            .iter()
            .map(|a| vec![Cell::text(&a.1), Cell::num(a.2.to_string())])
            .collect(),
    });
    let sections = vec![s, distributors_section(&t, &k)];
    view::ok(&DetailPage {
        chrome: v.chrome(t.get("tender.contract")),
        heading: format!(
            "{} · {} · {}",
            t.get("tender.contract"),
            k.product,
            k.supplier
        ),
        props: vec![
            (t.get("tender.product").into(), k.product.clone()),
            (t.get("tender.supplier").into(), k.supplier.clone()),
            (t.get("tender.unit_price").into(), yuan(&t, c.unit_price)),
            (
                t.get("tender.committed_volume").into(),
                c.committed_volume.to_string(),
            ),
            (
                t.get("tender.period").into(),
                format!("{} – {}", c.starts_on, c.ends_on),
            ),
            (
                t.get("tender.status").into(),
                t.get(&format!("formui.contract_{}", c.status.as_str()))
                    .to_string(),
            ),
        ],
        actions: vec![],
        sections,
    })
}

/// The distributors named per county; for the winner's user, the form naming one.
fn distributors_section(t: &Tr, k: &ContractView) -> Section {
    let mut s = Section::new(t.get("tender.distribution_enterprises_by_county"));
    s.table = Some(Table {
        columns: cols(&[t.get("tender.county"), t.get("tender.distributor")]),
        rows: k
            .distributors
            .iter()
            .map(|d| vec![Cell::text(&d.1), Cell::text(&d.3)])
            .collect(),
    });
    if k.own {
        s.forms.push(distributor_form(t, k, "", ""));
    }
    s
}

/// The winner's form naming a distributor for a county (both picked by name).
fn distributor_form(t: &Tr, k: &ContractView, county: &str, distributor: &str) -> Form {
    let options = |v: &[(i64, String)]| -> Vec<(String, String)> {
        let mut o = vec![(String::new(), t.get("formui.choose").to_string())];
        o.extend(v.iter().map(|(i, n)| (i.to_string(), n.clone())));
        o
    };
    Form::new(
        format!("/contracts/{}/distributors", k.contract.id),
        t.get("tender.name_the_distributor"),
        vec![
            Field::select(
                "county_id",
                t.get("tender.county"),
                county,
                options(&k.counties),
            )
            .required(),
            Field::select(
                "distributor_id",
                t.get("tender.distributor"),
                distributor,
                options(&k.distributor_choices),
            )
            .required(),
        ],
    )
}

#[derive(Deserialize)]
struct DistributorForm {
    #[serde(default)]
    county_id: String,
    #[serde(default)]
    distributor_id: String,
}

#[post("/contracts/{id}/distributors")]
async fn name_distributor(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<DistributorForm>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    svc::may_name_distributors(&v.p)?;
    let county = f.county_id.trim().parse::<i64>();
    let dist = f.distributor_id.trim().parse::<i64>();
    let result = match (county, dist) {
        (Ok(county), Ok(dist)) => {
            let p = v.p.clone();
            run(&state, move |cx| {
                svc::name_distributor(cx, &p, id, county, dist)
            })
            .await
            .map(|_| ())
        }
        (c, d) => Err(Error::Invalid(
            [
                c.err().map(|_| Invalid::new("county_id", Code::Required)),
                d.err()
                    .map(|_| Invalid::new("distributor_id", Code::Required)),
            ]
            .into_iter()
            .flatten()
            .collect(),
        )),
    };
    match result {
        Ok(()) => Ok(view::see_other(&format!("/contracts/{id}"))),
        Err(Error::Invalid(es)) => {
            let p = v.p.clone();
            let k = run(&state, move |cx| svc::contract(cx, &p, id)).await?;
            let t = v.t;
            super::catalog::form_or_error(
                &v,
                t.get("tender.name_the_distributor"),
                distributor_form(&t, &k, &f.county_id, &f.distributor_id),
                Error::Invalid(es),
                Some(view::Link::new(
                    format!("/contracts/{id}"),
                    k.product.clone(),
                )),
            )
        }
        Err(e) => Err(e),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(contract_list)
        .service(contract_page)
        .service(name_distributor);
}
