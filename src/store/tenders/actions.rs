//! The tender's steps: each moves the state on and does its work (review, openings, award,
//! contracts) in the same transaction.

use super::*;

/// Moves a tender on by one step, doing what that step does (review, opening, award,
/// contracts) in the same transaction as the change of state and its audit record.
pub fn apply_action(
    conn: &mut DbConn,
    act: &Act,
    master: &MasterKey,
    tz: Tz,
    tender_id: i64,
    action: TenderAction,
    reason: Option<&str>,
) -> Result<Tender> {
    crate::store::write_tx(conn, |conn| {
        let t = tender(conn, tender_id)?;
        let ls = lots_of(conn, tender_id)?;
        let missing_scores = if action == TenderAction::PublishTechnical {
            lots_missing_scores(conn, &ls)?
        } else {
            0
        };
        let open_objections = objections_of(conn, tender_id)?
            .iter()
            .filter(|o| o.answer.is_none())
            .count();
        let (key_missing, contributions) = custody::quorum_progress(conn, &t)?;
        let cx = TransitionContext {
            key_missing,
            contributions,
            now: act.at,
            bid_deadline: t.deadline(),
            objection_deadline: t.objection_deadline.map(|d| d.and_utc()),
            open_objections,
            lots_missing_scores: missing_scores,
            lots: ls.len(),
        };
        let next = tender::transition(effective_state(&t, act.at), action, &cx)?;
        match action {
            TenderAction::Publish => {
                diesel::update(tenders::table.find(tender_id))
                    .set(tenders::published_at.eq(Some(act.stamp())))
                    .execute(conn)?;
            }
            TenderAction::OpenTechnical => {
                // The list of what was sealed is fixed before anything is opened.
                custody::publish_digests(conn, act, tender_id)?;
                technical_opening(conn, &t, &ls, tz)?
            }
            TenderAction::OpenCommercial => commercial_opening(conn, master, &t, &ls)?,
            TenderAction::PublishAward => {
                let d = act.at + chrono::Duration::days(t.objection_days as i64);
                diesel::update(tenders::table.find(tender_id))
                    .set(tenders::objection_deadline.eq(Some(micros(d))))
                    .execute(conn)?;
            }
            TenderAction::Contract => make_contracts(conn, act, &t, &ls, tz)?,
            TenderAction::Cancel => {
                let r = tender_stages::cancel_reason(reason)?;
                diesel::update(tenders::table.find(tender_id))
                    .set(tenders::cancel_reason.eq(Some(r)))
                    .execute(conn)?;
            }
            _ => {}
        }
        diesel::update(tenders::table.find(tender_id))
            .set(tenders::state.eq(next))
            .execute(conn)?;
        let after = tender(conn, tender_id)?;
        audit::append(
            conn,
            act,
            action.as_str(),
            "tender",
            tender_id,
            Some(&t.state),
            Some(&after),
        )?;
        Ok(after)
    })
}

fn lots_missing_scores(conn: &mut DbConn, ls: &[Lot]) -> Result<usize> {
    let mut n = 0;
    for l in ls.iter().filter(|l| l.policy == PolicyKind::CompositeScore) {
        let missing = bids_of_lot(conn, l.id)?.iter().any(|b| {
            b.status == BidStatus::Active
                && b.technical_result == Some(TechnicalResult::Passed)
                && b.technical_score.is_none()
        });
        if missing {
            n += 1;
        }
    }
    Ok(n)
}

