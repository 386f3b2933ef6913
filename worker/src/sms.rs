//! Text messages (phone confirmation codes), queued like emails in the transaction of their
//! cause and delivered by the runner: to an HTTP gateway (most Algerian and international SMS
//! gateways take a POST with the number and the text) or, by default, to a file outbox
//! (`$SOUK_DATA_DIR/sms/`) so a new user sees what would have been sent.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use souk_store::{jobs, DbConn, StoreResult};

/// The job kind that delivers one text message.
pub const SEND_SMS: &str = "send_sms";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Sms {
    /// E.164, e.g. `+213551234567`.
    pub to: String,
    pub text: String,
}

/// Queues a text message in the caller's transaction.
pub fn enqueue_sms(conn: &mut DbConn, sms: Sms) -> StoreResult<i64> {
    jobs::enqueue(conn, SEND_SMS, &sms)
}

/// Where text messages go.
#[derive(Debug, Clone, Default)]
pub struct SmsConfig {
    /// `SOUK_SMS_GATEWAY_URL`: POST each message there; unset = the file outbox.
    pub gateway_url: Option<String>,
    /// `SOUK_SMS_GATEWAY_BODY`: the body, with `{to}` and `{text}` replaced (JSON-escaped when
    /// the content type is JSON, form-encoded otherwise).
    pub body_template: String,
    /// `SOUK_SMS_GATEWAY_CONTENT_TYPE`.
    pub content_type: String,
    /// `SOUK_SMS_GATEWAY_AUTH`: sent as the `Authorization` header when set.
    pub authorization: Option<String>,
    pub outbox_dir: PathBuf,
}

impl SmsConfig {
    /// From `SOUK_SMS_GATEWAY_URL`, `SOUK_SMS_GATEWAY_BODY`, `SOUK_SMS_GATEWAY_CONTENT_TYPE`,
    /// `SOUK_SMS_GATEWAY_AUTH`; the outbox is `<data dir>/sms`.
    pub fn from_env(data_dir: &std::path::Path) -> SmsConfig {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        SmsConfig {
            gateway_url: var("SOUK_SMS_GATEWAY_URL"),
            body_template: var("SOUK_SMS_GATEWAY_BODY").unwrap_or_else(|| DEFAULT_BODY.into()),
            content_type: var("SOUK_SMS_GATEWAY_CONTENT_TYPE")
                .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.into()),
            authorization: var("SOUK_SMS_GATEWAY_AUTH"),
            outbox_dir: data_dir.join("sms"),
        }
    }
}

pub const DEFAULT_BODY: &str = r#"{"to":"{to}","text":"{text}"}"#;
pub const DEFAULT_CONTENT_TYPE: &str = "application/json";

fn json_escape(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    quoted[1..quoted.len().saturating_sub(1)].to_string()
}

fn form_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The gateway's request body for `sms`.
pub fn render_body(cfg: &SmsConfig, sms: &Sms) -> String {
    let escape: fn(&str) -> String = if cfg.content_type.contains("json") {
        json_escape
    } else {
        form_escape
    };
    cfg.body_template
        .replace("{to}", &escape(&sms.to))
        .replace("{text}", &escape(&sms.text))
}

/// Delivers one message (`id` names its outbox file, so a retry rewrites the same file).
pub async fn deliver(cfg: &SmsConfig, sms: &Sms, id: i64) -> Result<(), String> {
    let Some(url) = &cfg.gateway_url else {
        let dir = cfg.outbox_dir.clone();
        let text = format!("To: {}\n\n{}\n", sms.to, sms.text);
        return tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            let tmp = dir.join(format!(".{id}.tmp"));
            std::fs::write(&tmp, text)?;
            std::fs::rename(&tmp, dir.join(format!("{id:010}.txt")))
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("sms outbox: {e}"));
    };
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(15))
        .build()
        .map_err(|e| e.to_string())?;
    let mut req = client
        .post(url)
        .header("content-type", &cfg.content_type)
        .body(render_body(cfg, sms));
    if let Some(auth) = &cfg.authorization {
        req = req.header("authorization", auth);
    }
    let res = req.send().await.map_err(|e| format!("sms gateway: {e}"))?;
    if res.status().is_success() {
        Ok(())
    } else {
        Err(format!("sms gateway answered {}", res.status()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_escape_for_their_content_type() {
        let sms = Sms {
            to: "+213551234567".into(),
            text: "souk: \"123456\" & co".into(),
        };
        let json = SmsConfig {
            body_template: DEFAULT_BODY.into(),
            content_type: DEFAULT_CONTENT_TYPE.into(),
            ..Default::default()
        };
        let body: serde_json::Value = serde_json::from_str(&render_body(&json, &sms)).unwrap();
        assert_eq!(body["text"], "souk: \"123456\" & co");
        let form = SmsConfig {
            body_template: "dest={to}&msg={text}".into(),
            content_type: "application/x-www-form-urlencoded".into(),
            ..Default::default()
        };
        assert_eq!(
            render_body(&form, &sms),
            "dest=%2B213551234567&msg=souk%3A%20%22123456%22%20%26%20co"
        );
    }
}
