//! souk's search: a tantivy index that is a projection of the database's active listings.
//! It knows domain types only; the caller feeds it `ListingDoc`s from the change feed.

pub mod analysis;
pub mod cache;
pub mod cells;
pub mod collect;
pub mod columns;
pub mod content;
pub mod doc;
pub mod engine;
pub mod explain;
pub mod index;
pub mod intent;
pub mod params;
pub mod peers;
pub mod promoted;
pub mod query;
pub mod request;
pub mod results;
pub mod schema;
pub mod signals;
pub mod similar;
pub mod snapshot;
pub mod sound;
pub mod spelling;
pub mod suggest;
pub mod terms;
pub mod text;

pub use doc::{ListingDoc, StoreRef, Summary};
pub use index::{Checkpoint, SearchIndex};
pub use request::{IntRange, Near, SearchRequest, Sort};
pub use results::{CategoryCount, Facets, Hit, SearchResults};

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("index: {0}")]
    Index(String),
    #[error("malformed cursor")]
    BadCursor,
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

impl From<tantivy::TantivyError> for SearchError {
    fn from(e: tantivy::TantivyError) -> Self {
        SearchError::Index(e.to_string())
    }
}
