/// Everything the store can fail with. Callers map `NotFound` and `Conflict` to 4xx;
/// the rest are server faults.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; the string names which (`email_taken`, ...).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("connection pool: {0}")]
    Pool(String),
    #[error("migrations: {0}")]
    Migration(String),
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The file storage (local folder or bucket) failed or is unreachable.
    #[error("file storage: {0}")]
    Files(String),
}

impl StoreError {
    /// Maps a unique violation to `Conflict(what)`, leaves every other error as it is.
    pub fn unique_as(e: diesel::result::Error, what: &'static str) -> StoreError {
        match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => StoreError::Conflict(what),
            other => StoreError::Database(other),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
