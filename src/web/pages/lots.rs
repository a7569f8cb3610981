//! A new tender: the form (one lot per line), its reading into the domain's lot specs, and
//! the draft it creates.

use actix_web::{get, post, web, HttpResponse};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;

use super::catalog::form_or_error;
use super::tenders::parse_local;
use crate::app::tenders::lots;
use crate::domain::award::{AwardPolicy, MultiParams};
use crate::domain::bounds;
use crate::domain::money::Money;
use crate::domain::tender_stages::LotSpec;
use crate::domain::{Code, Invalid, Msg};
use crate::i18n::Tr;
use crate::store::tenders as ts;
use crate::web::auth::Viewer;
use crate::web::view::{self, Field, Form, FormPage};
use crate::web::{run, AppState, Error};

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
        match lot_line(n + 1, line, drug_ids) {
            Ok(l) => out.push(l),
            Err(e) => errs.push(e),
        }
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

/// A refusal of line `n` (every refusal names the line).
fn bad(n: usize, code: Code) -> Msg {
    Msg::new(code).arg("line", n)
}

/// A refused value as typed, shortened.
fn typed(s: &str) -> String {
    let mut v: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        v.push('…');
    }
    v
}

/// One line (`n`, from 1) as a lot, or its first refusal.
fn lot_line(n: usize, line: &str, drug_ids: &BTreeMap<String, i64>) -> Result<LotSpec, Invalid> {
    let f: Vec<&str> = line.split([',', '，', ';', '\t']).map(str::trim).collect();
    let refused = |m: Msg| Invalid::new("lots", m);
    let Some(&drug_id) = drug_ids.get(f[0]) else {
        return Err(refused(
            bad(n, Code::LotLineUnknownDrug).arg("code", typed(f[0])),
        ));
    };
    let max = match f.get(1).map(|p| Money::parse_positive("max_unit_price", p)) {
        Some(Ok(m)) => m,
        Some(Err(_)) => {
            return Err(refused(
                bad(n, Code::LotLineMaxPrice)
                    .arg("value", typed(f[1]))
                    .arg("max", Money::MAX_ENTERED),
            ))
        }
        None => return Err(refused(bad(n, Code::LotLineMissingPrice))),
    };
    let policy = lot_policy(n, &f)?;
    let min_bidders: i32 = match f.get(3).filter(|s| !s.is_empty()) {
        None => 2,
        Some(s) => match bounds::whole("min_bidders", s, bounds::BIDDERS) {
            Ok(m) => m as i32,
            Err(_) => {
                return Err(refused(
                    bad(n, Code::LotLineMinBidders)
                        .arg("value", typed(s))
                        .arg("min", bounds::BIDDERS.start())
                        .arg("max", bounds::BIDDERS.end()),
                ))
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
                return Err(refused(
                    bad(n, Code::LotLineAgreedShare).arg("value", typed(s)),
                ))
            }
        },
    };
    Ok(LotSpec {
        drug_id,
        max_unit_price: max,
        min_bidders,
        consistency_required: consistency,
        policy,
        agreed_share_bp: share,
    })
}

