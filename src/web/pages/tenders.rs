//! Tender pages: demand collection, tenders and lots, sealed bids and their receipts, review
//! and scores, openings, award and objections, contracts and distributors, and the public
//! results page.
#![allow(clippy::type_complexity)] // row tuples mirror the SELECT lists they are read from

use actix_multipart::Multipart;
use actix_session::Session;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;

use super::catalog::form_or_error;
use super::{local_time, money};
use crate::domain::award::{AwardPolicy, MultiParams, PolicyKind};
use crate::domain::bounds;
use crate::domain::money::Money;
use crate::domain::roles::{Role, Scope};
use crate::domain::tender::{TenderAction, TenderState, WindowStatus};
use crate::domain::{Code, Invalid, Msg};
use crate::i18n::Tr;
use crate::store::tenders::{self as ts, LotSpec, TenderSpec};
use crate::store::{catalog, parties};
use crate::web::auth::{anon_chrome, csrf_token, language, Viewer};
use crate::web::bid_api::own_bidder;
use crate::web::view::{
    self, Cell, DetailPage, Field, Form, FormPage, Link, ListPage, Section, Table,
};
use crate::web::{db, institution_scope, AppState, Error};

/// Reads a date-and-time typed in the province's zone ("2026-12-01 17:00", "2026-12-01T17:00"
/// or a bare date, meaning the end of that day).
pub fn parse_local(field: &str, s: &str, tz: Tz) -> Result<chrono::DateTime<Utc>, Invalid> {
    let s = s.trim();
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M"))
        .or_else(|_| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(23, 59, 59).expect("valid time"))
        })
        .map_err(|_| {
            let shown: String = s.chars().take(40).collect();
            Invalid::new(field, Msg::new(Code::NotALocalDateTime).arg("value", shown))
        })?;
    crate::domain::date_in_window(field, naive.date())?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(|| Invalid::new(field, Code::TimeNotInProvinceZone))
}

/// Why the technical review failed a bid, in the reader's language.
pub(super) fn reasons(t: &Tr, b: &ts::Bid) -> String {
    b.reason_msgs()
        .iter()
        .map(|m| t.msg(m))
        .collect::<Vec<_>>()
        .join("; ")
}

pub(super) fn state_label(t: &Tr, s: TenderState) -> &'static str {
    use TenderState as S;
    match s {
        S::Draft => t.get("tender.draft"),
        S::Open => t.get("tender.open_for_bids"),
        S::Closed => t.get("tender.closed"),
        S::TechnicalOpened => t.get("tender.technical_envelopes_opened"),
        S::TechnicalPublished => t.get("tender.technical_results_published"),
        S::CommercialOpened => t.get("tender.price_envelopes_opened"),
        S::Provisional => t.get("tender.provisional_award_objection_window"),
        S::Awarded => t.get("tender.awarded"),
        S::Contracted => t.get("tender.contracted"),
        S::Cancelled => t.get("tender.cancelled"),
    }
}

pub(super) fn policy_label(t: &Tr, p: PolicyKind) -> &'static str {
    match p {
        PolicyKind::LowestPrice => t.get("tender.lowest_price"),
        PolicyKind::MultipleWinners => t.get("tender.multiple_winners"),
        PolicyKind::CompositeScore => t.get("tender.composite_score"),
    }
}

