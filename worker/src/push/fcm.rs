//! FCM HTTP v1: a service account's key signs a JWT (RS256), exchanged at the token endpoint
//! for an OAuth2 access token that is cached until a minute before it expires; each message
//! is one `POST /v1/projects/{project}/messages:send`.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use super::Sent;

const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
const GRANT: &str = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer";

#[derive(Clone, Deserialize)]
pub struct FcmConfig {
    pub project_id: String,
    pub client_email: String,
    pub private_key: String,
    #[serde(default)]
    pub private_key_id: Option<String>,
    pub token_uri: String,
    /// Where messages are sent (`https://fcm.googleapis.com`; `SOUK_FCM_URL` for tests).
    #[serde(skip)]
    pub send_url: String,
}

impl std::fmt::Debug for FcmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FcmConfig")
            .field("project_id", &self.project_id)
            .field("client_email", &self.client_email)
            .field("private_key", &"<redacted>")
            .field("token_uri", &self.token_uri)
            .field("send_url", &self.send_url)
            .finish()
    }
}

impl FcmConfig {
    /// Reads a service-account key file as Firebase's console downloads it.
    pub fn from_file(path: &std::path::Path, send_url: Option<String>) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("SOUK_FCM_SERVICE_ACCOUNT {}: {e}", path.display()))?;
        let mut cfg: FcmConfig = serde_json::from_str(&text)
            .map_err(|e| format!("SOUK_FCM_SERVICE_ACCOUNT {}: {e}", path.display()))?;
        jsonwebtoken::EncodingKey::from_rsa_pem(cfg.private_key.as_bytes())
            .map_err(|e| format!("SOUK_FCM_SERVICE_ACCOUNT: private_key: {e}"))?;
        cfg.send_url = send_url
            .unwrap_or_else(|| "https://fcm.googleapis.com".into())
            .trim_end_matches('/')
            .to_string();
        Ok(cfg)
    }
}

pub struct FcmTransport {
    cfg: FcmConfig,
    client: reqwest::Client,
    token: Mutex<Option<(String, Instant)>>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
}

impl FcmTransport {
    pub fn new(cfg: FcmConfig) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(FcmTransport {
            cfg,
            client,
            token: Mutex::new(None),
        })
    }

    /// The cached access token, or a new one.
    async fn access_token(&self) -> Result<String, String> {
        let mut cached = self.token.lock().await;
        if let Some((token, until)) = cached.as_ref() {
            if Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let now = chrono::Utc::now().timestamp();
        let claims = json!({
            "iss": self.cfg.client_email,
            "scope": SCOPE,
            "aud": self.cfg.token_uri,
            "iat": now,
            "exp": now + 3600,
        });
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = self.cfg.private_key_id.clone();
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(self.cfg.private_key.as_bytes())
            .map_err(|e| format!("fcm key: {e}"))?;
        let assertion =
            jsonwebtoken::encode(&header, &claims, &key).map_err(|e| format!("fcm jwt: {e}"))?;
        let res = self
            .client
            .post(&self.cfg.token_uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("grant_type={GRANT}&assertion={assertion}"))
            .send()
            .await
            .map_err(|e| format!("fcm token: {e}"))?;
        if !res.status().is_success() {
            return Err(format!("fcm token endpoint answered {}", res.status()));
        }
        let answer: TokenAnswer = res.json().await.map_err(|e| format!("fcm token: {e}"))?;
        let life = Duration::from_secs(answer.expires_in.saturating_sub(60).max(1));
        *cached = Some((answer.access_token.clone(), Instant::now() + life));
        Ok(answer.access_token)
    }

    /// Sends one message (`fcm_message`).
    pub async fn send(&self, message: &Value) -> Sent {
        let token = match self.access_token().await {
            Ok(t) => t,
            Err(e) => return Sent::Failed(e),
        };
        let url = format!(
            "{}/v1/projects/{}/messages:send",
            self.cfg.send_url, self.cfg.project_id
        );
        let res = match self
            .client
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({ "message": message }))
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => return Sent::Failed(format!("fcm send: {e}")),
        };
        let status = res.status().as_u16();
        let body = res.text().await.unwrap_or_default();
        match status {
            200..=299 => Sent::Delivered,
            // UNREGISTERED (404) and the legacy 410: the app is gone from that phone.
            404 | 410 => Sent::DeadToken,
            400 if body.contains("registration token") || body.contains("UNREGISTERED") => {
                Sent::DeadToken
            }
            // The token belongs to another Firebase project: it will never work here.
            403 if body.contains("SENDER_ID_MISMATCH") => Sent::DeadToken,
            401 => {
                // The access token was refused: mint another next time.
                *self.token.lock().await = None;
                Sent::Failed("fcm refused the access token".into())
            }
            _ => Sent::Failed(format!("fcm answered {status}: {}", truncate(&body))),
        }
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(200).collect()
}
