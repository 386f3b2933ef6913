//! Admission of uploads before their bodies are read. Without it, every upload that arrives
//! is read into memory while it queues for a decode: 30 parallel 10 MB uploads held 300 MB
//! before the first was refused. An upload first takes a permit: a share of one byte budget
//! for the whole process (its declared length, or the largest upload when it declares none)
//! and one of an account's few places. When neither frees within a short wait it is refused
//! with 503 and `Retry-After`, its body unread.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::header;
use actix_web::HttpRequest;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiError;

/// Bytes are counted in KiB: a semaphore holds at most `u32::MAX` permits per acquire.
const UNIT: usize = 1024;

pub struct UploadGate {
    budget: Arc<Semaphore>,
    budget_units: usize,
    per_account: usize,
    wait: Duration,
    accounts: Mutex<HashMap<i64, Arc<Semaphore>>>,
}

/// Held while an upload is read, decoded and stored; dropping it frees its bytes and place.
pub struct UploadPermit {
    /// The most the body may hold: what was admitted.
    pub max_bytes: usize,
    user: i64,
    gate: Arc<UploadGate>,
    bytes: Option<OwnedSemaphorePermit>,
    place: Option<OwnedSemaphorePermit>,
}

impl UploadGate {
    pub fn new(budget_bytes: usize, per_account: usize, wait: Duration) -> Arc<UploadGate> {
        let budget_units = (budget_bytes / UNIT).max(1);
        Arc::new(UploadGate {
            budget: Arc::new(Semaphore::new(budget_units)),
            budget_units,
            per_account: per_account.max(1),
            wait,
            accounts: Mutex::new(HashMap::new()),
        })
    }

    /// Waits (at most the configured wait) for a place of `user` and for the request's share
    /// of the byte budget. `largest` is the most one upload may hold; a declared length above
    /// it is refused at once with 413.
    pub async fn admit(
        self: &Arc<Self>,
        user: i64,
        req: &HttpRequest,
        largest: usize,
    ) -> Result<UploadPermit, ApiError> {
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > largest) {
            return Err(ApiError::PayloadTooLarge(format!(
                "an upload may be at most {} MB",
                largest / 1024 / 1024
            )));
        }
        let max_bytes = declared.unwrap_or(largest);
        let units = max_bytes.div_ceil(UNIT).clamp(1, self.budget_units) as u32;
        let mut permit = UploadPermit {
            max_bytes,
            user,
            gate: self.clone(),
            bytes: None,
            place: None,
        };
        let account = {
            let mut accounts = self.accounts.lock().expect("upload places");
            accounts
                .entry(user)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_account)))
                .clone()
        };
        let admitted = tokio::time::timeout(self.wait, async {
            permit.place = Some(account.acquire_owned().await.ok()?);
            permit.bytes = Some(self.budget.clone().acquire_many_owned(units).await.ok()?);
            Some(())
        })
        .await;
        match admitted {
            Ok(Some(())) => Ok(permit),
            _ => {
                metrics::counter!("souk_uploads_turned_away_total").increment(1);
                Err(ApiError::Unavailable(
                    "too many uploads under way; retry in a few seconds".into(),
                ))
            }
        }
    }

    /// Accounts with an upload under way or waiting (for tests and metrics).
    pub fn accounts_waiting(&self) -> usize {
        self.accounts.lock().expect("upload places").len()
    }
}

impl Drop for UploadPermit {
    fn drop(&mut self) {
        self.bytes.take();
        self.place.take();
        // The account's entry goes once nobody holds or awaits one of its places: a clone
        // exists only in the map then (waiters clone it under this same lock).
        let mut accounts = self.gate.accounts.lock().expect("upload places");
        if accounts
            .get(&self.user)
            .is_some_and(|s| Arc::strong_count(s) == 1)
        {
            accounts.remove(&self.user);
        }
    }
}
