use std::sync::Arc;

use souk_store::{DbConn, Pool, StoreError};
use tokio::sync::Notify;

use crate::auth::jwt::JwtKeys;
use crate::config::Config;
use crate::error::ApiError;
use crate::ratelimit::RateLimiter;

/// What every handler can reach. Cheap to clone: everything inside is shared.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: Pool,
    pub jwt: Arc<JwtKeys>,
    pub limiter: Arc<RateLimiter>,
    /// Notified after a request commits a job, so the embedded runner starts at once.
    pub jobs_wake: Arc<Notify>,
}

impl AppState {
    /// Runs blocking diesel work on the blocking thread pool with a pooled connection.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
    {
        let pool = self.pool.clone();
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
        use diesel::Connection;
        self.db(move |conn| {
            conn.transaction::<T, TxError, _>(|c| f(c).map_err(TxError::Api))
                .map_err(ApiError::from)
        })
        .await
    }
}

/// Lets an `ApiError` abort a diesel transaction and come out unchanged.
enum TxError {
    Api(ApiError),
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for TxError {
    fn from(e: diesel::result::Error) -> Self {
        TxError::Db(e)
    }
}

impl From<TxError> for ApiError {
    fn from(e: TxError) -> Self {
        match e {
            TxError::Api(a) => a,
            TxError::Db(d) => ApiError::from(StoreError::Database(d)),
        }
    }
}
