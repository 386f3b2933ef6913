//! Domain of souk: what a listing is and which rules it obeys, independent of HTTP and
//! of the database. The store, the API, the worker and the search index all speak these types.

pub mod account;
pub mod attributes;
pub mod category;
pub mod error;
pub mod geo;
pub mod language;
pub mod listing;
pub mod message_safety;
pub mod notifications;
pub mod price;
pub mod price_hint;
pub mod rating;
pub mod signals;
pub mod text;
pub mod trust;
pub mod visibility;

pub use attributes::{AttributeKind, AttributeSpec, AttributeValue, Attributes};
pub use category::{catalog, Catalog, Category};
pub use error::{FieldError, ValidationErrors};
pub use geo::{geography, Commune, Geography, Wilaya};
pub use language::{Language, Localized};
pub use listing::{Delivery, ListingDraft, ListingPatch, ListingStatus};
