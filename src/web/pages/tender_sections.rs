//! The page of one tender, built section by section: its lots, a supplier's own bids, the
//! technical review, the objections, the contracts and the center's next step. Each section
//! shows only what the reader may see at the tender's state.

use std::collections::BTreeMap;

use super::tenders::{center_actions, cols, policy_label, reasons};
use super::yuan;
use crate::domain::award::{Outcome, PolicyKind};
use crate::domain::roles::{Principal, Role};
use crate::domain::tender::{BidStatus, TechnicalResult, TenderAction, TenderState};
use crate::i18n::Tr;
use crate::store::tenders as ts;
use crate::web::view::{Cell, Field, Form, Section, Table};

/// What every section of the page is built from.
pub struct View<'a> {
    pub t: Tr,
    pub p: &'a Principal,
    pub id: i64,
    /// The tender's state now.
    pub st: TenderState,
    /// The reader's supplier, when a supplier's user reads it.
    pub supplier: Option<i64>,
    pub lots: &'a [(ts::Lot, String, String, String)],
    pub names: &'a BTreeMap<i64, String>,
}

impl View<'_> {
    fn bidding(&self) -> bool {
        self.st == TenderState::Open
    }

    /// A lot as people name it: its number and its drug.
    fn lot_name(&self, lot_id: i64) -> String {
        self.lots
            .iter()
            .find(|x| x.0.id == lot_id)
            .map(|(l, _, name, strength)| {
                format!(
                    "{} #{} · {name} {strength}",
                    self.t.get("tender.lot_2"),
                    l.lot_no
                )
            })
            .unwrap_or_default()
    }
}

