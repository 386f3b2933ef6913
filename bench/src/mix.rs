//! The fixed query mix: five kinds, generated from a seeded RNG so every run asks the same.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use souk_search::{IntRange, Near, SearchRequest, Sort};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    A,
    B,
    C,
    D,
    E,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::A, Kind::B, Kind::C, Kind::D, Kind::E];

    pub fn letter(self) -> char {
        match self {
            Kind::A => 'a',
            Kind::B => 'b',
            Kind::C => 'c',
            Kind::D => 'd',
            Kind::E => 'e',
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::A => "(a) text only",
            Kind::B => "(b) text + category subtree + wilaya",
            Kind::C => "(c) category + attributes + price, by price",
            Kind::D => "(d) text + facet counts",
            Kind::E => "(e) radius + category, by distance",
        }
    }
}

#[derive(Debug, Clone)]
pub struct BenchQuery {
    pub kind: Kind,
    pub q: Option<String>,
    pub category: Option<String>,
    pub wilaya: Option<i32>,
    pub fuel: Option<String>,
    pub year_min: Option<i64>,
    pub price: Option<(i64, i64)>,
    pub near: Option<(f64, f64, f64)>,
    pub sort: Sort,
    pub facets: bool,
}

const WORDS: &[&str] = &[
    "peugeot",
    "renault",
    "samsung",
    "iphone",
    "appartement",
    "villa",
    "propre",
    "جديد",
    "للبيع",
    "نظيفة",
    "clio",
    "golf",
    "terrain",
    "location",
    "hyundai",
    "xiaomi",
    "frigo",
    "climatiseur",
    "كراء",
    "شقة",
];
const CAR_WORDS: &[&str] = &[
    "peugeot", "renault", "clio", "golf", "hyundai", "kia", "dacia", "toyota", "diesel", "بيجو",
];
const NODES: &[&str] = &[
    "vehicles",
    "phones",
    "real-estate",
    "computers",
    "home-appliances",
];
const BIG_WILAYAS: &[i32] = &[16, 31, 25, 9, 19, 6, 15, 5, 23, 13];
const FUELS: &[&str] = &["petrol", "diesel", "lpg", "hybrid", "electric"];

pub fn mix(per_kind: usize, seed: u64) -> Vec<BenchQuery> {
    let mut rng = StdRng::seed_from_u64(seed);
    let geo = souk_domain::geography();
    let mut out = Vec::new();
    for kind in Kind::ALL {
        for _ in 0..per_kind {
            let mut q = BenchQuery {
                kind,
                q: None,
                category: None,
                wilaya: None,
                fuel: None,
                year_min: None,
                price: None,
                near: None,
                sort: Sort::Relevance,
                facets: false,
            };
            match kind {
                Kind::A => q.q = Some(WORDS.choose(&mut rng).unwrap().to_string()),
                Kind::B => {
                    q.q = Some(WORDS.choose(&mut rng).unwrap().to_string());
                    q.category = Some(NODES.choose(&mut rng).unwrap().to_string());
                    q.wilaya = Some(*BIG_WILAYAS.choose(&mut rng).unwrap());
                }
                Kind::C => {
                    q.category = Some("cars".into());
                    q.fuel = Some(FUELS.choose(&mut rng).unwrap().to_string());
                    q.year_min = Some(rng.gen_range(2005..2022));
                    let lo = rng.gen_range(3..40) * 100_000;
                    q.price = Some((lo, lo + rng.gen_range(5..60) * 100_000));
                    q.sort = Sort::PriceAsc;
                }
                Kind::D => {
                    q.q = Some(CAR_WORDS.choose(&mut rng).unwrap().to_string());
                    q.category = Some("cars".into());
                    q.facets = true;
                }
                Kind::E => {
                    let w = geo.wilaya(*BIG_WILAYAS.choose(&mut rng).unwrap()).unwrap();
                    q.near = Some((w.lat, w.lon, rng.gen_range(10..60) as f64));
                    q.category = Some(NODES.choose(&mut rng).unwrap().to_string());
                    q.sort = Sort::Distance;
                }
            }
            out.push(q);
        }
    }
    out
}

impl BenchQuery {
    pub fn request(&self) -> SearchRequest {
        let mut r = SearchRequest {
            q: self.q.clone(),
            category: self.category.clone(),
            wilayas: self.wilaya.into_iter().collect(),
            sort: Some(self.sort),
            limit: 20,
            facets: self.facets,
            ..Default::default()
        };
        if let Some(f) = &self.fuel {
            r.enums.insert("fuel".into(), vec![f.clone()]);
        }
        if let Some(y) = self.year_min {
            r.ints.insert(
                "year".into(),
                IntRange {
                    min: Some(y),
                    max: None,
                },
            );
        }
        if let Some((lo, hi)) = self.price {
            r.price = IntRange {
                min: Some(lo),
                max: Some(hi),
            };
        }
        if let Some((lat, lon, radius_km)) = self.near {
            r.near = Some(Near {
                lat,
                lon,
                radius_km,
            });
        }
        r
    }

    pub fn http_query(&self) -> Vec<(String, String)> {
        let mut p: Vec<(String, String)> = vec![
            ("limit".into(), "20".into()),
            ("sort".into(), self.sort.as_str().into()),
        ];
        p.push(("facets".into(), self.facets.to_string()));
        let mut add = |k: &str, v: String| p.push((k.into(), v));
        if let Some(q) = &self.q {
            add("q", q.clone());
        }
        if let Some(c) = &self.category {
            add("category", c.clone());
        }
        if let Some(w) = self.wilaya {
            add("wilaya", w.to_string());
        }
        if let Some(f) = &self.fuel {
            add("fuel", f.clone());
        }
        if let Some(y) = self.year_min {
            add("year_min", y.to_string());
        }
        if let Some((lo, hi)) = self.price {
            add("price_min", lo.to_string());
            add("price_max", hi.to_string());
        }
        if let Some((lat, lon, r)) = self.near {
            add("near", format!("{lat},{lon}"));
            add("radius_km", r.to_string());
        }
        p
    }

    /// Leaf slugs of the category filter, for SQL.
    pub fn leaves(&self) -> Vec<String> {
        self.category
            .as_deref()
            .map(|c| {
                souk_domain::catalog()
                    .leaves_under(c)
                    .into_iter()
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }
}
