//! Demand collection pages: the windows, one window (the province's totals for staff and
//! regulators, an institution's own reports and forms), reports by form and spreadsheet.

use actix_multipart::Multipart;
use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

use super::catalog::form_or_error;
use super::local_time;
use super::pickers::{self, Choice};
use super::tenders::{cols, parse_local};
use crate::app::tenders::demand::{
    self as svc, OwnReports, ReportOne, SheetRow, Totals, WindowDetail,
};
use crate::domain::bounds;
use crate::domain::tender::WindowStatus;
use crate::domain::{Code, Invalid, Msg};
use crate::i18n::Tr;
use crate::store::catalog::Drug;
use crate::web::auth::Viewer;
use crate::web::view::{
    self, Cell, DetailPage, Field, Form, FormPage, Link, ListPage, Section, Table,
};
use crate::web::{run, AppState, Error};
use std::collections::BTreeMap;

#[get("/demand")]
async fn demand_list(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let t = v.t;
    let tz = state.config.time_zone;
    let p = v.p.clone();
    let ws = run(&state, move |cx| svc::windows(cx, &p)).await?;
    let table = Table {
        columns: cols(&[
            t.get("tender.window"),
            t.get("tender.closes"),
            t.get("tender.status"),
        ]),
        rows: ws
            .iter()
            .map(|w| {
                vec![
                    Cell::link(&w.title, format!("/demand/{}", w.id)),
                    Cell::text(local_time(tz, w.closes_at)),
                    Cell::word(&t, w.status),
                ]
            })
            .collect(),
    };
    let actions = if v.p.can_administer() {
        vec![Link::new(
            "/demand/new",
            t.get("tender.open_a_demand_window"),
        )]
    } else {
        vec![]
    };
    view::ok(&ListPage {
        chrome: v.chrome(t.get("tender.demand_collection")),
        heading: t.get("tender.demand_collection").into(),
        search: None,
        actions,
        table,
        pager: None,
        empty: t.get("page.no_results").into(),
    })
}

#[derive(Deserialize, Default)]
struct WindowForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    closes_at: String,
}

fn window_form(t: &Tr, f: &WindowForm) -> Form {
    Form::new(
        "/demand",
        t.get("tender.open"),
        vec![
            Field::text("title", t.get("tender.title"), &f.title).required(),
            Field::text(
                "closes_at",
                t.get("tender.closes_at_province_time"),
                &f.closes_at,
            )
            .kind("datetime-local")
            .required(),
        ],
    )
}

#[get("/demand/new")]
async fn new_window(v: Viewer) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let h = v.t.get("tender.open_a_demand_window");
    view::ok(&FormPage {
        chrome: v.chrome(h),
        heading: h.into(),
        errors: vec![],
        form: window_form(&v.t, &WindowForm::default()),
        back: None,
    })
}

#[post("/demand")]
async fn create_window(
    v: Viewer,
    state: web::Data<AppState>,
    f: web::Form<WindowForm>,
) -> Result<HttpResponse, Error> {
    let h = v.t.get("tender.open_a_demand_window");
    let form = window_form(&v.t, &f);
    let p = v.p.clone();
    let result = match parse_local("closes_at", &f.closes_at, state.config.time_zone) {
        Ok(at) => {
            let title = f.title.clone();
            run(&state, move |cx| svc::open_window(cx, &p, &title, at)).await
        }
        Err(e) => {
            crate::app::tenders::may_run_tenders(&p)?;
            let title = crate::domain::demand::check_title(&f.title).err();
            Err(Error::Invalid(title.into_iter().chain([e]).collect()))
        }
    };
    match result {
        Ok(w) => Ok(view::see_other(&format!("/demand/{}", w.id))),
        Err(e) => form_or_error(&v, h, form, e, None),
    }
}

#[get("/demand/{id}")]
async fn window_page(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let id = id.into_inner();
    let tz = state.config.time_zone;
    let p = v.p.clone();
    let w = run(&state, move |cx| svc::window(cx, &p, id)).await?;
    let sections = match &w.detail {
        WindowDetail::Province(totals) => {
            let open = w.window.status == WindowStatus::Open;
            province_sections(&t, id, totals, v.p.can_administer(), open)
        }
        WindowDetail::Own(own) => {
            let drugs = if w.takes_reports {
                drug_choices(&v, &state).await?
            } else {
                vec![]
            };
            vec![own_section(&t, id, own, w.takes_reports, &drugs)]
        }
    };
    let status = if w.takes_reports {
        t.get("tender.open_2")
    } else {
        t.get("tender.closed_2")
    };
    view::ok(&DetailPage {
        chrome: v.chrome(&w.window.title),
        heading: w.window.title.clone(),
        props: vec![
            (
                t.get("tender.closes").into(),
                local_time(tz, w.window.closes_at),
            ),
            (t.get("tender.status").into(), status.into()),
        ],
        actions: vec![],
        sections,
    })
}

