//! The shapes every page is drawn from: the page chrome, tables, forms, detail pages.
//! A handful of generic templates render them all.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use super::Error;
use crate::domain::paging::Page;
use crate::domain::roles::{Principal, Role};
use crate::domain::Invalid;
use crate::i18n::Tr;

#[derive(Clone, Debug)]
pub struct Link {
    pub href: String,
    pub label: String,
}

impl Link {
    pub fn new(href: impl Into<String>, label: impl Into<String>) -> Self {
        Link {
            href: href.into(),
            label: label.into(),
        }
    }
}

/// What every page around its content shows: language, user, navigation, the CSRF token.
#[derive(Clone, Debug)]
pub struct Chrome {
    pub t: Tr,
    pub title: String,
    pub user: Option<String>,
    pub role: Option<String>,
    pub nav: Vec<Link>,
    pub csrf: String,
    pub notice: Option<String>,
}

/// The navigation a role sees.
pub fn nav_for(t: &Tr, p: &Principal) -> Vec<Link> {
    let mut v = vec![Link::new("/home", t.get("nav.home"))];
    let l = |href: &str, key: &str| Link::new(href, t.get(key));
    match p.role {
        Role::Center | Role::Regulator => {
            v.push(l("/drugs", "nav.drugs"));
            v.push(l("/products", "nav.products"));
            v.push(l("/institutions", "nav.institutions"));
            v.push(l("/suppliers", "nav.suppliers"));
            v.push(l("/regions", "nav.regions"));
            v.push(l("/demand", "nav.demand"));
            v.push(l("/tenders", "nav.tenders"));
            v.push(l("/contracts", "nav.contracts"));
            v.push(l("/orders", "nav.orders"));
            v.push(l("/performance", "nav.performance"));
            v.push(l("/commitments", "nav.commitments"));
            v.push(l("/shortages", "nav.shortages"));
            v.push(l("/direct-listings", "nav.direct_listings"));
            if p.role == Role::Center {
                v.push(l("/import", "nav.import"));
                v.push(l("/users", "nav.users"));
                v.push(l("/tokens", "nav.tokens"));
            }
            v.push(l("/audit", "nav.audit"));
            v.push(l("/outbox", "nav.outbox"));
        }
        Role::Supplier => {
            if let Some(id) = p.supplier_id {
                v.push(Link::new(
                    format!("/suppliers/{id}"),
                    t.get("nav.my_supplier"),
                ));
                v.push(Link::new(
                    format!("/products?manufacturer_id={id}"),
                    t.get("nav.my_products"),
                ));
            }
            v.push(l("/tenders", "nav.tenders"));
            v.push(l("/contracts", "nav.contracts"));
            v.push(l("/orders", "nav.orders"));
            v.push(l("/payables", "nav.payables"));
            v.push(l("/performance", "nav.performance"));
            v.push(l("/supply-interruptions", "nav.interruptions"));
            v.push(l("/direct-listings", "nav.direct_listings"));
            v.push(l("/drugs", "nav.drugs"));
        }
        Role::Institution => {
            if let Some(id) = p.institution_id {
                v.push(Link::new(
                    format!("/institutions/{id}"),
                    t.get("nav.my_institution"),
                ));
            }
            v.push(l("/institutions", "nav.institutions"));
            v.push(l("/demand", "nav.demand"));
            v.push(l("/contracts", "nav.contracts"));
            v.push(l("/orders", "nav.orders"));
            v.push(l("/commitments", "nav.commitments"));
            v.push(l("/payables", "nav.payables"));
            v.push(l("/shortage-reports", "nav.shortage_reports"));
            v.push(l("/direct-listings", "nav.direct_listings"));
            v.push(l("/drugs", "nav.drugs"));
        }
        Role::Expert => {
            v.push(l("/tenders", "nav.tenders"));
            v.push(l("/drugs", "nav.drugs"));
            v.push(l("/products", "nav.products"));
        }
    }
    v.push(l("/account/alerts", "nav.alerts"));
    v
}

