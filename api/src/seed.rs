//! Demo data: realistic Arabic and French ads across every leaf category and wilaya, from
//! `domain/reference/demo_corpus.json`. Every generated ad passes the same validation as a
//! posted one. Bulk inserts in batches; 1,000,000 ads fit in minutes on PostgreSQL.

use std::collections::HashMap;

use chrono::Duration;
use diesel::Connection;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use souk_domain::attributes::{AttributeKind, AttributeSpec};
use souk_domain::{catalog, geography, Category, ListingDraft, ListingStatus};
use souk_store::listings::{insert_listings_bulk, ListingContent, NewListingRow};
use souk_store::users::{create_user, find_user_by_email, NewUser};
use souk_store::{now, Pool, StoreError};

use crate::auth::password::hash_password;

const CORPUS_JSON: &str = include_str!("../../domain/reference/demo_corpus.json");
/// Every demo account has this password, so a visitor can sign in as a seller.
pub const DEMO_PASSWORD: &str = "demo-password";
const BATCH: usize = 1000;

#[derive(Debug, Deserialize)]
struct LeafCorpus {
    price_min: i64,
    price_max: i64,
    titles_fr: Vec<String>,
    titles_ar: Vec<String>,
    descriptions_fr: Vec<String>,
    descriptions_ar: Vec<String>,
    #[serde(default)]
    models: HashMap<String, Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("corpus: {0}")]
    Corpus(String),
    #[error("pool: {0}")]
    Pool(String),
}

const FIRST_NAMES: &[&str] = &[
    "Amine", "Yacine", "Sofiane", "Karim", "Nassim", "Walid", "Riad", "Mehdi", "Bilal", "Samir",
    "Fateh", "Hichem", "Lamine", "Ilyes", "Anis", "Sara", "Amina", "Lina", "Meriem", "Yasmine",
    "Nour", "Imane", "Khadidja", "Rania", "Feriel", "Lydia", "Asma", "Souad", "Djamel", "Mourad",
];

pub struct SeedReport {
    pub inserted: usize,
    pub skipped_invalid: usize,
}

