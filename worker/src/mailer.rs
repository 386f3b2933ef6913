//! Sends emails over SMTP (lettre) when configured, otherwise writes them as .eml files so a
//! new user can read what would have been sent.

use std::path::PathBuf;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{header, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::email::Email;

#[derive(Debug, Clone)]
pub struct MailConfig {
    /// lettre's URL form, e.g. `smtp://127.0.0.1:2525` or `smtps://user:pass@host`.
    pub smtp_url: Option<String>,
    pub from: String,
    /// Where .eml files go when there is no SMTP server.
    pub outbox_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("bad address: {0}")]
    Address(String),
    #[error("cannot build message: {0}")]
    Build(String),
    #[error("smtp: {0}")]
    Smtp(String),
    #[error("writing .eml: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Folder {
        dir: PathBuf,
        from: Mailbox,
    },
}

impl Mailer {
    pub fn from_config(cfg: &MailConfig) -> Result<Mailer, MailError> {
        let from: Mailbox = cfg
            .from
            .parse()
            .map_err(|e| MailError::Address(format!("{}: {e}", cfg.from)))?;
        match &cfg.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| MailError::Smtp(e.to_string()))?
                    .build();
                Ok(Mailer::Smtp { transport, from })
            }
            None => Ok(Mailer::Folder {
                dir: cfg.outbox_dir.clone(),
                from,
            }),
        }
    }

    /// Whether a message with this Message-ID is known to have gone out. Only the folder can
    /// tell; an SMTP server cannot be asked, so there the answer is always "not known".
    pub async fn already_sent(&self, message_id: &str) -> bool {
        match self {
            Mailer::Smtp { .. } => false,
            Mailer::Folder { dir, .. } => {
                let suffix = format!("-{}.eml", file_safe(message_id));
                let Ok(mut entries) = tokio::fs::read_dir(dir).await else {
                    return false;
                };
                while let Ok(Some(e)) = entries.next_entry().await {
                    if e.file_name().to_string_lossy().ends_with(&suffix) {
                        return true;
                    }
                }
                false
            }
        }
    }

    /// Sends `email` with a fixed Message-ID, so a resend after a crash carries the same
    /// id and receiving systems can drop the duplicate.
    pub async fn send(&self, email: &Email, message_id: &str) -> Result<(), MailError> {
        let from = match self {
            Mailer::Smtp { from, .. } | Mailer::Folder { from, .. } => from.clone(),
        };
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| MailError::Address(format!("{}: {e}", email.to)))?;
        let mut builder = Message::builder()
            .from(from)
            .to(to)
            .subject(&email.subject)
            .message_id(Some(message_id.to_string()));
        if let Some(url) = &email.unsubscribe_url {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".into(),
                ));
        }
        let message = builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(header::ContentType::TEXT_PLAIN)
                            .body(email.text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(header::ContentType::TEXT_HTML)
                            .body(email.html.clone()),
                    ),
            )
            .map_err(|e| MailError::Build(e.to_string()))?;
        match self {
            Mailer::Smtp { transport, .. } => {
                transport
                    .send(message)
                    .await
                    .map_err(|e| MailError::Smtp(e.to_string()))?;
            }
            Mailer::Folder { dir, .. } => {
                tokio::fs::create_dir_all(dir).await?;
                let name = format!(
                    "{}-{}.eml",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"),
                    file_safe(message_id)
                );
                // Written aside, then renamed: a crash never leaves half a message that
                // `already_sent` would take for a sent one.
                let tmp = dir.join(format!(".{name}.tmp"));
                tokio::fs::write(&tmp, message.formatted()).await?;
                tokio::fs::rename(&tmp, dir.join(name)).await?;
            }
        }
        Ok(())
    }
}

fn file_safe(message_id: &str) -> String {
    message_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}