/// Staff and regulators: totals by drug and by county, who has not reported; staff close the
/// window and make a tender of it.
fn province_sections(
    t: &Tr,
    id: i64,
    totals: &Totals,
    admin: bool,
    window_open: bool,
) -> Vec<Section> {
    let drug = |code: &str| drug_name(t, &totals.drugs, code);
    let mut by_drug = Section::new(t.get("tender.totals_by_drug"));
    by_drug.table = Some(Table {
        columns: cols(&[
            t.get("tender.drug"),
            t.get("field.code"),
            t.get("tender.annual_quantity"),
        ]),
        rows: totals
            .by_drug
            .iter()
            .map(|r| {
                vec![
                    Cell::text(drug(&r.1)),
                    Cell::text(&r.1),
                    Cell::num(r.4.to_string()),
                ]
            })
            .collect(),
    });
    let mut by_county = Section::new(t.get("tender.totals_by_county"));
    by_county.table = Some(Table {
        columns: cols(&[
            t.get("tender.county"),
            t.get("tender.drug"),
            t.get("tender.annual_quantity"),
        ]),
        rows: totals
            .by_county
            .iter()
            .map(|r| {
                vec![
                    Cell::text(format!("{} {}", r.0, r.1)),
                    Cell::text(format!("{} ({})", drug(&r.2), r.2)),
                    Cell::num(r.4.to_string()),
                ]
            })
            .collect(),
    });
    vec![
        by_drug,
        by_county,
        not_reported_section(t, id, totals, admin, window_open),
    ]
}

/// A drug of a window as its reader's language names it ("阿莫西林 胶囊 0.25g"); its code when
/// the catalog no longer has it.
fn drug_name(t: &Tr, drugs: &BTreeMap<String, Drug>, code: &str) -> String {
    drugs
        .get(code)
        .map(|d| crate::store::names::names_of(d).label(t.zh()))
        .unwrap_or_else(|| code.to_string())
}

fn not_reported_section(
    t: &Tr,
    id: i64,
    totals: &Totals,
    admin: bool,
    window_open: bool,
) -> Section {
    let mut s = Section::new(t.get("tender.institutions_that_have_not_reported"));
    s.table = Some(Table {
        columns: cols(&[t.get("field.code"), t.get("field.name")]),
        rows: totals
            .not_reported
            .iter()
            .map(|m| {
                vec![
                    Cell::link(&m.1, format!("/institutions/{}", m.0)),
                    Cell::text(&m.2),
                ]
            })
            .collect(),
    });
    if admin && window_open {
        s.forms.push(Form::button(
            format!("/demand/{id}/close"),
            t.get("tender.close_the_window"),
        ));
    }
    if admin {
        s.links.push(Link::new(
            format!("/tenders/new?window_id={id}"),
            t.get("tender.create_a_tender_from_this_demand"),
        ));
    }
    s
}

/// An institution's user: its reports, and while the window takes reports the forms.
fn own_section(
    t: &Tr,
    id: i64,
    own: &OwnReports,
    takes_reports: bool,
    drugs: &[Choice],
) -> Section {
    let mut s = Section::new(t.get("tender.our_reports"));
    s.table = Some(Table {
        columns: cols(&[
            t.get("field.name"),
            t.get("tender.drug"),
            t.get("field.code"),
            t.get("tender.annual_quantity"),
        ]),
        rows: own
            .reports
            .iter()
            .map(|r| {
                vec![
                    Cell::text(&r.1),
                    Cell::text(drug_name(t, &own.drugs, &r.3)),
                    Cell::text(&r.3),
                    Cell::num(r.6.to_string()),
                ]
            })
            .collect(),
    });
    if takes_reports {
        s.forms
            .push(report_form(t, id, own, &ReportForm::default(), drugs));
        let mut up = Form::new(
            format!("/demand/{id}/upload"),
            t.get("tender.upload_csv_xlsx"),
            vec![Field::text(
                "file",
                t.get("tender.file_columns_institution_code_drug_code_quantity"),
                "",
            )
            .kind("file")],
        );
        up.multipart = true;
        s.forms.push(up);
    }
    s
}

#[derive(Deserialize, Default)]
struct ReportForm {
    #[serde(default)]
    institution_id: String,
    #[serde(default)]
    drug_code: String,
    #[serde(default)]
    quantity: String,
}

/// The catalog's drugs as a picker offers them (keyed by code).
async fn drug_choices(v: &Viewer, state: &web::Data<AppState>) -> Result<Vec<Choice>, Error> {
    let drugs = run(state, crate::app::catalog::drug_choices).await?;
    Ok(pickers::drug_choices(&v.t, &drugs))
}

/// The form of one report: which of the user's institutions, the drug (picked by name), the
/// quantity; `f` is what was typed.
fn report_form(t: &Tr, id: i64, own: &OwnReports, f: &ReportForm, drugs: &[Choice]) -> Form {
    let names: Vec<(String, String)> = own
        .institutions
        .iter()
        .map(|(i, n)| (i.to_string(), n.clone()))
        .collect();
    let chosen = if f.institution_id.is_empty() {
        names.first().map(|n| n.0.clone()).unwrap_or_default()
    } else {
        f.institution_id.clone()
    };
    Form::new(
        format!("/demand/{id}/report"),
        t.get("tender.report"),
        vec![
            Field::select("institution_id", t.get("field.name"), &chosen, names),
            Field::datalist(
                "drug_code",
                t.get("formui.drug"),
                &pickers::label_of(&f.drug_code, drugs),
                pickers::options(drugs),
            )
            .required(),
            Field::text(
                "quantity",
                t.get("tender.annual_quantity_units_of_use"),
                &f.quantity,
            )
            .inputmode("numeric")
            .required(),
        ],
    )
}

