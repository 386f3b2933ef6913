use std::sync::Arc;

use souk_store::{DbConn, Pool};
use tokio::sync::Notify;

use crate::auth::jwt::JwtKeys;
use crate::config::Config;
use crate::error::ApiError;
use crate::indexing::SearchService;
use crate::ratelimit::RateLimiter;
use crate::view_counts::ViewCounter;
use souk_worker::RedisLink;

/// What every handler can reach. Cheap to clone: everything inside is shared.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    /// Transactions (on SQLite the one writer connection).
    pub pool: Pool,
    /// Reads that need no lock (on SQLite read-only connections beside the writer; on
    /// PostgreSQL the same pool as `pool`).
    pub reader: Pool,
    pub jwt: Arc<JwtKeys>,
    pub limiter: Arc<RateLimiter>,
    /// Notified after a request commits a job, so the embedded runner starts at once.
    pub jobs_wake: Arc<Notify>,
    /// This process's search index.
    pub search: Arc<SearchService>,
    pub redis: Option<RedisLink>,
    pub views: Arc<ViewCounter>,
}

impl AppState {
    /// After a commit that queued a job: wakes the embedded runner at once, and every
    /// `souk-worker` through Redis.
    pub async fn wake_worker(&self) {
        self.jobs_wake.notify_one();
        if let Some(r) = &self.redis {
            r.publish_wake().await;
        }
    }

    /// Removes the files of photos whose rows are gone (after the commit); see
    /// `souk_store::photos::remove_photo_files`.
    pub async fn remove_photo_files(&self, keys: Vec<String>) {
        let dir = self.config.photos_dir.clone();
        let _ = tokio::task::spawn_blocking(move || {
            souk_store::photos::remove_photo_files(&dir, &keys)
        })
        .await;
    }

    /// Runs blocking diesel reads on the blocking thread pool with a pooled read connection.
    /// On SQLite the connection is read-only: a write through it fails, use `tx`.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
    {
        Self::on(self.reader.clone(), f).await
    }

    async fn on<T, F>(pool: Pool, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
    {
        actix_web::web::block(move || {
            let mut conn = pool
                .get()
                .map_err(|e| ApiError::Unavailable(format!("database: {e}")))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("blocking task: {e}")))?
    }

    /// Like `db`, inside one transaction: everything `f` writes commits together or not at all.
    pub async fn tx<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
    {
        Self::on(self.pool.clone(), move |conn| {
            souk_store::db::write_transaction(conn, f)
        })
        .await
    }
}