/// The award policy of line `n` (fields `f`): its word, and for a composite score the
/// technical weight in percent (the price's is what is left).
fn lot_policy(n: usize, f: &[&str]) -> Result<AwardPolicy, Invalid> {
    let weight_refused = |s: &str| {
        Invalid::new(
            "lots",
            bad(n, Code::LotLineTechnicalWeight).arg("value", typed(s)),
        )
    };
    let tech: Decimal = match f.get(6).filter(|s| !s.is_empty()) {
        None => Decimal::from(40),
        Some(s) => bounds::parse_percent("technical_weight", s).map_err(|_| weight_refused(s))?,
    } / Decimal::ONE_HUNDRED;
    let policy = match f.get(2).copied().unwrap_or("lowest_price") {
        "" | "lowest_price" => AwardPolicy::LowestPrice,
        "multiple_winners" => AwardPolicy::MultipleWinners(MultiParams::default()),
        "composite_score" => AwardPolicy::CompositeScore {
            technical_weight: tech,
            price_weight: Decimal::ONE - tech,
        },
        other => {
            return Err(Invalid::new(
                "lots",
                bad(n, Code::LotLineUnknownPolicy)
                    .arg("value", typed(other))
                    .arg("words", "lowest_price, multiple_winners, composite_score"),
            ))
        }
    };
    // The weights come from the one typed percentage, so a refused policy is a refused
    // technical weight.
    if policy.validate().is_err() {
        return Err(weight_refused(f.get(6).copied().unwrap_or("40")));
    }
    Ok(policy)
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
    let h = v.t.get("tender.new_tender");
    let p = v.p.clone();
    let inputs = run(&state, move |cx| lots::draft_inputs(cx, &p, q.window_id)).await?;
    let f = TenderForm {
        lots: inputs
            .demand
            .iter()
            .map(|d| format!("{}, , lowest_price, 2, yes, 70", d.1))
            .collect::<Vec<_>>()
            .join("\n"),
        window_id: inputs
            .windows
            .first()
            .map(|w| w.id.to_string())
            .unwrap_or_default(),
        ..Default::default()
    };
    view::ok(&FormPage {
        chrome: v.chrome(h),
        heading: h.into(),
        errors: vec![],
        form: tender_form(&v.t, &f, window_options(inputs.windows)),
        back: None,
    })
}

fn window_options(ws: Vec<ts::DemandWindow>) -> Vec<(String, String)> {
    ws.into_iter()
        .map(|w| (w.id.to_string(), w.title))
        .collect()
}

#[post("/tenders")]
async fn create_tender(
    v: Viewer,
    state: web::Data<AppState>,
    f: web::Form<TenderForm>,
) -> Result<HttpResponse, Error> {
    let h = v.t.get("tender.new_tender");
    let f = f.into_inner();
    let p = v.p.clone();
    let windows = run(&state, move |cx| lots::draft_inputs(cx, &p, None)).await?;
    let form = tender_form(&v.t, &f, window_options(windows.windows));
    let result = async {
        let cmd = read_tender_form(&v, &state, &f).await?;
        let (p, master) = (v.p.clone(), state.master.clone());
        run(&state, move |cx| lots::create(cx, &p, &master, cmd)).await
    }
    .await;
    match result {
        Ok((t, _)) => Ok(view::see_other(&format!("/tenders/{}", t.id))),
        Err(e) => form_or_error(&v, h, form, e, None),
    }
}

/// The form of a new tender as a command, every refusal at once (the lots' drugs are those of
/// the window's demand).
async fn read_tender_form(
    v: &Viewer,
    state: &web::Data<AppState>,
    f: &TenderForm,
) -> Result<lots::NewTender, Error> {
    let mut errs = vec![];
    let window_id: i64 = f
        .window_id
        .trim()
        .parse()
        .map_err(|_| Invalid::new("window_id", Code::Required))?;
    let deadline = parse_local("bid_deadline", &f.bid_deadline, state.config.time_zone)
        .map_err(|e| errs.push(e))
        .ok();
    let months = bounds::whole("contract_months", &f.contract_months, bounds::MONTHS)
        .map(|m| m as i32)
        .map_err(|e| errs.push(e))
        .ok();
    let p = v.p.clone();
    let ids = run(state, move |cx| lots::window_drugs(cx, &p, window_id)).await?;
    let specs = parse_lot_lines(&f.lots, &ids)
        .map_err(|e| errs.extend(e))
        .ok();
    let (Some(bid_deadline), Some(contract_months), Some(lots), true) =
        (deadline, months, specs, errs.is_empty())
    else {
        return Err(Error::Invalid(errs));
    };
    Ok(lots::NewTender {
        title: f.title.clone(),
        window_id,
        bid_deadline,
        contract_months,
        lots,
    })
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(new_tender).service(create_tender);
}