#[post("/demand/{id}/report")]
async fn report(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<ReportForm>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    svc::may_report(&v.p)?;
    let f = f.into_inner();
    let drugs = drug_choices(&v, &state).await?;
    let mut errs = vec![];
    let mut code = f.drug_code.clone();
    pickers::pick_into("drug_code", &drugs, &mut code, &mut errs, true);
    let quantity = bounds::whole("quantity", &f.quantity, bounds::DEMAND)
        .map_err(|e| errs.push(e))
        .unwrap_or(0);
    let institution_id = if f.institution_id.trim().is_empty() {
        None
    } else {
        match f.institution_id.trim().parse::<i64>() {
            Ok(i) => Some(i),
            Err(_) => {
                errs.push(Invalid::new("institution_id", Code::Required));
                None
            }
        }
    };
    let result = if errs.is_empty() {
        let cmd = ReportOne {
            institution_id,
            drug_code: code,
            quantity,
        };
        let p = v.p.clone();
        run(&state, move |cx| svc::report(cx, &p, id, &cmd)).await
    } else {
        Err(Error::Invalid(errs))
    };
    match result {
        Ok(()) => Ok(view::see_other(&format!("/demand/{id}"))),
        Err(Error::Invalid(es)) => {
            let p = v.p.clone();
            let w = run(&state, move |cx| svc::window(cx, &p, id)).await?;
            let WindowDetail::Own(own) = &w.detail else {
                return Err(Error::Invalid(es));
            };
            let form = report_form(&v.t, id, own, &f, &drugs);
            let back = Link::new(format!("/demand/{id}"), w.window.title.clone());
            form_or_error(
                &v,
                &format!("{} · {}", t_report(&v.t), w.window.title),
                form,
                Error::Invalid(es),
                Some(back),
            )
        }
        Err(e) => Err(e),
    }
}

fn t_report(t: &Tr) -> &'static str {
    t.get("tender.report")
}

/// Reads demand rows from a spreadsheet: institution_code (default: the uploader's), drug_code, quantity.
pub fn demand_table_rows(
    table: &[Vec<String>],
    default_inst: &str,
) -> Result<Vec<SheetRow>, Vec<Invalid>> {
    let Some(header) = table.first() else {
        return Err(vec![Invalid::new("file", Code::DemandFileEmpty)]);
    };
    let find = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let inst = find(&["institution_code", "机构编码"]);
    let missing = |column: &str| {
        vec![Invalid::new(
            "header",
            Msg::new(Code::DemandFileMissingColumn).arg("column", column),
        )]
    };
    let drug = find(&["drug_code", "药品编码"]).ok_or_else(|| missing("drug_code"))?;
    let qty = find(&["quantity", "数量", "年需求量"]).ok_or_else(|| missing("quantity"))?;
    let mut out = vec![];
    let mut errs = vec![];
    for (i, row) in table.iter().enumerate().skip(1) {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |j: usize| row.get(j).map(|s| s.trim().to_string()).unwrap_or_default();
        let ic = inst
            .map(cell)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| default_inst.to_string());
        match bounds::whole(
            &format!("row {} quantity", i + 1),
            &cell(qty),
            bounds::DEMAND,
        ) {
            Ok(q) => out.push((i + 1, ic, cell(drug), q)),
            Err(e) => errs.push(e),
        }
    }
    if out.is_empty() && errs.is_empty() {
        errs.push(Invalid::new("file", Code::DemandFileNoRows));
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(errs)
    }
}

#[post("/demand/{id}/upload")]
async fn upload(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    mp: Multipart,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    // Who sends it and where are checked before the file is read: nobody uploads to a window
    // that is not there or not open (the write checks it again, in its transaction).
    let p = v.p.clone();
    let own_code = run(&state, move |cx| svc::check_upload(cx, &p, id)).await?;
    let (name, bytes) = super::import::read_upload(mp).await?;
    let table = super::import::parse_upload(name, bytes).await?;
    let rows = demand_table_rows(&table, &own_code)?;
    let p = v.p.clone();
    run(&state, move |cx| svc::import(cx, &p, id, &rows)).await?;
    Ok(view::see_other(&format!("/demand/{id}")))
}

#[post("/demand/{id}/close")]
async fn close_window(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let p = v.p.clone();
    run(&state, move |cx| svc::close_window(cx, &p, id)).await?;
    Ok(view::see_other(&format!("/demand/{id}")))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(demand_list)
        .service(new_window)
        .service(create_window)
        .service(window_page)
        .service(report)
        .service(upload)
        .service(close_window);
}
