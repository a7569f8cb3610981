//! Alert e-mails: rendered from `templates/emails/` (a text and an HTML part) in each
//! recipient's language, and written to the outbox in the caller's transaction, once per change
//! of state and recipient (the outbox's key).

use askama::Template;
use chrono::NaiveDateTime;

use crate::domain::alerts::AlertKind;
use crate::domain::roles::Role;
use crate::i18n::Tr;
use crate::store::alerts::{recipients, Audience, Recipient};
use crate::store::outbox::{self, NewMail};
use crate::store::{DbConn, Result};

/// A value in an alert: plain, or a string key translated per recipient.
#[derive(Debug, Clone)]
pub enum Value {
    Plain(String),
    Key(String),
    /// Values shown one after the other.
    Parts(Vec<Value>),
    /// A name kept in both languages (a region's, a drug's): Chinese, English (the Chinese when
    /// the English is empty).
    Local(String, String),
}

impl Value {
    fn show(&self, t: &Tr) -> String {
        match self {
            Value::Plain(s) => s.clone(),
            Value::Key(k) => t.get(k).to_string(),
            Value::Parts(p) => p.iter().map(|v| v.show(t)).collect(),
            Value::Local(zh, en) => {
                if t.zh() || en.is_empty() {
                    zh.clone()
                } else {
                    en.clone()
                }
            }
        }
    }
}

/// One alert: what changed (its key makes it one e-mail per recipient however often a job
/// runs), its facts, and where to look.
#[derive(Debug, Clone)]
pub struct Alert {
    pub kind: AlertKind,
    /// The strings' name when it is not the kind's (`alert.NAME.subject`, `alert.NAME.intro`).
    pub template: Option<&'static str>,
    pub key: String,
    /// Fills `{name}` in the subject and the opening line.
    pub args: Vec<(&'static str, Value)>,
    /// (label key, value)
    pub facts: Vec<(&'static str, Value)>,
    /// A path on the platform, e.g. `/shortages/3`.
    pub link: String,
    /// Per-language values keyed by language (e.g. region names), filled in per recipient.
    pub localized: Vec<(&'static str, String, String)>,
}

/// What both parts of a message say.
struct Body<'a> {
    greeting: &'a str,
    intro: &'a str,
    facts: &'a [(String, String)],
    open_label: &'a str,
    link: &'a str,
    footer: &'a str,
}

#[derive(Template)]
#[template(path = "emails/alert.txt")]
struct TextPart<'a> {
    b: &'a Body<'a>,
}

#[derive(Template)]
#[template(path = "emails/alert.html")]
struct HtmlPart<'a> {
    lang: &'a str,
    subject: &'a str,
    b: &'a Body<'a>,
}

fn fill(template: &str, alert: &Alert, t: &Tr) -> String {
    let mut s = template.to_string();
    for (name, v) in &alert.args {
        s = s.replace(&format!("{{{name}}}"), &v.show(t));
    }
    for (name, zh, en) in &alert.localized {
        s = s.replace(
            &format!("{{{name}}}"),
            if t.zh() || en.is_empty() { zh } else { en },
        );
    }
    s
}

/// Subject, text part and HTML part of an alert in one language.
pub fn render(alert: &Alert, lang: &str, public_url: &str) -> (String, String, String) {
    let t = Tr::new(lang);
    let k = alert.template.unwrap_or(alert.kind.as_str());
    let subject = fill(t.get(&format!("alert.{k}.subject")), alert, &t);
    let intro = fill(t.get(&format!("alert.{k}.intro")), alert, &t);
    let facts: Vec<(String, String)> = alert
        .facts
        .iter()
        .map(|(label, v)| (t.get(label).to_string(), fill(&v.show(&t), alert, &t)))
        .collect();
    let link = format!("{}{}", public_url.trim_end_matches('/'), alert.link);
    let footer = t.get("alert.footer").replace(
        "{url}",
        &format!("{}/account/alerts", public_url.trim_end_matches('/')),
    );
    let body = Body {
        greeting: t.get("alert.greeting"),
        intro: &intro,
        facts: &facts,
        open_label: t.get("alert.open"),
        link: &link,
        footer: &footer,
    };
    let text = TextPart { b: &body }
        .render()
        .unwrap_or_else(|e| format!("{intro}\n\n{link}\n({e})"));
    let html = HtmlPart {
        lang: t.lang,
        subject: &subject,
        b: &body,
    }
    .render()
    .unwrap_or_default();
    (subject, text, html)
}

/// Writes the alert to the outbox for everyone in `to` who receives this kind of alert (call
/// inside the transaction of the change). Returns how many messages were new.
pub fn send(
    conn: &mut DbConn,
    now: NaiveDateTime,
    alert: &Alert,
    to: &Audience,
    public_url: &str,
) -> Result<usize> {
    let people: Vec<Recipient> = recipients(conn, alert.kind, to)?;
    let mails: Vec<NewMail> = people
        .iter()
        .map(|r| {
            let (subject, text_body, html_body) = render(alert, &r.language, public_url);
            NewMail {
                dedup_key: alert.key.clone(),
                recipient: r.email.clone(),
                subject,
                text_body,
                html_body,
            }
        })
        .collect();
    outbox::enqueue(conn, now, &mails)
}

/// The audience a job's `alert` roles allow.
pub fn audience(
    roles: &[Role],
    center: bool,
    suppliers: Vec<i64>,
    institutions: Vec<i64>,
) -> Audience {
    let has = |r: Role| roles.contains(&r);
    Audience {
        center: center && has(Role::Center),
        regulator: has(Role::Regulator),
        suppliers: if has(Role::Supplier) {
            suppliers
        } else {
            vec![]
        },
        institutions: if has(Role::Institution) {
            institutions
        } else {
            vec![]
        },
        users: vec![],
    }
}
