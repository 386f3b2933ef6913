use std::path::Path;

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::auth::secret::random_token;
use crate::error::ApiError;

/// Access tokens carry this audience and nothing else does, so a token minted for another
/// purpose can never pass as one.
const ACCESS_AUDIENCE: &str = "souk-access";
const MIN_SECRET_BYTES: usize = 32;
/// Device tokens: proof that this client signed in to an address before.
const DEVICE_AUDIENCE: &str = "souk-device";
const DEVICE_TTL_SECS: i64 = 365 * 86_400;
/// Checkout links: the payment order they open (the buyer's browser carries no bearer token).
const CHECKOUT_AUDIENCE: &str = "souk-checkout";

#[derive(Debug, Serialize, Deserialize)]
struct CheckoutClaims {
    sub: String,
    aud: String,
    exp: i64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    /// The generation of the account's sessions when issued; a ban, a deletion or a password
    /// reset moves it on and older tokens are refused (`auth::generations`).
    #[serde(default)]
    pub gen: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct DeviceClaims {
    sub: String,
    aud: String,
    iat: i64,
    exp: i64,
    /// Which password the token was issued under (a digest of its hash, never the hash).
    pwv: String,
}

fn password_version(password_hash: &str) -> String {
    crate::auth::secret::token_hash(password_hash)[..16].to_string()
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub access_ttl_secs: i64,
}

impl JwtKeys {
    pub fn new(secret: &[u8], access_ttl_secs: i64) -> Self {
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            access_ttl_secs,
        }
    }

    /// `SOUK_JWT_SECRET` when set; otherwise a random secret kept in the data folder, so
    /// sessions survive restarts without anyone having to invent a secret.
    pub fn load(
        configured: Option<&str>,
        data_dir: &Path,
        access_ttl_secs: i64,
    ) -> std::io::Result<Self> {
        let secret = match configured {
            // HS256 is only as strong as its key: refuse guessable ones.
            Some(s) if s.len() < MIN_SECRET_BYTES => {
                return Err(std::io::Error::other(format!(
                    "SOUK_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes"
                )))
            }
            Some(s) => s.to_string(),
            None => {
                let path = data_dir.join("jwt_secret");
                match std::fs::read_to_string(&path) {
                    Ok(s) if s.trim().len() >= 32 => s.trim().to_string(),
                    _ => {
                        std::fs::create_dir_all(data_dir)?;
                        let s = random_token();
                        write_private(&path, &s)?;
                        s
                    }
                }
            }
        };
        Ok(JwtKeys::new(secret.as_bytes(), access_ttl_secs))
    }

    /// An access token of `user_id` under session generation `generation`.
    pub fn issue_access(&self, user_id: i64, generation: i64) -> Result<String, ApiError> {
        let now = chrono::Utc::now().timestamp();
        let claims = AccessClaims {
            sub: user_id.to_string(),
            aud: ACCESS_AUDIENCE.into(),
            iat: now,
            exp: now + self.access_ttl_secs,
            gen: generation,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(format!("jwt: {e}")))
    }

    /// A token the app keeps after a successful login (or password reset) and sends with later
    /// logins: with it, failed attempts by others on the address do not make the owner wait
    /// (see `souk_domain::account::login_delay_secs`). It names the user and the password it
    /// was issued under, so a password reset retires every device token of the old password.
    pub fn issue_device(&self, user_id: i64, password_hash: &str) -> Result<String, ApiError> {
        let now = chrono::Utc::now().timestamp();
        let claims = DeviceClaims {
            sub: user_id.to_string(),
            aud: DEVICE_AUDIENCE.into(),
            iat: now,
            exp: now + DEVICE_TTL_SECS,
            pwv: password_version(password_hash),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(format!("jwt: {e}")))
    }

    /// Whether `token` is a device token of this user under their current password.
    pub fn is_known_device(&self, token: &str, user_id: i64, password_hash: &str) -> bool {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_audience(&[DEVICE_AUDIENCE]);
        decode::<DeviceClaims>(token, &self.decoding, &v).is_ok_and(|d| {
            d.claims.sub == user_id.to_string() && d.claims.pwv == password_version(password_hash)
        })
    }

    /// A link token that opens the checkout of payment order `order_id` for `ttl_secs`.
    pub fn issue_checkout(&self, order_id: i64, ttl_secs: i64) -> Result<String, ApiError> {
        let claims = CheckoutClaims {
            sub: order_id.to_string(),
            aud: CHECKOUT_AUDIENCE.into(),
            exp: chrono::Utc::now().timestamp() + ttl_secs,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(format!("jwt: {e}")))
    }

    /// The order a valid, unexpired checkout token opens.
    pub fn verify_checkout(&self, token: &str) -> Option<i64> {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_audience(&[CHECKOUT_AUDIENCE]);
        v.leeway = 5;
        decode::<CheckoutClaims>(token, &self.decoding, &v)
            .ok()
            .and_then(|d| d.claims.sub.parse().ok())
    }

    /// The account, session generation and expiry (Unix seconds) of a valid access token.
    pub fn verify_access(&self, token: &str) -> Option<(i64, i64, i64)> {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_audience(&[ACCESS_AUDIENCE]);
        v.leeway = 5;
        decode::<AccessClaims>(token, &self.decoding, &v)
            .ok()
            .and_then(|d| Some((d.claims.sub.parse().ok()?, d.claims.gen, d.claims.exp)))
    }
}

/// Writes a file only its owner can read, created that way (no window with wider rights).
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(content.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_foreign_ones_fail() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef", 60);
        let t = keys.issue_access(42, 3).unwrap();
        assert_eq!(
            keys.verify_access(&t).map(|(id, g, _)| (id, g)),
            Some((42, 3))
        );
        let other = JwtKeys::new(b"another-secret-another-secret-xx", 60);
        assert_eq!(other.verify_access(&t), None);
        let expired = JwtKeys::new(b"0123456789abcdef0123456789abcdef", -120);
        assert_eq!(
            keys.verify_access(&expired.issue_access(42, 0).unwrap()),
            None
        );
    }

    #[test]
    fn device_tokens_name_one_user_and_password_and_are_not_access_tokens() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef", 60);
        let d = keys.issue_device(7, "$argon2id$old").unwrap();
        assert!(keys.is_known_device(&d, 7, "$argon2id$old"));
        assert!(!keys.is_known_device(&d, 8, "$argon2id$old"));
        assert!(
            !keys.is_known_device(&d, 7, "$argon2id$new"),
            "a reset retires it"
        );
        assert_eq!(keys.verify_access(&d), None);
        let access = keys.issue_access(7, 0).unwrap();
        assert!(!keys.is_known_device(&access, 7, "$argon2id$old"));
    }
}
