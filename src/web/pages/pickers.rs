//! Pickers: the fields that choose a drug, a product, an institution, a supplier or a region by
//! its name (a `<select>` for short lists, a `<datalist>` for long ones), and the reading of what
//! was picked or typed back into the record's key. A typed name counts when it names exactly one
//! record; anything else is refused next to the field.

use crate::domain::{Code, Invalid, Msg};
use crate::i18n::Tr;
use crate::store::catalog::Drug;
use crate::store::regions::Region;
use crate::web::view::Field;

/// One record a picker offers: its key (a code or an id), the label shown, and the other exact
/// names a person may type for it (any case).
#[derive(Clone, Debug)]
pub struct Choice {
    pub key: String,
    pub label: String,
    pub names: Vec<String>,
}

/// A value as typed, shortened for a message.
fn shown(s: &str) -> String {
    let mut v: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        v.push('…');
    }
    v
}

/// The key of what `typed` picks among `choices`: the key itself, a label, or a name that only
/// one record has. Empty is `Required`.
pub fn resolve(field: &str, typed: &str, choices: &[Choice]) -> Result<String, Invalid> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Err(Invalid::new(field, Code::Required));
    }
    if let Some(c) = choices.iter().find(|c| c.key == typed || c.label == typed) {
        return Ok(c.key.clone());
    }
    let lower = typed.to_lowercase();
    let hits: Vec<&Choice> = choices
        .iter()
        .filter(|c| c.names.iter().any(|n| n.to_lowercase() == lower))
        .collect();
    match hits.as_slice() {
        [one] => Ok(one.key.clone()),
        [] => Err(Invalid::new(
            field,
            Msg::new(Code::PickUnknown).arg("value", shown(typed)),
        )),
        many => Err(Invalid::new(
            field,
            Msg::new(Code::PickAmbiguous)
                .arg("value", shown(typed))
                .arg("n", many.len()),
        )),
    }
}

/// What a datalist field shows for a stored key: its label (a key not offered as it is).
pub fn label_of(key: &str, choices: &[Choice]) -> String {
    choices
        .iter()
        .find(|c| c.key == key)
        .map(|c| c.label.clone())
        .unwrap_or_else(|| key.to_string())
}

/// The options of a field: (key, label) for a select, the labels for a datalist.
pub fn options(choices: &[Choice]) -> Vec<(String, String)> {
    choices
        .iter()
        .map(|c| (c.key.clone(), c.label.clone()))
        .collect()
}

/// A select of the regions (a blank first), labelled from the `field.NAME` string.
pub fn region_field(t: &Tr, name: &str, value: &str, pk: &Parties) -> Field {
    Field::select(
        name,
        t.get(&format!("field.{name}")),
        value,
        options_with_blank(t, &pk.regions),
    )
}

/// The options of a select with a blank first ("— choose —").
pub fn options_with_blank(t: &Tr, choices: &[Choice]) -> Vec<(String, String)> {
    let mut v = vec![(String::new(), t.get("formui.choose").to_string())];
    v.extend(options(choices));
    v
}

/// A drug as people name it: generic name · form · strength · code (the Chinese name on zh-CN
/// pages, the INN on English ones).
pub fn drug_label(t: &Tr, d: &Drug) -> String {
    let name = super::drug_name(t, d);
    format!("{name} · {} · {} · {}", d.dosage_form, d.strength, d.code)
}

/// Drugs keyed by code.
pub fn drug_choices(t: &Tr, drugs: &[Drug]) -> Vec<Choice> {
    drugs
        .iter()
        .map(|d| Choice {
            key: d.code.clone(),
            label: drug_label(t, d),
            names: vec![d.name_zh.clone(), d.inn.clone()],
        })
        .collect()
}

/// Drugs keyed by id.
pub fn drug_choices_by_id(t: &Tr, drugs: &[Drug]) -> Vec<Choice> {
    drug_choices(t, drugs)
        .into_iter()
        .zip(drugs)
        .map(|(mut c, d)| {
            c.names.push(d.code.clone());
            c.key = d.id.to_string();
            c
        })
        .collect()
}