#[derive(Clone, Debug, Default)]
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    /// `num` right-aligns figures; `warn` and `bad` mark what needs attention.
    pub class: &'static str,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Self {
        Cell {
            text: s.into(),
            ..Default::default()
        }
    }
    pub fn link(s: impl Into<String>, href: impl Into<String>) -> Self {
        Cell {
            text: s.into(),
            href: Some(href.into()),
            class: "",
        }
    }
    pub fn num(s: impl Into<String>) -> Self {
        Cell {
            text: s.into(),
            href: None,
            class: "num",
        }
    }
    pub fn with_class(mut self, class: &'static str) -> Self {
        self.class = class;
        self
    }
}

#[derive(Clone, Debug, Default)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// One input of a form.
#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    pub label: String,
    pub value: String,
    /// text, password, date, select, checkbox, textarea, file, hidden
    pub kind: &'static str,
    pub options: Vec<(String, String)>,
    pub required: bool,
    pub error: Option<String>,
    /// The code of the error (`data-code`), for scripts and tests.
    pub error_code: &'static str,
    /// The `inputmode` of a text input (`numeric`, `decimal`), empty for none.
    pub inputmode: &'static str,
}

impl Field {
    pub fn text(name: &str, label: &str, value: &str) -> Self {
        Field {
            name: name.into(),
            label: label.into(),
            value: value.into(),
            kind: "text",
            options: vec![],
            required: false,
            error: None,
            error_code: "",
            inputmode: "",
        }
    }
    /// A text input that offers `options` (value, label) in a `<datalist>`: the label is what
    /// the browser fills in, the handler reads it back (a picker of a long list).
    pub fn datalist(name: &str, label: &str, value: &str, options: Vec<(String, String)>) -> Self {
        Field {
            options,
            kind: "datalist",
            ..Field::text(name, label, value)
        }
    }
    pub fn inputmode(mut self, mode: &'static str) -> Self {
        self.inputmode = mode;
        self
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn kind(mut self, kind: &'static str) -> Self {
        self.kind = kind;
        self
    }
    pub fn select(name: &str, label: &str, value: &str, options: Vec<(String, String)>) -> Self {
        Field {
            options,
            kind: "select",
            ..Field::text(name, label, value)
        }
    }
    pub fn checkbox(name: &str, label: &str, checked: bool) -> Self {
        Field {
            kind: "checkbox",
            ..Field::text(name, label, if checked { "true" } else { "" })
        }
    }
    pub fn is_selected(&self, v: &str) -> bool {
        self.value == v
    }
}

/// A form: where it posts, its fields, its button.
#[derive(Clone, Debug)]
pub struct Form {
    pub action: String,
    pub fields: Vec<Field>,
    pub submit: String,
    pub multipart: bool,
    /// Small inline forms (a button) use the `inline` style.
    pub inline: bool,
    pub danger: bool,
}

impl Form {
    pub fn new(action: impl Into<String>, submit: impl Into<String>, fields: Vec<Field>) -> Self {
        Form {
            action: action.into(),
            fields,
            submit: submit.into(),
            multipart: false,
            inline: false,
            danger: false,
        }
    }
    pub fn button(action: impl Into<String>, submit: impl Into<String>) -> Self {
        Form {
            inline: true,
            ..Form::new(action, submit, vec![])
        }
    }
    /// Attaches the errors of a failed submission to their fields (others listed on top).
    pub fn with_errors(mut self, t: &Tr, errors: &[Invalid]) -> (Self, Vec<String>) {
        let mut general = Vec::new();
        for e in errors {
            match self.fields.iter_mut().find(|f| f.name == e.field) {
                Some(f) => {
                    f.error = Some(t.msg(&e.msg));
                    f.error_code = e.msg.code.as_str();
                }
                None => general.push(t.invalid(e)),
            }
        }
        (self, general)
    }
    /// The action with the CSRF token in the query (multipart bodies are not read by the check).
    pub fn action_with(&self, csrf: &str) -> String {
        if self.multipart {
            let sep = if self.action.contains('?') { '&' } else { '?' };
            format!("{}{}csrf={}", self.action, sep, csrf)
        } else {
            self.action.clone()
        }
    }
}

#[derive(Clone, Debug)]
pub struct Search {
    pub action: String,
    pub q: String,
    pub filters: Vec<Field>,
}

#[derive(Clone, Debug)]
pub struct Pager {
    pub info: String,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// Links to the neighbouring pages, keeping the other query parameters.
    pub fn of<T>(t: &Tr, page: &Page<T>, base: &str, params: &[(&str, String)]) -> Pager {
        let link = |n: i64| {
            let mut qs: Vec<(&str, String)> = params
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .cloned()
                .collect();
            qs.push(("page", n.to_string()));
            format!(
                "{base}?{}",
                serde_urlencoded::to_string(&qs).unwrap_or_default()
            )
        };
        Pager {
            info: format!(
                "{} {} / {} · {} {}",
                t.get("page.page"),
                page.page,
                page.pages(),
                page.total,
                t.get("page.records")
            ),
            prev: page.has_prev().then(|| link(page.page - 1)),
            next: page.has_next().then(|| link(page.page + 1)),
        }
    }
}

#[derive(Template)]
#[template(path = "pages/list.html")]
pub struct ListPage {
    pub chrome: Chrome,
    pub heading: String,
    pub search: Option<Search>,
    pub actions: Vec<Link>,
    pub table: Table,
    pub pager: Option<Pager>,
    pub empty: String,
}

#[derive(Template)]
#[template(path = "pages/form.html")]
pub struct FormPage {
    pub chrome: Chrome,
    pub heading: String,
    pub errors: Vec<String>,
    pub form: Form,
    pub back: Option<Link>,
}

/// A section of a detail page: a table and the forms that act on it.
#[derive(Clone, Debug)]
pub struct Section {
    pub title: String,
    pub table: Option<Table>,
    pub text: Vec<String>,
    pub forms: Vec<Form>,
    pub links: Vec<Link>,
}

impl Section {
    pub fn new(title: impl Into<String>) -> Self {
        Section {
            title: title.into(),
            table: None,
            text: vec![],
            forms: vec![],
            links: vec![],
        }
    }
}

#[derive(Template)]
#[template(path = "pages/detail.html")]
pub struct DetailPage {
    pub chrome: Chrome,
    pub heading: String,
    pub props: Vec<(String, String)>,
    pub actions: Vec<Link>,
    pub sections: Vec<Section>,
}

#[derive(Template)]
#[template(path = "pages/login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    pub username: String,
    pub error: Option<String>,
}

/// Renders a template as an HTML response with a status.
pub fn render(status: StatusCode, t: &impl Template) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(t.render()?))
}

pub fn ok(t: &impl Template) -> Result<HttpResponse, Error> {
    render(StatusCode::OK, t)
}

/// Redirect after a successful form (303 so the browser follows with GET).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", to))
        .finish()
}

/// One table of a report page, with its chart and its export links.
#[derive(Clone, Debug)]
pub struct Report {
    pub id: String,
    pub title: String,
    /// An SVG drawn on the server (trusted markup: plotters escapes the text in it).
    pub chart: Option<String>,
    pub table: Table,
    pub notes: Vec<String>,
    pub exports: Vec<Link>,
}

/// A page of figures: filters on top (a GET form), tabs to the other reports, the reports.
#[derive(Template)]
#[template(path = "pages/report.html")]
pub struct ReportPage {
    pub chrome: Chrome,
    pub heading: String,
    pub tabs: Vec<Link>,
    pub action: String,
    pub filters: Vec<Field>,
    pub reports: Vec<Report>,
}
