//! Delivers the e-mail outbox with lettre: over SMTP (`JICAI_SMTP_URL`: `smtp://` plain or with
//! `?tls=required` for STARTTLS, `smtps://` for TLS, user and password in the URL) or, on a bare
//! machine, as `.eml` files in `JICAI_MAIL_DIR`. Each message is claimed before its try, marked
//! sent after it, or retried with backoff and finally marked failed (kept, never dropped).

use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Config;
use crate::store::outbox::{self, Mail};
use crate::store::{Store, StoreError};

/// Where the messages go.
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>, std::path::PathBuf),
}

pub struct Mailer {
    pub transport: Transport,
    pub from: Mailbox,
}

impl Mailer {
    /// The mailer the settings name: SMTP if `smtp_url` is set, else files in `mail_dir`.
    /// Call inside the Tokio runtime (the SMTP connection pool starts its task there).
    pub fn from_config(c: &Config) -> Result<Mailer, String> {
        let from: Mailbox = c
            .mail_from
            .parse()
            .map_err(|e| format!("JICAI_MAIL_FROM = \"{}\": {e}", c.mail_from))?;
        let transport = match &c.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("JICAI_SMTP_URL: {e}"))?
                    .timeout(Some(std::time::Duration::from_secs(20)))
                    .build(),
            ),
            None => {
                std::fs::create_dir_all(&c.mail_dir)
                    .map_err(|e| format!("JICAI_MAIL_DIR = {}: {e}", c.mail_dir.display()))?;
                Transport::Files(
                    AsyncFileTransport::<Tokio1Executor>::new(&c.mail_dir),
                    c.mail_dir.clone(),
                )
            }
        };
        Ok(Mailer { transport, from })
    }

    /// Where messages go, for people: the SMTP server or the folder.
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(_) => "the SMTP server of JICAI_SMTP_URL".into(),
            Transport::Files(_, dir) => format!(".eml files in {}", dir.display()),
        }
    }

    /// The message of an outbox row: a text and an HTML part.
    pub fn message(&self, m: &Mail) -> Result<Message, String> {
        let to: Mailbox = m
            .recipient
            .parse()
            .map_err(|e| format!("recipient \"{}\": {e}", m.recipient))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                m.text_body.clone(),
                m.html_body.clone(),
            ))
            .map_err(|e| e.to_string())
    }

    async fn deliver(&self, msg: Message) -> Result<(), String> {
        match &self.transport {
            Transport::Smtp(t) => t.send(msg).await.map(|_| ()).map_err(|e| e.to_string()),
            Transport::Files(t, _) => t.send(msg).await.map(|_| ()).map_err(|e| e.to_string()),
        }
    }
}

/// What one run of the sender did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SendReport {
    pub sent: usize,
    /// Failed tries that will be tried again.
    pub retried: usize,
    /// Messages that failed their last try (or can never be sent: a malformed address).
    pub failed: usize,
    pub errors: Vec<String>,
}

impl std::fmt::Display for SendReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} sent, {} to be tried again, {} failed",
            self.sent, self.retried, self.failed
        )?;
        for e in self.errors.iter().take(5) {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

/// Sends every message due at `now` (up to `limit`), each claimed first so that two senders at
/// once never send one twice.
pub async fn send_due(
    store: &Store,
    mailer: &Mailer,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<SendReport, StoreError> {
    let at = now.naive_utc();
    let due = store.blocking(move |c| outbox::due(c, at, limit)).await?;
    let mut r = SendReport::default();
    for m in due {
        let claimed = {
            let m = m.clone();
            store.blocking(move |c| outbox::claim(c, &m, at)).await?
        };
        if !claimed {
            continue;
        }
        enum Try {
            Sent,
            Failed(String),
            /// An address that cannot be parsed never will be: no more tries.
            Hopeless(String),
        }
        let outcome = match mailer.message(&m) {
            Ok(msg) => match mailer.deliver(msg).await {
                Ok(()) => Try::Sent,
                Err(e) => Try::Failed(e),
            },
            Err(e) => Try::Hopeless(e),
        };
        let (attempt, e) = match outcome {
            Try::Sent => {
                store
                    .blocking(move |c| outbox::mark_sent(c, m.id, at))
                    .await?;
                r.sent += 1;
                continue;
            }
            Try::Failed(e) => (m.attempts + 1, e),
            Try::Hopeless(e) => (crate::domain::mail::MAX_ATTEMPTS, e),
        };
        let err = e.clone();
        let status = store
            .blocking(move |c| outbox::mark_failed_try(c, m.id, attempt, &err, at))
            .await?;
        if status == crate::domain::mail::MailStatus::Failed {
            r.failed += 1;
        } else {
            r.retried += 1;
        }
        r.errors
            .push(format!("message {} to {}: {e}", m.id, m.recipient));
    }
    Ok(r)
}