/// The lots: prices and results only once published.
pub fn lots(view: &View) -> Section {
    let (t, v, id, st, supplier) = (view.t, view.p, view.id, view.st, view.supplier);
    let (lots, names, bidding) = (view.lots, view.names, view.bidding());
    let mut lot_sec = Section::new(t.get("tender.lots"));
    lot_sec.table = Some(Table {
        columns: cols(&[
            "#",
            t.get("tender.drug"),
            t.get("tender.reported_demand"),
            t.get("tender.agreed_volume"),
            t.get("tender.maximum_valid_unit_price"),
            t.get("tender.policy"),
            t.get("tender.min_bidders"),
            t.get("tender.consistency_required"),
            t.get("tender.result"),
        ]),
        rows: lots
            .iter()
            .map(|(lot, code, name, strength)| {
                let result = if st.award_published() || (st.prices_opened() && v.reads_everything())
                {
                    match lot.result().map(|r| r.outcome) {
                        Some(Outcome::Failed { valid_bids, .. }) => {
                            // The only reason a lot fails; its minimum is the lot's.
                            let why = crate::domain::award::too_few_valid_bids(
                                valid_bids,
                                lot.min_bidders.max(1) as usize,
                            );
                            Cell::text(format!("{} — {}", t.get("tender.failed"), t.msg(&why)))
                                .with_class("bad")
                        }
                        Some(Outcome::Awarded { winners, .. }) => Cell::text(
                            winners
                                .iter()
                                .map(|w| {
                                    format!(
                                        "{} {} × {}",
                                        names.get(&w.supplier_id).cloned().unwrap_or_default(),
                                        t.price(w.unit_price.decimal()),
                                        t.int(w.volume)
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join("; "),
                        ),
                        None => Cell::text("—"),
                    }
                } else {
                    Cell::text("—")
                };
                let mut drug = Cell::text(format!("{code} {name} {strength}"));
                if bidding && supplier.is_some() {
                    drug = Cell::link(
                        format!("{code} {name} {strength}"),
                        format!("/tenders/{id}/lots/{}/bid", lot.id),
                    );
                }
                vec![
                    Cell::num(lot.lot_no.to_string()),
                    drug,
                    Cell::int(&t, lot.reported_demand),
                    Cell::int(&t, lot.agreed_volume),
                    Cell::num(yuan(&t, lot.max_unit_price)),
                    Cell::text(policy_label(&t, lot.policy)),
                    Cell::num(lot.min_bidders.to_string()),
                    Cell::text(super::yes_no(&t, lot.consistency_required)),
                    result,
                ]
            })
            .collect(),
    });
    lot_sec
}

/// A supplier's own bids, with receipts and review results, and what it may still do.
pub fn own_bids(view: &View, mine: &[ts::Bid]) -> Section {
    let (t, id, st) = (view.t, view.id, view.st);
    let bidding = view.bidding();
    let mut s = Section::new(t.get("tender.our_bids"));
    s.table = Some(Table {
        columns: cols(&[
            t.get("tender.lot"),
            t.get("tender.status"),
            t.get("tender.version"),
            t.get("tender.technical_envelope_digest"),
            t.get("tender.price_envelope_digest"),
            t.get("tender.technical_review"),
            t.get("tender.unit_price"),
            t.get("tender.bid_receipt"),
        ]),
        rows: mine
            .iter()
            .map(|b| {
                let review = if matches!(st, TenderState::TechnicalPublished) || st.prices_opened()
                {
                    match b.technical_result {
                        Some(TechnicalResult::Passed) => t.get("tender.qualified").to_string(),
                        Some(TechnicalResult::Failed) => {
                            format!("{}: {}", t.get("tender.not_qualified"), reasons(&t, b))
                        }
                        None => "—".into(),
                    }
                } else {
                    "—".into()
                };
                vec![
                    Cell::text(view.lot_name(b.lot_id)),
                    Cell::text(t.get(&format!("formui.bid_{}", b.status.as_str()))),
                    Cell::num(b.version.to_string()),
                    Cell::text(&b.technical_digest[..16.min(b.technical_digest.len())]),
                    Cell::text(&b.commercial_digest[..16.min(b.commercial_digest.len())]),
                    Cell::text(review),
                    Cell::num(if st.prices_opened() {
                        b.unit_price.map(|u| yuan(&t, u)).unwrap_or_default()
                    } else {
                        "—".into()
                    }),
                    Cell::link(
                        format!("{} · {}", t.get("formui.receipt"), view.lot_name(b.lot_id)),
                        format!("/bids/{}/receipt", b.id),
                    ),
                ]
            })
            .collect(),
    });
    if bidding {
        for b in mine.iter().filter(|b| b.status == BidStatus::Active) {
            let mut f = Form::button(
                format!("/tenders/{id}/lots/{}/withdraw", b.lot_id),
                format!(
                    "{} · {}",
                    t.get("tender.withdraw_bid_on_lot"),
                    view.lot_name(b.lot_id)
                ),
            );
            f.danger = true;
            s.forms.push(f);
        }
    }
    if st == TenderState::Provisional {
        for b in mine {
            s.forms.push(Form::new(
                format!("/tenders/{id}/lots/{}/objection", b.lot_id),
                t.get("tender.lodge_an_objection"),
                vec![Field::text("text", t.get("tender.objection"), "")
                    .kind("textarea")
                    .required()],
            ));
        }
    }
    s
}

/// The bids under review, for staff, regulators and experts (never a price before the
/// opening); an expert scores the qualified bids of composite-score lots.
pub fn review(view: &View, bids: &[(i32, PolicyKind, (ts::Bid, String, String))]) -> Section {
    let (t, v, st) = (view.t, view.p, view.st);
    let mut s = Section::new(t.get("tender.technical_review"));
    s.table = Some(Table {
        columns: cols(&[
            t.get("tender.lot"),
            t.get("tender.supplier"),
            t.get("tender.product"),
            t.get("tender.result"),
            t.get("tender.technical_score"),
            t.get("tender.unit_price"),
        ]),
        rows: bids
            .iter()
            .map(|(no, _, (b, sname, approval))| {
                vec![
                    Cell::num(no.to_string()),
                    Cell::text(sname),
                    Cell::text(approval),
                    match b.technical_result {
                        Some(TechnicalResult::Passed) => {
                            Cell::text(t.get("tender.qualified")).with_class("good")
                        }
                        Some(TechnicalResult::Failed) => Cell::text(format!(
                            "{}: {}",
                            t.get("tender.not_qualified"),
                            reasons(&t, b)
                        ))
                        .with_class("bad"),
                        None => Cell::text("—"),
                    },
                    Cell::num(b.technical_score.map(|x| x.to_string()).unwrap_or_default()),
                    Cell::num(if st.prices_opened() {
                        b.unit_price.map(|u| yuan(&t, u)).unwrap_or_default()
                    } else {
                        "—".into()
                    }),
                ]
            })
            .collect(),
    });
    if v.role == Role::Expert && st == TenderState::TechnicalOpened {
        for (no, policy, (b, sname, _)) in bids {
            if *policy == PolicyKind::CompositeScore
                && b.technical_result == Some(TechnicalResult::Passed)
            {
                s.forms.push(Form::new(
                    format!("/bids/{}/score", b.id),
                    format!(
                        "{} · {} #{} · {}",
                        t.get("tender.score"),
                        t.get("tender.lot_2"),
                        no,
                        sname
                    ),
                    vec![Field::text(
                        "score",
                        t.get("tender.technical_score_0_100"),
                        &b.technical_score.map(|x| x.to_string()).unwrap_or_default(),
                    )
                    .inputmode("numeric")
                    .required()],
                ));
            }
        }
    }
    s
}

/// The objections the reader may see (as `app::tenders::objections::of_tender` chose them);
/// staff answer them.
pub fn objections(view: &View, objections: &[ts::Objection]) -> Section {
    let (t, v, names) = (view.t, view.p, view.names);
    let visible: Vec<&ts::Objection> = objections.iter().collect();
    let mut s = Section::new(t.get("tender.objections"));
    s.table = Some(Table {
        columns: cols(&[
            t.get("tender.supplier"),
            t.get("tender.objection"),
            t.get("tender.answer"),
        ]),
        rows: visible
            .iter()
            .map(|o| {
                vec![
                    Cell::text(names.get(&o.supplier_id).cloned().unwrap_or_default()),
                    Cell::text(&o.text),
                    Cell::text(o.answer.clone().unwrap_or_else(|| "—".into())),
                ]
            })
            .collect(),
    });
    if v.can_administer() {
        for o in visible.iter().filter(|o| o.answer.is_none()) {
            s.forms.push(Form::new(
                format!("/objections/{}/answer", o.id),
                t.get("tender.answer"),
                vec![Field::text(
                    "answer",
                    format!(
                        "{} · {}",
                        t.get("tender.answer_to"),
                        names.get(&o.supplier_id).cloned().unwrap_or_default()
                    )
                    .as_str(),
                    "",
                )
                .kind("textarea")
                .required()],
            ));
        }
    }
    s
}

/// The contracts signed under the tender that the reader may see
/// (`app::tenders::contracts::of_tender`).
pub fn contracts(view: &View, contracts: &[ts::Contract]) -> Section {
    let (t, names) = (view.t, view.names);
    let mut s = Section::new(t.get("tender.contracts"));
    s.table = Some(Table {
        columns: cols(&[
            t.get("tender.contract"),
            t.get("tender.supplier"),
            t.get("tender.unit_price"),
            t.get("tender.committed_volume"),
            t.get("tender.period"),
        ]),
        rows: contracts
            .iter()
            .map(|c| {
                vec![
                    Cell::link(
                        format!(
                            "{} · {}",
                            view.lots
                                .iter()
                                .find(|x| Some(x.0.id) == c.lot_id)
                                .map(|(_, _, n, s)| format!("{n} {s}"))
                                .unwrap_or_default(),
                            names.get(&c.supplier_id).cloned().unwrap_or_default()
                        ),
                        format!("/contracts/{}", c.id),
                    ),
                    Cell::text(names.get(&c.supplier_id).cloned().unwrap_or_default()),
                    Cell::num(yuan(&t, c.unit_price)),
                    Cell::num(c.committed_volume.to_string()),
                    Cell::text(format!("{} – {}", c.starts_on, c.ends_on)),
                ]
            })
            .collect(),
    });
    s
}

/// The center's next step at the tender's state; `refused`: a cancellation refused, with the
/// reason typed (its form shown open, the reason kept, the error next to it).
pub fn next_step(view: &View, refused: Option<&(String, Vec<crate::domain::Invalid>)>) -> Section {
    let (t, id, st) = (view.t, view.id, view.st);
    let mut s = Section::new(t.get("tender.next_step"));
    for (a, label) in center_actions(&t, st) {
        // Every step of a tender is final (publish, open envelopes, award…): each asks first.
        let mut f = Form::button(format!("/tenders/{id}/actions/{}", a.as_str()), label).danger();
        if a == TenderAction::Cancel {
            let typed = refused.map(|(r, _)| r.as_str()).unwrap_or("");
            f = Form::new(
                format!("/tenders/{id}/actions/cancel"),
                label,
                vec![Field::text("reason", t.get("tender.reason"), typed).required()],
            );
            f.danger = true;
            f.expanded = refused.is_some();
            s.push_form(&t, f, refused.map(|(_, es)| es.as_slice()));
            continue;
        }
        s.forms.push(f);
    }
    if st == TenderState::Open {
        s.text.push(
            t.get("tender.bids_are_being_taken_prices_stay_sealed_until_th")
                .into(),
        );
    }
    s
}

/// Key custody of a quorum tender: its custodians and who has dealt and contributed, the
/// quorum, the tender key once formed, what the opening waits for; center staff appoint the
/// custodians of a draft (`candidates`: center users with a key).
pub fn custody(
    view: &View,
    tender: &ts::Tender,
    custodians: &[crate::store::tenders::custody::Custodian],
    candidates: &[(i64, String, String)],
) -> Vec<Section> {
    let t = view.t;
    let mut s = Section::new(t.get("custody.key_custody"));
    s.text.push(if custodians.is_empty() {
        t.get("custody.none_appointed").into()
    } else {
        t.get("custody.quorum_of")
            .replace("{k}", &tender.quorum.to_string())
            .replace("{n}", &custodians.len().to_string())
    });
    s.table = Some(Table {
        columns: cols(&[
            "#",
            t.get("custody.custodian"),
            t.get("custody.dealt"),
            t.get("custody.contributed"),
        ]),
        rows: custodians
            .iter()
            .map(|c| {
                vec![
                    Cell::num(c.idx.to_string()),
                    Cell::text(&c.name),
                    Cell::text(super::yes_no(&t, c.dealt_at.is_some())),
                    Cell::text(super::yes_no(&t, c.contributed_at.is_some())),
                ]
            })
            .collect(),
    });
    key_progress(view, tender, custodians, &mut s);
    let mut out = vec![s];
    if view.p.can_administer() && view.st == TenderState::Draft {
        out.push(appoint(view, tender, custodians, candidates));
    }
    out
}

/// Where the tender key stands: waiting for the custodians' dealing, or formed (shown whole
/// as code); past the technical results, how many contributions the opening still waits for.
fn key_progress(
    view: &View,
    tender: &ts::Tender,
    custodians: &[crate::store::tenders::custody::Custodian],
    s: &mut Section,
) {
    let t = view.t;
    let (n, k) = (custodians.len(), tender.quorum);
    if tender.envelope_key.is_empty() {
        if n > 0 {
            let dealt = custodians.iter().filter(|c| c.dealt_at.is_some()).count();
            s.text.push(
                t.get("custody.key_waits")
                    .replace("{dealt}", &dealt.to_string())
                    .replace("{n}", &n.to_string()),
            );
        }
    } else {
        s.text.push(format!(
            "{}: {}",
            t.get("custody.tender_key"),
            super::custody::short(&tender.envelope_key)
        ));
        s.code.push(tender.envelope_key.clone());
    }
    let contributed = custodians
        .iter()
        .filter(|c| c.contributed_at.is_some())
        .count();
    if view.st == TenderState::TechnicalPublished && (contributed as i32) < k {
        s.text.push(
            t.get("custody.opening_waits")
                .replace("{have}", &contributed.to_string())
                .replace("{k}", &k.to_string()),
        );
    }
}

/// Center staff appoint a draft's custodians among `candidates` (the ones appointed chosen, the
/// quorum kept, else the defaults'), or learn there is no one to appoint.
fn appoint(
    view: &View,
    tender: &ts::Tender,
    custodians: &[crate::store::tenders::custody::Custodian],
    candidates: &[(i64, String, String)],
) -> Section {
    use crate::store::tenders::custody::{DEFAULT_CUSTODIANS, DEFAULT_QUORUM};
    let t = view.t;
    let mut s = Section::new(t.get("custody.appoint"));
    if candidates.is_empty() {
        s.text.push(t.get("custody.no_candidates").into());
        return s;
    }
    let chosen: Vec<i64> = custodians.iter().map(|c| c.user_id).collect();
    let quorum = if custodians.is_empty() {
        DEFAULT_QUORUM.to_string()
    } else {
        tender.quorum.to_string()
    };
    s.text.push(
        t.get("custody.appoint_help")
            .replace("{n}", &DEFAULT_CUSTODIANS.to_string())
            .replace("{k}", &DEFAULT_QUORUM.to_string()),
    );
    s.forms.push(super::custody::appoint_form(
        &t, view.id, candidates, &chosen, &quorum,
    ));
    s
}

/// The envelope digests fixed at the deadline: lot and digest, for bidders to find their
/// receipt's.
pub fn digests(view: &View, list: &[(i32, String)]) -> Section {
    let t = view.t;
    let mut s = Section::new(t.get("custody.digest_list"));
    s.text.push(t.get("custody.digest_list_help").into());
    s.table = Some(Table {
        columns: cols(&[t.get("tender.lot"), t.get("custody.digest")]),
        rows: list
            .iter()
            .map(|(no, d)| {
                vec![
                    Cell::num(no.to_string()),
                    Cell::text(d).with_class("digest"),
                ]
            })
            .collect(),
    });
    s
}
