//! The site's price list (`SOUK_PRODUCTS_FILE`), read with the configuration of `souk-api` and
//! `souk-worker` and put in force before anything prices a product; a list that does not parse
//! or makes no sense stops the start with its reason.

use souk_domain::visibility::{install, Products};

/// Reads `SOUK_PRODUCTS_FILE` when set (the bundled list otherwise) and puts it in force.
pub fn install_from_env() -> Result<(), String> {
    let products = match std::env::var("SOUK_PRODUCTS_FILE") {
        Ok(path) if !path.trim().is_empty() => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("SOUK_PRODUCTS_FILE {path}: {e}"))?;
            Products::parse(&text).map_err(|e| format!("SOUK_PRODUCTS_FILE {path}: {e}"))?
        }
        _ => Products::bundled(),
    };
    install(products)
}