/// Parties as (id, code, name), keyed by their code: "name · code".
pub fn party_choices_by_code(rows: &[(i64, String, String)]) -> Vec<Choice> {
    rows.iter()
        .map(|(_, code, name)| Choice {
            key: code.clone(),
            label: format!("{name} · {code}"),
            names: vec![name.clone()],
        })
        .collect()
}

/// Regions keyed by code: "name · code", in the page's language.
pub fn region_choices(t: &Tr, regions: &[Region]) -> Vec<Choice> {
    regions
        .iter()
        .map(|r| Choice {
            key: r.code.clone(),
            label: format!("{} · {}", r.name(t.lang), r.code),
            names: vec![r.name_zh.clone(), r.name_en.clone()],
        })
        .collect()
}

/// The errors of a form whose pickers refused `picked`: those, and the form's other refusals
/// (`validated`) on fields the pickers did not already refuse.
pub fn merge(picked: Vec<Invalid>, validated: Result<(), Vec<Invalid>>) -> Vec<Invalid> {
    let mut out = picked;
    if let Err(more) = validated {
        for e in more {
            if !out.iter().any(|x| x.field == e.field) {
                out.push(e);
            }
        }
    }
    out
}

/// Puts the key `typed` picks into `slot`, or the refusal into `errs`.
pub fn pick_into(
    field: &str,
    choices: &[Choice],
    slot: &mut String,
    errs: &mut Vec<Invalid>,
    required: bool,
) {
    if !required && slot.trim().is_empty() {
        slot.clear();
        return;
    }
    match resolve(field, slot, choices) {
        Ok(k) => *slot = k,
        Err(e) => errs.push(e),
    }
}

/// The parties center staff's forms pick from: regions (selects), institutions (a datalist) and
/// suppliers (a select), keyed by their codes.
pub struct Parties {
    pub regions: Vec<Choice>,
    pub institutions: Vec<Choice>,
    pub suppliers: Vec<Choice>,
}

pub async fn parties(
    v: &crate::web::auth::Viewer,
    state: &actix_web::web::Data<crate::web::AppState>,
) -> Result<Parties, crate::web::Error> {
    let (t, p) = (v.t, v.p.clone());
    let c = crate::web::run(state, move |cx| crate::app::parties::party_choices(cx, &p)).await?;
    Ok(Parties {
        regions: region_choices(&t, &c.regions),
        institutions: party_choices_by_code(&c.institutions),
        suppliers: party_choices_by_code(&c.suppliers),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(key: &str, label: &str, names: &[&str]) -> Choice {
        Choice {
            key: key.into(),
            label: label.into(),
            names: names.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_key_a_label_or_a_unique_name_picks_and_others_are_refused() {
        let cs = vec![
            ch(
                "D1",
                "阿莫西林 · 胶囊 · 0.25g · D1",
                &["阿莫西林", "Amoxicillin"],
            ),
            ch(
                "D2",
                "阿莫西林 · 片 · 0.5g · D2",
                &["阿莫西林", "Amoxicillin"],
            ),
            ch(
                "D3",
                "二甲双胍 · 片 · 0.5g · D3",
                &["二甲双胍", "Metformin"],
            ),
        ];
        assert_eq!(resolve("drug", " D2 ", &cs).unwrap(), "D2");
        assert_eq!(
            resolve("drug", "二甲双胍 · 片 · 0.5g · D3", &cs).unwrap(),
            "D3"
        );
        assert_eq!(resolve("drug", "metformin", &cs).unwrap(), "D3");
        let e = resolve("drug", "Amoxicillin", &cs).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.msg.code),
            ("drug", Code::PickAmbiguous)
        );
        assert_eq!(e.msg.get("n"), Some("2"));
        let e = resolve("drug", "D0099", &cs).unwrap_err();
        assert_eq!(e.msg.code, Code::PickUnknown);
        assert_eq!(
            resolve("drug", "  ", &cs).unwrap_err().msg.code,
            Code::Required
        );
        assert_eq!(label_of("D3", &cs), "二甲双胍 · 片 · 0.5g · D3");
        assert_eq!(label_of("typed", &cs), "typed");
    }
}