pub(super) fn cols(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

// ---------- demand collection ----------

#[get("/demand")]
async fn demand_list(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let t = v.t;
    if !(v.p.reads_everything() || v.p.role == Role::Institution) {
        return Err(Error::forbidden());
    }
    let tz = state.config.time_zone;
    let ws = db(&state, ts::windows).await?;
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
                    Cell::text(w.status.as_str()),
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
    v.require_admin()?;
    let h = v.t.get("tender.open_a_demand_window");
    let form = window_form(&v.t, &f);
    let tz = state.config.time_zone;
    let act = state.act(&v.p.username);
    let title = f.title.clone();
    let result = match (
        crate::domain::required_text("title", &title, 200),
        parse_local("closes_at", &f.closes_at, tz),
    ) {
        (Ok(title), Ok(at)) => {
            let province = db(&state, |c| {
                Ok(crate::store::regions::all(c)?
                    .into_iter()
                    .find(|r| r.parent_id.is_none())
                    .map(|r| r.id))
            })
            .await?;
            let region =
                province.ok_or_else(|| Error::Conflict(Code::DemandWindowNeedsProvince.into()))?;
            db(&state, move |c| {
                ts::open_window(c, &act, &title, region, at)
            })
            .await
        }
        (a, b) => Err(Error::Invalid(a.err().into_iter().chain(b.err()).collect())),
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
    let w = db(&state, move |c| ts::window(c, id)).await?;
    let mut sections = vec![];
    let open =
        w.status == WindowStatus::Open && w.closes_at > crate::store::micros(state.clock.now());
    if v.p.reads_everything() {
        let (totals, by_region, missing) = db(&state, move |c| {
            Ok((
                ts::demand_totals(c, id)?,
                ts::demand_by_region(c, id)?,
                ts::not_reported(c, id)?,
            ))
        })
        .await?;
        let mut s = Section::new(t.get("tender.totals_by_drug"));
        s.table = Some(Table {
            columns: cols(&[
                t.get("field.code"),
                t.get("field.name_zh"),
                t.get("field.strength"),
                t.get("tender.annual_quantity"),
            ]),
            rows: totals
                .iter()
                .map(|r| {
                    vec![
                        Cell::text(&r.1),
                        Cell::text(&r.2),
                        Cell::text(&r.3),
                        Cell::num(r.4.to_string()),
                    ]
                })
                .collect(),
        });
        sections.push(s);
        let mut s = Section::new(t.get("tender.totals_by_county"));
        s.table = Some(Table {
            columns: cols(&[
                t.get("tender.county"),
                t.get("tender.drug"),
                t.get("tender.annual_quantity"),
            ]),
            rows: by_region
                .iter()
                .map(|r| {
                    vec![
                        Cell::text(format!("{} {}", r.0, r.1)),
                        Cell::text(format!("{} {}", r.2, r.3)),
                        Cell::num(r.4.to_string()),
                    ]
                })
                .collect(),
        });
        sections.push(s);
        let mut s = Section::new(t.get("tender.institutions_that_have_not_reported"));
        s.table = Some(Table {
            columns: cols(&[t.get("field.code"), t.get("field.name")]),
            rows: missing
                .iter()
                .map(|m| {
                    vec![
                        Cell::link(&m.1, format!("/institutions/{}", m.0)),
                        Cell::text(&m.2),
                    ]
                })
                .collect(),
        });
        if v.p.can_administer() && w.status == WindowStatus::Open {
            s.forms.push(Form::button(
                format!("/demand/{id}/close"),
                t.get("tender.close_the_window"),
            ));
        }
        if v.p.can_administer() {
            s.links.push(Link::new(
                format!("/tenders/new?window_id={id}"),
                t.get("tender.create_a_tender_from_this_demand"),
            ));
        }
        sections.push(s);
    } else if v.p.role == Role::Institution {
        let scope = institution_scope(&state, &v.p).await?;
        let ids = match &scope {
            Scope::Only(ids) => ids.clone(),
            Scope::All => vec![],
        };
        let ids2 = ids.clone();
        let (mine, names) = db(&state, move |c| {
            let mut names = vec![];
            for i in &ids2 {
                let inst = parties::get_institution(c, *i)?;
                names.push((inst.id.to_string(), format!("{} {}", inst.code, inst.name)));
            }
            Ok((ts::reports_of(c, id, &ids2)?, names))
        })
        .await?;
        let mut s = Section::new(t.get("tender.our_reports"));
        s.table = Some(Table {
            columns: cols(&[
                t.get("field.name"),
                t.get("tender.drug"),
                t.get("field.strength"),
                t.get("tender.annual_quantity"),
            ]),
            rows: mine
                .iter()
                .map(|r| {
                    vec![
                        Cell::text(&r.1),
                        Cell::text(format!("{} {}", r.3, r.4)),
                        Cell::text(&r.5),
                        Cell::num(r.6.to_string()),
                    ]
                })
                .collect(),
        });
        if open {
            let first = names.first().map(|n| n.0.clone()).unwrap_or_default();
            s.forms.push(Form::new(
                format!("/demand/{id}/report"),
                t.get("tender.report"),
                vec![
                    Field::select("institution_id", t.get("field.name"), &first, names),
                    Field::text("drug_code", t.get("tender.drug_code"), "").required(),
                    Field::text("quantity", t.get("tender.annual_quantity_units_of_use"), "")
                        .required(),
                ],
            ));
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
        sections.push(s);
    } else {
        return Err(Error::forbidden());
    }
    view::ok(&DetailPage {
        chrome: v.chrome(&w.title),
        heading: w.title.clone(),
        props: vec![
            (t.get("tender.closes").into(), local_time(tz, w.closes_at)),
            (
                t.get("tender.status").into(),
                if open {
                    t.get("tender.open_2").into()
                } else {
                    t.get("tender.closed_2").into()
                },
            ),
        ],
        actions: vec![],
        sections,
    })
}

#[derive(Deserialize)]
struct ReportForm {
    institution_id: Option<i64>,
    #[serde(default)]
    drug_code: String,
    #[serde(default)]
    quantity: String,
}

#[post("/demand/{id}/report")]
async fn report(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<ReportForm>,
) -> Result<HttpResponse, Error> {
    if v.p.role != Role::Institution {
        return Err(Error::forbidden());
    }
    let id = id.into_inner();
    let scope = institution_scope(&state, &v.p).await?;
    let inst = f
        .institution_id
        .or(v.p.institution_id)
        .ok_or_else(Error::forbidden)?;
    if !scope.allows(inst) {
        return Err(Error::Forbidden(Code::ReportOnlyOwnInstitutions.into()));
    }
    let q = bounds::whole("quantity", &f.quantity, bounds::DEMAND)?;
    let code = f.drug_code.trim().to_string();
    let act = state.act(&v.p.username);
    db(&state, move |c| {
        let d = catalog::drug_by_code(c, &code)?.ok_or_else(|| {
            Invalid::new(
                "drug_code",
                Msg::new(Code::NoDrugWithCode).arg("code", &code),
            )
        })?;
        ts::report_demand(c, &act, id, inst, d.id, q)
    })
    .await?;
    Ok(view::see_other(&format!("/demand/{id}")))
}

/// Reads demand rows from a spreadsheet: institution_code (default: the uploader's), drug_code, quantity.
pub fn demand_table_rows(
    table: &[Vec<String>],
    default_inst: &str,
) -> Result<Vec<(usize, String, String, i64)>, Vec<Invalid>> {
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
    if v.p.role != Role::Institution {
        return Err(Error::forbidden());
    }
    let id = id.into_inner();
    let own = v.p.institution_id.ok_or_else(Error::forbidden)?;
    let scope = institution_scope(&state, &v.p).await?;
    // The window is checked before the file is read: nobody uploads to a window that is not
    // there or not open (the write checks it again, in its transaction).
    let now = state.act(&v.p.username).stamp();
    let (own_code, w) = db(&state, move |c| {
        Ok((parties::get_institution(c, own)?.code, ts::window(c, id)?))
    })
    .await?;
    if w.status != WindowStatus::Open || w.closes_at <= now {
        return Err(Invalid::new("window", Code::DemandWindowClosed).into());
    }
    let (name, bytes) = super::catalog::read_upload(mp).await?;
    let table = super::catalog::parse_upload(name, bytes).await?;
    let rows = demand_table_rows(&table, &own_code)?;
    let act = state.act(&v.p.username);
    db(&state, move |c| {
        ts::import_demand(c, &act, id, &scope, &rows)
    })
    .await?;
    Ok(view::see_other(&format!("/demand/{id}")))
}

#[post("/demand/{id}/close")]
async fn close_window(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let id = id.into_inner();
    let act = state.act(&v.p.username);
    db(&state, move |c| ts::close_window(c, &act, id)).await?;
    Ok(view::see_other(&format!("/demand/{id}")))
}

// ---------- tenders ----------

fn may_see(v: &Viewer, t: &ts::Tender) -> bool {
    crate::app::tenders::may_see(&v.p, t)
}

#[get("/tenders")]
async fn tender_list(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let t = v.t;
    let tz = state.config.time_zone;
    let now = state.clock.now();
    let all = db(&state, ts::tenders_list).await?;
    let table = Table {
        columns: cols(&[
            t.get("tender.tender"),
            t.get("tender.bid_deadline"),
            t.get("tender.state"),
        ]),
        rows: all
            .iter()
            .filter(|x| may_see(&v, x))
            .map(|x| {
                vec![
                    Cell::link(&x.title, format!("/tenders/{}", x.id)),
                    Cell::text(local_time(tz, x.bid_deadline)),
                    Cell::text(state_label(&t, ts::effective_state(x, now))),
                ]
            })
            .collect(),
    };
    let actions = if v.p.can_administer() {
        vec![Link::new("/tenders/new", t.get("tender.new_tender"))]
    } else {
        vec![]
    };
    view::ok(&ListPage {
        chrome: v.chrome(t.get("tender.tenders")),
        heading: t.get("tender.tenders").into(),
        search: None,
        actions,
        table,
        pager: None,
        empty: t.get("page.no_results").into(),
    })
}

#[derive(Deserialize, Default)]
pub struct TenderForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub window_id: String,
    #[serde(default)]
    pub bid_deadline: String,
    #[serde(default)]
    pub contract_months: String,
    #[serde(default)]
    pub lots: String,
}

/// Reads one lot per line: `drug code, maximum unit price, policy[, minimum bidders[,
/// consistency yes/no[, agreed share %[, technical weight %]]]]`.
pub fn parse_lot_lines(
    text: &str,
    drug_ids: &BTreeMap<String, i64>,
) -> Result<Vec<LotSpec>, Vec<Invalid>> {
    let mut out = vec![];
    let mut errs = vec![];
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split([',', '，', ';', '\t']).map(str::trim).collect();
        // Every refusal names the line; a refused value is shown as typed (shortened).
        let bad = |code: Code| Msg::new(code).arg("line", n + 1);
        let typed = |s: &str| {
            let mut v: String = s.chars().take(40).collect();
            if s.chars().count() > 40 {
                v.push('…');
            }
            v
        };
        let Some(&drug_id) = drug_ids.get(f[0]) else {
            errs.push(Invalid::new(
                "lots",
                bad(Code::LotLineUnknownDrug).arg("code", typed(f[0])),
            ));
            continue;
        };
        let max = match f.get(1).map(|p| Money::parse_positive("max_unit_price", p)) {
            Some(Ok(m)) => m,
            Some(Err(_)) => {
                errs.push(Invalid::new(
                    "lots",
                    bad(Code::LotLineMaxPrice)
                        .arg("value", typed(f[1]))
                        .arg("max", Money::MAX_ENTERED),
                ));
                continue;
            }
            None => {
                errs.push(Invalid::new("lots", bad(Code::LotLineMissingPrice)));
                continue;
            }
        };
        let weight_refused = |s: &str| {
            Invalid::new(
                "lots",
                bad(Code::LotLineTechnicalWeight).arg("value", typed(s)),
            )
        };
        let tech: Decimal = match f.get(6).filter(|s| !s.is_empty()) {
            None => Decimal::from(40),
            Some(s) => match bounds::parse_percent("technical_weight", s) {
                Ok(p) => p,
                Err(_) => {
                    errs.push(weight_refused(s));
                    continue;
                }
            },
        } / Decimal::ONE_HUNDRED;
        let policy = match f.get(2).copied().unwrap_or("lowest_price") {
            "" | "lowest_price" => AwardPolicy::LowestPrice,
            "multiple_winners" => AwardPolicy::MultipleWinners(MultiParams::default()),
            "composite_score" => AwardPolicy::CompositeScore {
                technical_weight: tech,
                price_weight: Decimal::ONE - tech,
            },
            other => {
                errs.push(Invalid::new(
                    "lots",
                    bad(Code::LotLineUnknownPolicy)
                        .arg("value", typed(other))
                        .arg("words", "lowest_price, multiple_winners, composite_score"),
                ));
                continue;
            }
        };
        // The weights come from the one typed percentage (the price's is what is left), so a
        // refused policy is a refused technical weight.
        if policy.validate().is_err() {
            errs.push(weight_refused(f.get(6).copied().unwrap_or("40")));
            continue;
        }
        let min: i32 = match f.get(3).filter(|s| !s.is_empty()) {
            None => 2,
            Some(s) => match bounds::whole("min_bidders", s, bounds::BIDDERS) {
                Ok(m) => m as i32,
                Err(_) => {
                    errs.push(Invalid::new(
                        "lots",
                        bad(Code::LotLineMinBidders)
                            .arg("value", typed(s))
                            .arg("min", bounds::BIDDERS.start())
                            .arg("max", bounds::BIDDERS.end()),
                    ));
                    continue;
                }
            },
        };
        let consistency = !matches!(f.get(4).map(|s| s.to_ascii_lowercase()), Some(ref s) if s == "no" || s == "否" || s == "false");
        let share = match f.get(5).filter(|s| !s.is_empty()) {
            None => 7000,
            Some(s) => match bounds::parse_percent("agreed_share", s) {
                Ok(p) if p > Decimal::ZERO => (p * Decimal::ONE_HUNDRED)
                    .round()
                    .try_into()
                    .unwrap_or(7000),
                _ => {
                    errs.push(Invalid::new(
                        "lots",
                        bad(Code::LotLineAgreedShare).arg("value", typed(s)),
                    ));
                    continue;
                }
            },
        };
        out.push(LotSpec {
            drug_id,
            max_unit_price: max,
            min_bidders: min,
            consistency_required: consistency,
            policy,
            agreed_share_bp: share,
        });
    }
    if out.is_empty() && errs.is_empty() {
        errs.push(Invalid::new("lots", Code::Required));
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(errs)
    }
}

fn tender_form(t: &Tr, f: &TenderForm, windows: Vec<(String, String)>) -> Form {
    Form::new(
        "/tenders",
        t.get("tender.create_draft"),
        vec![
            Field::text("title", t.get("tender.title"), &f.title).required(),
            Field::select(
                "window_id",
                t.get("tender.demand_window"),
                &f.window_id,
                windows,
            ),
            Field::text(
                "bid_deadline",
                t.get("tender.bid_deadline_province_time"),
                &f.bid_deadline,
            )
            .kind("datetime-local")
            .required(),
            Field::text(
                "contract_months",
                t.get("tender.contract_months"),
                if f.contract_months.is_empty() {
                    "12"
                } else {
                    &f.contract_months
                },
            ),
            Field::text(
                "lots",
                t.get("tender.lots_one_per_line_drug_code_maximum_unit_price_p"),
                &f.lots,
            )
            .kind("textarea"),
        ],
    )
}

#[derive(Deserialize)]
struct NewTenderQuery {
    window_id: Option<i64>,
}

#[get("/tenders/new")]
async fn new_tender(
    v: Viewer,
    state: web::Data<AppState>,
    q: web::Query<NewTenderQuery>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let h = v.t.get("tender.new_tender");
    let (ws, lines) = db(&state, move |c| {
        let ws = ts::windows(c)?;
        let wid = q.window_id.or(ws.first().map(|w| w.id));
        let lines = match wid {
            Some(w) => ts::demand_totals(c, w)?
                .iter()
                .map(|d| format!("{}, , lowest_price, 2, yes, 70", d.1))
                .collect::<Vec<_>>()
                .join("\n"),
            None => String::new(),
        };
        Ok((
            ws.into_iter()
                .map(|w| (w.id.to_string(), w.title))
                .collect::<Vec<_>>(),
            lines,
        ))
    })
    .await?;
    let f = TenderForm {
        lots: lines,
        window_id: ws.first().map(|w| w.0.clone()).unwrap_or_default(),
        ..Default::default()
    };
    view::ok(&FormPage {
        chrome: v.chrome(h),
        heading: h.into(),
        errors: vec![],
        form: tender_form(&v.t, &f, ws),
        back: None,
    })
}

#[post("/tenders")]
async fn create_tender(
    v: Viewer,
    state: web::Data<AppState>,
    f: web::Form<TenderForm>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let h = v.t.get("tender.new_tender");
    let f = f.into_inner();
    let tz = state.config.time_zone;
    let windows = db(&state, |c| {
        Ok(ts::windows(c)?
            .into_iter()
            .map(|w| (w.id.to_string(), w.title))
            .collect::<Vec<_>>())
    })
    .await?;
    let form = tender_form(&v.t, &f, windows);
    let act = state.act(&v.p.username);
    let objection_days = state.config.objection_days as i32;
    let result = async {
        let mut errs = vec![];
        let window_id: i64 = f
            .window_id
            .trim()
            .parse()
            .map_err(|_| Invalid::new("window_id", Code::Required))?;
        let deadline = parse_local("bid_deadline", &f.bid_deadline, tz)
            .map_err(|e| errs.push(e))
            .ok();
        let months = bounds::whole("contract_months", &f.contract_months, bounds::MONTHS)
            .map(|m| m as i32)
            .map_err(|e| errs.push(e))
            .ok();
        let totals = db(&state, move |c| ts::demand_totals(c, window_id)).await?;
        let ids: BTreeMap<String, i64> = totals.iter().map(|d| (d.1.clone(), d.0)).collect();
        let lots = parse_lot_lines(&f.lots, &ids)
            .map_err(|e| errs.extend(e))
            .ok();
        let (Some(deadline), Some(months), Some(lots), true) =
            (deadline, months, lots, errs.is_empty())
        else {
            return Err(Error::Invalid(errs));
        };
        let region_id = db(&state, move |c| Ok(ts::window(c, window_id)?.region_id)).await?;
        let spec = TenderSpec {
            title: f.title.clone(),
            region_id,
            window_id,
            bid_deadline: deadline,
            objection_days,
            contract_months: months,
            lots,
        };
        let master = state.master.clone();
        db(&state, move |c| ts::create_tender(c, &act, &master, &spec)).await
    }
    .await;
    match result {
        Ok(t) => Ok(view::see_other(&format!("/tenders/{}", t.id))),
        Err(e) => form_or_error(&v, h, form, e, None),
    }
}

/// The center's next steps for a tender in this state.
pub(super) fn center_actions(t: &Tr, s: TenderState) -> Vec<(TenderAction, &'static str)> {
    use TenderAction as A;
    use TenderState as S;
    let mut v = match s {
        S::Draft => vec![(A::Publish, t.get("tender.publish"))],
        S::Closed => vec![(
            A::OpenTechnical,
            t.get("tender.open_the_technical_envelopes"),
        )],
        S::TechnicalOpened => vec![(
            A::PublishTechnical,
            t.get("tender.publish_the_technical_results"),
        )],
        S::TechnicalPublished => {
            vec![(A::OpenCommercial, t.get("tender.open_the_price_envelopes"))]
        }
        S::CommercialOpened => vec![(
            A::PublishAward,
            t.get("tender.publish_the_provisional_award"),
        )],
        S::Provisional => vec![(A::Finalize, t.get("tender.make_the_award_final"))],
        S::Awarded => vec![(A::Contract, t.get("tender.sign_the_contracts"))],
        _ => vec![],
    };
    if !matches!(s, S::Awarded | S::Contracted | S::Cancelled) {
        v.push((A::Cancel, t.get("tender.cancel_the_tender")));
    }
    v
}

#[get("/tenders/{id}")]
async fn tender_page(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Error> {
    let t = v.t;
    let id = id.into_inner();
    let tz = state.config.time_zone;
    let now = state.clock.now();
    let supplier = v.p.supplier_id.filter(|_| v.p.role == Role::Supplier);
    let (tender, lots, mine, objections, contracts, names) = db(&state, move |c| {
        let tender = ts::tender(c, id)?;
        let lots = ts::lots_with_drugs(c, id)?;
        let mine = match supplier {
            Some(s) => ts::bids_of_supplier(c, id, s)?,
            None => vec![],
        };
        Ok((
            tender,
            lots,
            mine,
            ts::objections_of(c, id)?,
            ts::contracts_of_tender(c, id)?,
            ts::supplier_names(c)?,
        ))
    })
    .await?;
    if !may_see(&v, &tender) {
        return Err(Error::NotFound(Code::TenderNotFound.into()));
    }
    let st = ts::effective_state(&tender, now);
    let mut props = vec![
        (t.get("tender.state").into(), state_label(&t, st).into()),
        (
            t.get("tender.bid_deadline").into(),
            local_time(tz, tender.bid_deadline),
        ),
        (
            t.get("tender.contract_months").into(),
            tender.contract_months.to_string(),
        ),
    ];
    if let Some(d) = tender.objection_deadline {
        props.push((t.get("tender.objections_until").into(), local_time(tz, d)));
    }
    if let Some(r) = &tender.cancel_reason {
        props.push((t.get("tender.cancelled_because").into(), r.clone()));
    }
    let mut sections = vec![];

    let view = super::tender_sections::View {
        t,
        p: &v.p,
        id,
        st,
        supplier,
        lots: &lots,
        names: &names,
    };
    sections.push(super::tender_sections::lots(&view));
    if supplier.is_some() {
        sections.push(super::tender_sections::own_bids(&view, &mine));
    }
    // Staff, regulators and experts: the bids under review (never a price before the opening).
    if matches!(v.p.role, Role::Center | Role::Regulator | Role::Expert)
        && !matches!(
            st,
            TenderState::Draft | TenderState::Open | TenderState::Closed
        )
    {
        let lot_ids: Vec<(i64, i32, PolicyKind)> = lots
            .iter()
            .map(|x| (x.0.id, x.0.lot_no, x.0.policy))
            .collect();
        let bids = db(&state, move |c| {
            let mut out = vec![];
            for (lid, no, policy) in lot_ids {
                for b in ts::lot_bids_for_review(c, lid)? {
                    out.push((no, policy, b));
                }
            }
            Ok(out)
        })
        .await?;
        sections.push(super::tender_sections::review(&view, &bids));
    }
    if !objections.is_empty() && (v.p.reads_everything() || supplier.is_some()) {
        sections.push(super::tender_sections::objections(&view, &objections));
    }
    if !contracts.is_empty() {
        sections.push(super::tender_sections::contracts(&view, &contracts));
    }
    if v.p.can_administer() {
        sections.push(super::tender_sections::next_step(&view));
    }
    let mut actions = vec![];
    if st.award_published() {
        actions.push(Link::new("/results", t.get("tender.public_results")));
    }
    view::ok(&DetailPage {
        chrome: v.chrome(&tender.title),
        heading: tender.title.clone(),
        props,
        actions,
        sections,
    })
}

#[derive(Deserialize)]
struct ActionForm {
    reason: Option<String>,
}

#[post("/tenders/{id}/actions/{action}")]
async fn tender_action(
    v: Viewer,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
    f: web::Form<ActionForm>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let (id, action) = path.into_inner();
    let action = TenderAction::parse("action", &action)
        .map_err(|_| Error::NotFound(crate::web::tender_api::action_not_found(&action)))?;
    let act = state.act(&v.p.username);
    let master = state.master.clone();
    let tz = state.config.time_zone;
    let reason = f.reason.clone();
    db(&state, move |c| {
        ts::apply_action(c, &act, &master, tz, id, action, reason.as_deref())
    })
    .await?;
    Ok(view::see_other(&format!("/tenders/{id}")))
}

#[derive(Deserialize)]
struct TextForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    answer: String,
}

#[post("/tenders/{id}/lots/{lot}/objection")]
async fn object(
    v: Viewer,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    f: web::Form<TextForm>,
) -> Result<HttpResponse, Error> {
    let (tid, lid) = path.into_inner();
    let sid = own_bidder(&v.p)?;
    let act = state.act(&v.p.username);
    let text = f.text.clone();
    db(&state, move |c| {
        ts::lodge_objection(c, &act, lid, sid, &text)
    })
    .await?;
    Ok(view::see_other(&format!("/tenders/{tid}")))
}

#[post("/objections/{id}/answer")]
async fn answer(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<TextForm>,
) -> Result<HttpResponse, Error> {
    v.require_admin()?;
    let id = id.into_inner();
    let act = state.act(&v.p.username);
    let text = f.answer.clone();
    let tid = db(&state, move |c| {
        ts::answer_objection(c, &act, id, &text)?;
        Ok(ts::objections_of_id(c, id)?.tender_id)
    })
    .await?;
    Ok(view::see_other(&format!("/tenders/{tid}")))
}

// ---------- contracts ----------

#[get("/contracts")]
async fn contract_list(v: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let t = v.t;
    let names = db(&state, ts::supplier_names).await?;
    let rows: Vec<Vec<Cell>> = match v.p.role {
        Role::Institution => {
            let iid = v.p.institution_id.ok_or_else(Error::forbidden)?;
            db(&state, move |c| ts::commitments_of_institution(c, iid))
                .await?
                .into_iter()
                .map(|(c, drug, strength, sup, vol)| {
                    vec![
                        Cell::link(format!("#{}", c.id), format!("/contracts/{}", c.id)),
                        Cell::text(format!("{drug} {strength}")),
                        Cell::text(sup),
                        Cell::num(money(c.unit_price)),
                        Cell::num(vol.to_string()),
                        Cell::text(format!("{} – {}", c.starts_on, c.ends_on)),
                    ]
                })
                .collect()
        }
        Role::Supplier | Role::Center | Role::Regulator => {
            let only = if v.p.reads_everything() {
                None
            } else {
                Some(v.p.supplier_id.ok_or_else(Error::forbidden)?)
            };
            db(&state, move |c| ts::contracts_of_supplier(c, only))
                .await?
                .into_iter()
                .map(|(c, drug, strength, _)| {
                    vec![
                        Cell::link(format!("#{}", c.id), format!("/contracts/{}", c.id)),
                        Cell::text(format!("{drug} {strength}")),
                        Cell::text(names.get(&c.supplier_id).cloned().unwrap_or_default()),
                        Cell::num(money(c.unit_price)),
                        Cell::num(c.committed_volume.to_string()),
                        Cell::text(format!("{} – {}", c.starts_on, c.ends_on)),
                    ]
                })
                .collect()
        }
        Role::Expert => return Err(Error::forbidden()),
    };
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
    let (c, allocs, dists, names, counties, distributors) = db(&state, move |c| {
        let k = ts::contract(c, id)?;
        let allocs = ts::allocations_with_names(c, id)?;
        Ok((
            k,
            allocs,
            ts::distributors_of(c, id)?,
            ts::supplier_names(c)?,
            ts::counties_of_contract(c, id)?,
            ts::licensed_distributors(c)?,
        ))
    })
    .await?;
    let mine_inst = v.p.institution_id.filter(|_| v.p.role == Role::Institution);
    let visible = v.p.reads_everything()
        || (v.p.role == Role::Supplier && v.p.supplier_id == Some(c.supplier_id))
        || mine_inst
            .map(|i| allocs.iter().any(|a| a.0 == i))
            .unwrap_or(false);
    if !visible {
        return Err(Error::NotFound(Code::ContractNotFound.into()));
    }
    let mut sections = vec![];
    let mut s = Section::new(t.get("tender.committed_volume_by_institution"));
    s.table = Some(Table {
        columns: cols(&[t.get("field.name"), t.get("tender.committed_volume")]),
        rows: allocs
            .iter()
            .filter(|a| {
                mine_inst.is_none()
                    || v.p.reads_everything()
                    || v.p.role == Role::Supplier
                    || Some(a.0) == mine_inst
            })
            .map(|a| vec![Cell::text(&a.1), Cell::num(a.2.to_string())])
            .collect(),
    });
    sections.push(s);
    let mut s = Section::new(t.get("tender.distribution_enterprises_by_county"));
    s.table = Some(Table {
        columns: cols(&[t.get("tender.county"), t.get("tender.distributor")]),
        rows: dists
            .iter()
            .map(|d| vec![Cell::text(&d.1), Cell::text(&d.3)])
            .collect(),
    });
    if v.p.role == Role::Supplier && v.p.supplier_id == Some(c.supplier_id) {
        s.forms.push(Form::new(
            format!("/contracts/{id}/distributors"),
            t.get("tender.name_the_distributor"),
            vec![
                Field::select(
                    "county_id",
                    t.get("tender.county"),
                    "",
                    counties
                        .iter()
                        .map(|(i, n)| (i.to_string(), n.clone()))
                        .collect(),
                ),
                Field::select(
                    "distributor_id",
                    t.get("tender.distributor"),
                    "",
                    distributors
                        .iter()
                        .map(|(i, n)| (i.to_string(), n.clone()))
                        .collect(),
                ),
            ],
        ));
    }
    sections.push(s);
    view::ok(&DetailPage {
        chrome: v.chrome(t.get("tender.contract")),
        heading: format!("{} #{}", t.get("tender.contract"), c.id),
        props: vec![
            (
                t.get("tender.supplier").into(),
                names.get(&c.supplier_id).cloned().unwrap_or_default(),
            ),
            (t.get("tender.unit_price").into(), money(c.unit_price)),
            (
                t.get("tender.committed_volume").into(),
                c.committed_volume.to_string(),
            ),
            (
                t.get("tender.period").into(),
                format!("{} – {}", c.starts_on, c.ends_on),
            ),
            (t.get("tender.status").into(), c.status.to_string()),
        ],
        actions: vec![],
        sections,
    })
}

#[derive(Deserialize)]
struct DistributorForm {
    county_id: Option<i64>,
    distributor_id: Option<i64>,
}

#[post("/contracts/{id}/distributors")]
async fn name_distributor(
    v: Viewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    f: web::Form<DistributorForm>,
) -> Result<HttpResponse, Error> {
    let sid = own_bidder(&v.p)?;
    let id = id.into_inner();
    let county = f
        .county_id
        .ok_or_else(|| Invalid::new("county_id", Code::Required))?;
    let dist = f
        .distributor_id
        .ok_or_else(|| Invalid::new("distributor_id", Code::Required))?;
    let act = state.act(&v.p.username);
    let today = state.today();
    db(&state, move |c| {
        ts::name_distributor(c, &act, id, sid, county, dist, today)
    })
    .await?;
    Ok(view::see_other(&format!("/contracts/{id}")))
}

// ---------- public results ----------

#[get("/results")]
async fn results(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Error> {
    let t = language(&session, &req, None);
    let rows = db(&state, ts::public_results).await?;
    let mut sections = vec![];
    for (tender, lots) in rows {
        let mut s = Section::new(tender.title.clone());
        s.table = Some(Table {
            columns: cols(&[
                t.get("tender.lot"),
                t.get("tender.drug"),
                t.get("tender.winner"),
                t.get("tender.unit_price"),
                t.get("tender.volume"),
            ]),
            rows: lots
                .into_iter()
                .map(|r| {
                    vec![
                        Cell::num(r.lot_no.to_string()),
                        Cell::text(r.drug),
                        Cell::text(if r.failed {
                            format!("— ({})", t.get("tender.failed"))
                        } else {
                            r.winner
                        }),
                        Cell::num(r.unit_price),
                        Cell::num(r.volume),
                    ]
                })
                .collect(),
        });
        sections.push(s);
    }
    let mut chrome = anon_chrome(t, csrf_token(&session), t.get("tender.tender_results"));
    chrome.nav = vec![Link::new("/login", t.get("login.title"))];
    view::ok(&DetailPage {
        chrome,
        heading: t.get("tender.tender_results").into(),
        props: vec![],
        actions: vec![],
        sections,
    })
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(demand_list)
        .service(new_window)
        .service(create_window)
        .service(window_page)
        .service(report)
        .service(upload)
        .service(close_window)
        .service(tender_list)
        .service(new_tender)
        .service(create_tender)
        .service(tender_page)
        .service(tender_action)
        .service(object)
        .service(answer)
        .service(contract_list)
        .service(contract_page)
        .service(name_distributor)
        .service(results);
}