/// Inserts `count` listings spread over `users` demo sellers (created or reused).
pub fn seed(
    pool: &Pool,
    count: usize,
    users: usize,
    seed: u64,
    progress: bool,
) -> Result<SeedReport, SeedError> {
    let corpus: HashMap<String, LeafCorpus> =
        serde_json::from_str(CORPUS_JSON).map_err(|e| SeedError::Corpus(e.to_string()))?;
    let leaves: Vec<&Category> = catalog().leaves().collect();
    for leaf in &leaves {
        if !corpus.contains_key(&leaf.slug) {
            return Err(SeedError::Corpus(format!("no corpus for {}", leaf.slug)));
        }
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut conn = pool.get().map_err(|e| SeedError::Pool(e.to_string()))?;
    let user_ids = demo_users(&mut conn, users.max(1), &mut rng)?;

    let bar = if progress {
        ProgressBar::new(count as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} seeding [{bar:40}] {pos}/{len} listings ({per_sec}, eta {eta})",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    let communes = geography().communes();
    let mut report = SeedReport {
        inserted: 0,
        skipped_invalid: 0,
    };
    let mut batch = Vec::with_capacity(BATCH);
    let t0 = now();
    while report.inserted + batch.len() < count {
        let leaf = leaves[rng.gen_range(0..leaves.len())];
        let commune = &communes[rng.gen_range(0..communes.len())];
        let draft = demo_draft(leaf, &corpus[&leaf.slug], commune, &mut rng);
        let valid = match draft.validate(catalog(), geography()) {
            Ok(v) => v,
            Err(e) => {
                report.skipped_invalid += 1;
                if report.skipped_invalid > count / 10 + 100 {
                    return Err(SeedError::Corpus(format!(
                        "too many invalid demo ads, e.g. {:?}",
                        e.0
                    )));
                }
                continue;
            }
        };
        let age = Duration::seconds(rng.gen_range(0..59 * 86_400));
        let created = t0 - age;
        let roll: f64 = rng.gen();
        let (status, expires) = if roll < 0.90 {
            (ListingStatus::Active, created + Duration::days(60))
        } else if roll < 0.95 {
            (ListingStatus::Sold, created + Duration::days(60))
        } else {
            (
                ListingStatus::Expired,
                t0 - Duration::hours(rng.gen_range(1..200)),
            )
        };
        batch.push(NewListingRow {
            user_id: user_ids[rng.gen_range(0..user_ids.len())],
            content: ListingContent::of(&valid),
            status: status.as_str().into(),
            views: rng.gen_range(0..500),
            created_at: created,
            updated_at: created,
            expires_at: expires,
        });
        if batch.len() == BATCH || report.inserted + batch.len() == count {
            let n = conn.transaction(|c| insert_listings_bulk(c, &batch))?;
            report.inserted += n;
            bar.inc(n as u64);
            batch.clear();
        }
    }
    bar.finish();
    // The planner's statistics for what was just loaded: without them SQLite picked an index
    // that walks every active ad for a lookup by seller (issue 22).
    souk_store::writer::analyze_after_bulk_load(&mut conn)?;
    tracing::info!(
        inserted = report.inserted,
        skipped = report.skipped_invalid,
        "demo data seeded"
    );
    Ok(report)
}

fn demo_users(
    conn: &mut souk_store::DbConn,
    n: usize,
    rng: &mut StdRng,
) -> Result<Vec<i64>, SeedError> {
    let hash = hash_password(DEMO_PASSWORD).map_err(|e| SeedError::Corpus(e.to_string()))?;
    let mut ids = Vec::with_capacity(n);
    for i in 1..=n {
        let email = format!("demo{i}@souk.local");
        if let Some(u) = find_user_by_email(conn, &email)? {
            ids.push(u.id);
            continue;
        }
        let name = FIRST_NAMES.choose(rng).copied().unwrap_or("Demo");
        let phone = format!("+2135{:08}", rng.gen_range(0..100_000_000));
        let phone = if rng.gen_bool(0.6) {
            Some(phone.as_str())
        } else {
            None
        };
        let u = create_user(
            conn,
            NewUser {
                email: &email,
                password_hash: &hash,
                display_name: name,
                phone,
                language: ["ar", "fr", "en"][rng.gen_range(0..3)],
            },
        )?;
        ids.push(u.id);
    }
    Ok(ids)
}

fn demo_draft(
    leaf: &Category,
    corpus: &LeafCorpus,
    commune: &souk_domain::Commune,
    rng: &mut StdRng,
) -> ListingDraft {
    let arabic = rng.gen_bool(0.5);
    let lang = if arabic { "ar" } else { "fr" };
    let mut attributes = serde_json::Map::new();
    let mut words: HashMap<&str, String> = HashMap::new();
    for spec in &leaf.attributes {
        if !spec.required && rng.gen_bool(0.2) {
            continue;
        }
        let value = demo_value(spec, corpus, &attributes, rng);
        if let Some(label) = value
            .as_str()
            .and_then(|v| spec.option(v))
            .map(|o| o.label.get(lang).to_string())
        {
            words.insert(spec.key.as_str(), label);
        } else {
            words.insert(
                spec.key.as_str(),
                value.to_string().trim_matches('"').to_string(),
            );
        }
        attributes.insert(spec.key.clone(), value);
    }
    let (commune_name, wilaya_name) = match geography().wilaya(commune.wilaya_code) {
        Some(w) if arabic => (commune.name_ar.clone(), w.name_ar.clone()),
        Some(w) => (commune.name_latin.clone(), w.name_latin.clone()),
        None => (commune.name_latin.clone(), String::new()),
    };
    words.insert("commune", commune_name);
    words.insert("wilaya", wilaya_name);
    let (titles, descriptions) = if arabic {
        (&corpus.titles_ar, &corpus.descriptions_ar)
    } else {
        (&corpus.titles_fr, &corpus.descriptions_fr)
    };
    let title: String = fill(
        titles.choose(rng).map(String::as_str).unwrap_or("Annonce"),
        &words,
    )
    .chars()
    .take(120)
    .collect();
    let description = fill(
        descriptions
            .choose(rng)
            .map(String::as_str)
            .unwrap_or("Bon état, prix négociable."),
        &words,
    );
    let price = if rng.gen_bool(0.05) {
        None
    } else {
        let raw = rng.gen_range(corpus.price_min..=corpus.price_max);
        let step = if raw > 100_000 { 10_000 } else { 500 };
        Some((raw / step).max(1) * step)
    };
    ListingDraft {
        title: pad(title, 5),
        description: pad(description, 10),
        category: leaf.slug.clone(),
        attributes,
        price,
        negotiable: rng.gen_bool(0.5),
        exchange: rng.gen_bool(0.15),
        wilaya: commune.wilaya_code,
        commune: commune.id,
        location: None,
        show_phone: rng.gen_bool(0.5),
        // Demo prices come from the corpus's own ranges, not the catalog's bands.
        price_confirmed: true,
        delivery: souk_domain::Delivery::None,
    }
}

fn demo_value(
    spec: &AttributeSpec,
    corpus: &LeafCorpus,
    so_far: &serde_json::Map<String, serde_json::Value>,
    rng: &mut StdRng,
) -> serde_json::Value {
    use serde_json::json;
    match &spec.kind {
        AttributeKind::Enum { options } => json!(options[rng.gen_range(0..options.len())].value),
        AttributeKind::Bool => json!(rng.gen_bool(0.5)),
        AttributeKind::Text { max_len } => {
            let brand = so_far
                .get("brand")
                .and_then(|b| b.as_str())
                .unwrap_or("other");
            let model = corpus
                .models
                .get(brand)
                .and_then(|m| m.choose(rng))
                .cloned()
                .unwrap_or_else(|| "standard".into());
            json!(model.chars().take(*max_len).collect::<String>())
        }
        AttributeKind::Integer { min, max, .. } => {
            let (lo, hi) = match spec.key.as_str() {
                "year" => ((*max - 25).max(*min), (*max - 1).max(*min)),
                "mileage_km" => (0, 350_000),
                "rooms" => (1, 7),
                "surface_m2" => (35, 450),
                "storage_gb" => {
                    return json!([32, 64, 128, 256, 512][rng.gen_range(0..5)].clamp(*min, *max))
                }
                "ram_gb" => return json!([4, 8, 16, 32][rng.gen_range(0..4)].clamp(*min, *max)),
                _ => (*min, (*min + 60).min(*max)),
            };
            json!(rng.gen_range(lo.max(*min)..=hi.min(*max).max(lo.max(*min))))
        }
    }
}

/// Replaces `{key}` placeholders; an unknown one disappears rather than showing braces.
fn fill(template: &str, words: &HashMap<&str, String>) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                let key = &rest[start + 1..start + end];
                out.push_str(words.get(key).map(String::as_str).unwrap_or(""));
                rest = &rest[start + end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn pad(mut s: String, min: usize) -> String {
    while s.chars().count() < min {
        s.push_str(" ·");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_or_dropped() {
        let words = HashMap::from([
            ("brand", "Peugeot".to_string()),
            ("year", "2019".to_string()),
        ]);
        assert_eq!(
            fill("Vends {brand} {model} {year}", &words),
            "Vends Peugeot 2019"
        );
    }

    #[test]
    fn every_leaf_yields_valid_demo_ads() {
        let corpus: HashMap<String, LeafCorpus> = serde_json::from_str(CORPUS_JSON).unwrap();
        let mut rng = StdRng::seed_from_u64(7);
        let communes = geography().communes();
        for leaf in catalog().leaves() {
            for i in 0..20 {
                let d = demo_draft(
                    leaf,
                    &corpus[&leaf.slug],
                    &communes[(i * 77) % communes.len()],
                    &mut rng,
                );
                if let Err(e) = d.clone().validate(catalog(), geography()) {
                    panic!("{}: {:?} from {:?}", leaf.slug, e.0, d);
                }
            }
        }
    }
}
