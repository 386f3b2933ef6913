//! Random tokens and their hashes live in the store (the worker mints renewal tokens too).
pub use souk_store::secret::{constant_time_eq, random_hex, random_token, token_hash};