/// The automatic technical checks of every active bid, each failure with its reason.
fn technical_opening(conn: &mut DbConn, t: &Tender, ls: &[Lot], tz: Tz) -> Result<()> {
    let deadline_day = t.deadline().with_timezone(&tz).date_naive();
    for l in ls {
        for b in bids_of_lot(conn, l.id)?
            .into_iter()
            .filter(|b| b.status == BidStatus::Active)
        {
            let (p_drug, p_maker, p_agent, p_cons, p_orig): (i64, i64, Option<i64>, bool, bool) =
                products::table
                    .find(b.product_id)
                    .select((
                        products::drug_id,
                        products::manufacturer_id,
                        products::national_agent_id,
                        products::consistency_passed,
                        products::originator,
                    ))
                    .first(conn)?;
            let (kind, credit): (SupplierKind, CreditStatus) = suppliers::table
                .find(b.supplier_id)
                .select((suppliers::kind, suppliers::credit_status))
                .first(conn)?;
            // The licences as they stood when the bid's last version was sealed, before the
            // deadline (its technical envelope), not the live table: one added after the
            // deadline does not count, one removed after it still does.
            let lic = envelope_licences(&b.technical_json)?;
            let facts = TechnicalFacts {
                lot_drug_id: l.drug_id,
                product_drug_id: p_drug,
                product_manufacturer_id: p_maker,
                product_national_agent_id: p_agent,
                supplier_id: b.supplier_id,
                supplier_kind: kind,
                consistency_required: l.consistency_required,
                product_consistency: p_cons,
                product_originator: p_orig,
                licences: lic.into_iter().map(|(k, _, d)| (k, d)).collect(),
                deadline_day,
                annual_capacity: b.annual_capacity,
                agreed_volume: l.agreed_volume,
                capacity_factor: (1, 1),
                bad_faith: credit == CreditStatus::BadFaith
                    || crate::store::orders::on_bad_faith_list(conn, b.supplier_id, deadline_day)?,
            };
            let reasons = tender::technical_review(&facts);
            let result = if reasons.is_empty() {
                TechnicalResult::Passed
            } else {
                TechnicalResult::Failed
            };
            let recorded: Vec<RecordedReason> = reasons.iter().map(RecordedReason::from).collect();
            diesel::update(bids::table.find(b.id))
                .set((
                    bids::technical_result.eq(Some(result)),
                    bids::technical_reasons.eq(Some(
                        serde_json::to_string(&recorded).expect("reasons serialize"),
                    )),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Opens the sealed price envelopes of qualified bids only, derives unit prices, and computes
/// each lot's award with the pure award function.
fn commercial_opening(conn: &mut DbConn, master: &MasterKey, t: &Tender, ls: &[Lot]) -> Result<()> {
    let mut by_quorum = match t.sealing() {
        sealing::Mode::Quorum => Some(custody::open_by_quorum(conn, t)?),
        sealing::Mode::Server => None,
    };
    for l in ls {
        let inputs = opened_bids_of_lot(conn, master, t, l, &mut by_quorum)?;
        record_lot_award(conn, t, l, &inputs)?;
    }
    Ok(())
}

/// The lot's active bids as the award reads them: a qualified bid with the unit price its
/// opened envelope gives (from the quorum's opening, or opened here with the server's key);
/// a bid whose envelope cannot be opened for the bidder's reason is out of the award.
fn opened_bids_of_lot(
    conn: &mut DbConn,
    master: &MasterKey,
    t: &Tender,
    l: &Lot,
    by_quorum: &mut Option<BTreeMap<i64, custody::Opened>>,
) -> Result<Vec<BidInput>> {
    let mut inputs = vec![];
    for b in bids_of_lot(conn, l.id)?
        .into_iter()
        .filter(|b| b.status == BidStatus::Active)
    {
        let mut qualified = b.technical_result == Some(TechnicalResult::Passed);
        let unit_price = if !qualified {
            Money::ZERO
        } else if let Some(opened) = by_quorum.as_mut() {
            let (unit_price, opened_well) = quorum_price(conn, &b, opened.remove(&b.id))?;
            qualified = opened_well;
            unit_price
        } else {
            open_price(conn, master, t, l, &b)?
        };
        inputs.push(BidInput {
            bid_id: b.id,
            supplier_id: b.supplier_id,
            unit_price,
            qualified,
            technical_score: b.technical_score.map(Decimal::from),
            final_submission_seq: b.submission_seq,
        });
    }
    Ok(inputs)
}

/// A qualified bid's price from what the quorum's opening found for its envelope: (the unit
/// price recorded, true), or (zero, false) with the bid made invalid at the opening when the
/// envelope did not open or does not read.
fn quorum_price(
    conn: &mut DbConn,
    b: &Bid,
    opened: Option<custody::Opened>,
) -> Result<(Money, bool)> {
    let code = match opened {
        Some(custody::Opened::Plain(p)) => match record_price(conn, b, &p) {
            Ok(u) => return Ok((u, true)),
            Err(StoreError::Invalid(_)) => Code::EnvelopeUnopenable,
            Err(e) => return Err(e),
        },
        Some(custody::Opened::Invalid(code)) => code,
        None => Code::EnvelopeUnopenable,
    };
    Ok((invalid_at_opening(conn, b, code)?, false))
}

/// Computes a lot's award from its bids (and the demand reported for its drug) with the pure
/// award function, and records it on the lot: status, agreed volume and share, the result.
fn record_lot_award(conn: &mut DbConn, t: &Tender, l: &Lot, inputs: &[BidInput]) -> Result<()> {
    let window = tender_stages::demand_window_of(t.window_id)?;
    let lot_input = LotInput {
        lot_id: l.id,
        max_unit_price: l.max_price(),
        min_bidders: l.min_bidders as usize,
        policy: l.award_policy()?,
        reported_demand: demand_by_county(conn, window, l.drug_id)?,
        default_share: Decimal::new(l.agreed_share_bp as i64, 4),
    };
    let result = award::award_lot(&lot_input, inputs)?;
    let (status, volume, share_bp) = match &result.outcome {
        Outcome::Failed { .. } => (LotStatus::Failed, l.agreed_volume, l.agreed_share_bp),
        Outcome::Awarded {
            agreed_volume,
            agreed_share,
            ..
        } => (
            LotStatus::Awarded,
            *agreed_volume,
            (agreed_share * Decimal::from(10_000))
                .round()
                .try_into()
                .unwrap_or(l.agreed_share_bp),
        ),
    };
    diesel::update(lots::table.find(l.id))
        .set((
            lots::status.eq(status),
            lots::agreed_volume.eq(volume),
            lots::agreed_share_bp.eq(share_bp),
            lots::result_json.eq(Some(
                serde_json::to_string(&result).expect("award serializes"),
            )),
        ))
        .execute(conn)?;
    Ok(())
}

/// Opens a qualified bid's price envelope and records its package and unit prices; the unit price.
fn open_price(
    conn: &mut DbConn,
    master: &MasterKey,
    t: &Tender,
    l: &Lot,
    b: &Bid,
) -> Result<Money> {
    let sealed = Sealed {
        nonce: b.commercial_nonce.clone(),
        ciphertext: b.commercial_sealed.clone(),
        digest: b.commercial_digest.clone(),
    };
    let plain = sealing::open(
        master,
        t.id,
        &t.key_salt,
        &binding(t.id, l.id, b.supplier_id, b.version),
        &sealed,
    )?;
    record_price(conn, b, &plain)
}

/// A bid whose envelope cannot be opened for the bidder's reason (or was altered after the
/// deadline): failed, with the reason, and out of the award.
fn invalid_at_opening(conn: &mut DbConn, b: &Bid, code: Code) -> Result<Money> {
    let mut reasons: Vec<RecordedReason> =
        b.reason_msgs().iter().map(RecordedReason::from).collect();
    reasons.push(RecordedReason::from(&Msg::new(code)));
    diesel::update(bids::table.find(b.id))
        .set((
            bids::technical_result.eq(Some(TechnicalResult::Failed)),
            bids::technical_reasons.eq(Some(
                serde_json::to_string(&reasons).expect("reasons serialize"),
            )),
        ))
        .execute(conn)?;
    Ok(Money::ZERO)
}

/// Records an opened envelope's package and unit prices; the unit price.
fn record_price(conn: &mut DbConn, b: &Bid, plain: &[u8]) -> Result<Money> {
    let env: CommercialEnvelope =
        serde_json::from_slice(plain).map_err(|_| tender_stages::unreadable_envelope())?;
    let package = Money::parse_positive("package_price", &env.package_price)?;
    let units: i32 = products::table
        .find(b.product_id)
        .select(products::units_per_package)
        .first(conn)?;
    let unit_price = tender_stages::unit_price(package, units)?;
    diesel::update(bids::table.find(b.id))
        .set((
            bids::package_price.eq(Some(package.ten_thousandths())),
            bids::unit_price.eq(Some(unit_price.ten_thousandths())),
        ))
        .execute(conn)?;
    Ok(unit_price)
}
