use std::sync::Arc;

use souk_store::writer::WriterUse;
use souk_store::{DbConn, Pool};
use tokio::sync::Notify;

use crate::auth::jwt::JwtKeys;
use crate::bounded::BoundedWork;
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
    /// Session generations moved recently (bans, deletions, resets): older tokens refused.
    pub generations: Arc<crate::auth::generations::TokenGenerations>,
    pub limiter: Arc<RateLimiter>,
    /// Notified after a request commits a job, so the embedded runner starts at once.
    pub jobs_wake: Arc<Notify>,
    /// This process's search index.
    pub search: Arc<SearchService>,
    pub redis: Option<RedisLink>,
    pub views: Arc<ViewCounter>,
    /// Sellers' rating averages for result lists.
    pub seller_ratings: Arc<crate::seller_ratings::SellerRatings>,
    /// argon2id runs (19 MiB and tens of milliseconds of a core each): one per core at once.
    /// Half the cores was tried: login p99 went from 0.24 to 0.78 s under the load benchmark
    /// while the read tail did not move.
    pub passwords: Arc<BoundedWork>,
    /// Image decodes (up to ~200 MB each): `SOUK_IMAGE_DECODE_SLOTS` at once.
    pub decodes: Arc<BoundedWork>,
    /// Wake-ups of live event streams (`GET /v1/me/events`), across processes over Redis.
    pub events: Arc<crate::live::EventHub>,
    /// Upload bodies read at once: a byte budget and a few per account (`upload_gate`).
    pub uploads: Arc<crate::upload_gate::UploadGate>,
    /// `/v1/search` queries: two per core at once, off the event loops.
    pub searches: Arc<BoundedWork>,
    /// Set when the process starts stopping (see shutdown.rs): `/readyz` answers 503 and
    /// connections close after their response.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
    /// A streaming replica for anonymous public reads, when configured.
    pub replica: Option<Arc<crate::replica::Replica>>,
    /// Photos, message photos and export archives (local folders or a bucket).
    pub files: souk_store::files::Files,
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

    /// After a commit that ended a user's sessions (`tokens::revoke_all_for_user`): this process
    /// refuses their older access tokens at once, the others within
    /// `auth::generations::POLL_EVERY`.
    pub async fn sessions_ended(&self, user_id: i64) {
        let generations = self.generations.clone();
        let learned = self
            .db(move |c| {
                let current = souk_store::tokens::generation(c, user_id)?;
                generations.learn([(user_id, current)]);
                Ok(())
            })
            .await;
        if let Err(e) = learned {
            tracing::warn!(user = user_id, error = %e, "ended sessions not learned at once");
        }
    }

    /// Removes the files of public images (ad photos, store images) whose rows are gone
    /// (after the commit); a failure leaves an orphan file and is logged.
    pub async fn remove_photo_files(&self, keys: Vec<String>) {
        self.files
            .remove_images(souk_store::files::Area::Photos, &keys)
            .await
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

    /// A public read (an ad, a profile, a store page): on the replica when one is configured,
    /// within its allowed lag, and the reader is not signed in; on the primary otherwise, so a
    /// signed-in user always reads their own writes.
    /// A read that fails on the replica for the server's reasons is read again on the primary.
    pub async fn public_db<T, F>(&self, viewer: Option<i64>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Clone + Send + 'static,
    {
        match (&self.replica, viewer) {
            (Some(r), None) if r.fresh() => {
                metrics::counter!("souk_public_reads_total", "on" => "replica").increment(1);
                match Self::on(r.pool.clone(), f.clone()).await {
                    Err(e) if actix_web::ResponseError::status_code(&e).is_server_error() => {
                        tracing::warn!(error = %e, "read replica failed a read: reading the primary");
                        r.failed();
                        self.db(f).await
                    }
                    done => done,
                }
            }
            _ => {
                metrics::counter!("souk_public_reads_total", "on" => "primary").increment(1);
                self.db(f).await
            }
        }
    }

    async fn on<T, F>(pool: Pool, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
    {
        blocking(move || f(&mut *pool.get().map_err(database_unavailable)?)).await
    }

    /// Like `db`, inside one transaction: everything `f` writes commits together or not at all.
    pub async fn tx<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
    {
        let pool = self.pool.clone();
        blocking(move || {
            let mut conn = souk_store::writer::take_writer(&pool, WriterUse::Request)
                .map_err(database_unavailable)?;
            souk_store::db::write_transaction(&mut conn, f)
        })
        .await
    }
}

/// Runs `f` on the blocking thread pool.
async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    actix_web::web::block(f)
        .await
        .map_err(|e| ApiError::Internal(format!("blocking task: {e}")))?
}

/// The pool could not give a connection. The cause (host, user, driver text) goes to the log,
/// never into the response.
pub fn database_unavailable(cause: impl std::fmt::Display) -> ApiError {
    tracing::error!(%cause, "database unavailable");
    ApiError::Unavailable("the database is unavailable; try again shortly".into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_database_failure_says_nothing_of_its_cause() {
        let cause = "could not connect to server: host db.internal user souk_admin";
        let problem = super::database_unavailable(cause).problem();
        assert_eq!(problem.status, 503);
        assert!(
            !problem.detail.contains("db.internal"),
            "{}",
            problem.detail
        );
        assert!(!problem.detail.contains("souk_admin"), "{}", problem.detail);
    }
}
