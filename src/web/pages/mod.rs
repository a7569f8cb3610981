//! The server-rendered pages, one module per area.

pub mod admin;
pub mod catalog;
pub mod contracts;
pub mod demand;
pub mod home;
pub mod lots;
pub mod objections;
pub mod orders;
pub mod parties;
pub mod performance;
pub mod shortages;
pub mod tender_sections;
pub mod tenders;

use actix_web::web;

use super::view::Field;
use crate::i18n::Tr;

pub fn routes(cfg: &mut web::ServiceConfig) {
    home::routes(cfg);
    catalog::routes(cfg);
    parties::routes(cfg);
    admin::routes(cfg);
    tenders::routes(cfg);
    orders::routes(cfg);
    performance::routes(cfg);
    shortages::routes(cfg);
}

/// A select of a closed set of words, labelled in the page's language.
pub fn word_options<T: Copy>(
    all: &[T],
    word: impl Fn(&T) -> &'static str,
    label: impl Fn(&T, &str) -> &'static str,
    t: &Tr,
    with_blank: Option<&str>,
) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = with_blank
        .map(|b| vec![(String::new(), b.to_string())])
        .unwrap_or_default();
    v.extend(
        all.iter()
            .map(|x| (word(x).to_string(), label(x, t.lang).to_string())),
    );
    v
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

/// A stored amount (1/10,000 yuan) as yuan.
pub fn money(v: i64) -> String {
    crate::domain::money::Money::from_ten_thousandths(v).to_string()
}
