use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::error::ApiError;

/// argon2id with the crate's default (OWASP-recommended) parameters and a fresh salt.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut rand_core_compat::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("argon2: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// At most one argon2id run per core at once. Each takes 19 MiB and tens of milliseconds of a
/// core; unbounded, a burst of logins (64 at once: 1.2 GB) takes the process's memory and
/// every core from other requests. (Half the cores was tried: login p99 went from 0.24 to
/// 0.78 s under the load benchmark while the read tail did not move.)
fn hashing_slots() -> std::sync::Arc<tokio::sync::Semaphore> {
    static SLOTS: std::sync::OnceLock<std::sync::Arc<tokio::sync::Semaphore>> =
        std::sync::OnceLock::new();
    SLOTS
        .get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            std::sync::Arc::new(tokio::sync::Semaphore::new(cores.max(1)))
        })
        .clone()
}

/// Runs password work (`hash_password`, `verify_password`) off the event loop, a bounded
/// number at a time. The slot travels with the work: a client that hangs up while its hash
/// runs does not free the slot before the hash ends.
pub async fn argon2_bounded<T, F>(work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let slot = hashing_slots()
        .acquire_owned()
        .await
        .map_err(|e| ApiError::Internal(format!("hashing slots: {e}")))?;
    actix_web::web::block(move || {
        let result = work();
        drop(slot);
        result
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))
}

/// A hash of nothing in particular, verified against when the email is unknown so that a
/// login for a missing account costs the same time as one for a real account.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("souk-timing-equaliser").unwrap_or_default())
}

mod rand_core_compat {
    pub use argon2::password_hash::rand_core::OsRng;
}
