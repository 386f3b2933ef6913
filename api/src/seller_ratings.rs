//! Sellers' rating averages for result lists: every hit carries its seller's average and
//! count. Kept in memory and refreshed from the database every `SOUK_RATINGS_REFRESH_SECS`,
//! so a search page never waits on a database query; a new rating shows in lists within that
//! time (profiles and ads read the database directly).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::Serialize;
use souk_store::Pool;
use tokio::sync::watch;
use utoipa::ToSchema;

/// A seller's average and number of visible ratings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct SellerRating {
    /// 1–5, one decimal.
    pub average: f64,
    pub count: i64,
}

#[derive(Default)]
pub struct SellerRatings {
    by_seller: RwLock<Arc<HashMap<i64, SellerRating>>>,
}

impl SellerRatings {
    pub fn get(&self, seller: i64) -> Option<SellerRating> {
        self.by_seller
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&seller)
            .copied()
    }

    /// Reads every visible rating again.
    pub fn refresh(&self, pool: &Pool) -> Result<usize, souk_store::StoreError> {
        let mut conn = pool
            .get()
            .map_err(|e| souk_store::StoreError::Pool(e.to_string()))?;
        let rows = souk_store::ratings::visible_summaries(&mut conn)?;
        let map: HashMap<i64, SellerRating> = rows
            .into_iter()
            .map(|(user, count, average)| (user, SellerRating { average, count }))
            .collect();
        let n = map.len();
        *self.by_seller.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(map);
        Ok(n)
    }

    /// Refreshes every `every` until `stop`.
    pub async fn run(
        self: Arc<Self>,
        pool: Pool,
        every: Duration,
        mut stop: watch::Receiver<bool>,
    ) {
        loop {
            let (me, p) = (self.clone(), pool.clone());
            match tokio::task::spawn_blocking(move || me.refresh(&p)).await {
                Ok(Ok(n)) => tracing::debug!(sellers = n, "seller ratings refreshed"),
                Ok(Err(e)) => tracing::warn!(error = %e, "seller ratings refresh failed"),
                Err(e) => tracing::warn!(error = %e, "seller ratings refresh panicked"),
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => return,
            }
        }
    }
}
