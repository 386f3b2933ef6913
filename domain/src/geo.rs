//! Wilayas and communes of Algeria, from `reference/geo/*.csv` (see its SOURCES.md).

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq)]
pub struct Wilaya {
    pub code: i32,
    pub name_latin: String,
    pub name_ar: String,
    /// The chef-lieu's point.
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Commune {
    /// ONS 2021 code as an integer; stable even for communes moved to a new wilaya in 2026.
    pub id: i32,
    pub wilaya_code: i32,
    pub name_latin: String,
    pub name_ar: String,
    pub lat: f64,
    pub lon: f64,
    pub postal_code: String,
}

#[derive(Debug)]
pub struct Geography {
    wilayas: Vec<Wilaya>,
    communes: Vec<Commune>,
    commune_index: HashMap<i32, usize>,
}

/// Algeria's bounding box, with a little margin: a point outside it is a typo or a lie.
pub const ALGERIA_BBOX: (f64, f64, f64, f64) = (18.8, -8.8, 37.2, 12.1);

impl Geography {
    pub fn from_csv(wilayas_csv: &str, communes_csv: &str) -> Result<Self, String> {
        let wilayas = rows(wilayas_csv, 5)
            .map(|f| {
                Ok(Wilaya {
                    code: parse(f[0])?,
                    name_latin: f[1].to_string(),
                    name_ar: f[2].to_string(),
                    lat: parse(f[3])?,
                    lon: parse(f[4])?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let communes = rows(communes_csv, 8)
            .map(|f| {
                Ok(Commune {
                    id: parse(f[0])?,
                    wilaya_code: parse(f[1])?,
                    name_latin: f[2].to_string(),
                    name_ar: f[3].to_string(),
                    lat: parse(f[4])?,
                    lon: parse(f[5])?,
                    postal_code: f[7].to_string(),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let commune_index = communes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, i))
            .collect();
        Ok(Geography {
            wilayas,
            communes,
            commune_index,
        })
    }

    pub fn wilayas(&self) -> &[Wilaya] {
        &self.wilayas
    }

    pub fn wilaya(&self, code: i32) -> Option<&Wilaya> {
        self.wilayas.iter().find(|w| w.code == code)
    }

    pub fn commune(&self, id: i32) -> Option<&Commune> {
        self.commune_index.get(&id).map(|&i| &self.communes[i])
    }

    pub fn communes_of(&self, wilaya: i32) -> impl Iterator<Item = &Commune> {
        self.communes
            .iter()
            .filter(move |c| c.wilaya_code == wilaya)
    }

    pub fn communes(&self) -> &[Commune] {
        &self.communes
    }
}

pub fn in_algeria(lat: f64, lon: f64) -> bool {
    let (min_lat, min_lon, max_lat, max_lon) = ALGERIA_BBOX;
    (min_lat..=max_lat).contains(&lat) && (min_lon..=max_lon).contains(&lon)
}

/// Great-circle distance in kilometres.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 6371.0088 * h.sqrt().asin()
}

/// Data rows split on commas; only the first `n` columns are used, and none of them is quoted.
fn rows(csv: &str, n: usize) -> impl Iterator<Item = Vec<&str>> {
    csv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(move |l| l.splitn(n + 1, ',').take(n).collect())
}

fn parse<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.trim().parse().map_err(|_| format!("bad number {s:?}"))
}

pub fn geography() -> &'static Geography {
    static GEO: OnceLock<Geography> = OnceLock::new();
    GEO.get_or_init(|| {
        Geography::from_csv(
            include_str!("../reference/geo/wilayas.csv"),
            include_str!("../reference/geo/communes.csv"),
        )
        .expect("reference/geo is valid")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_data_is_complete() {
        let g = geography();
        assert_eq!(g.wilayas().len(), 69);
        assert_eq!(g.communes().len(), 1541);
        assert_eq!(g.wilaya(16).unwrap().name_latin, "Alger");
        // Aflou keeps its Laghouat code but belongs to wilaya 59 since 2026.
        assert_eq!(g.commune(319).unwrap().wilaya_code, 59);
        for c in g.communes() {
            assert!(g.wilaya(c.wilaya_code).is_some());
            assert!(in_algeria(c.lat, c.lon), "{} outside Algeria", c.name_latin);
        }
    }

    #[test]
    fn distance_is_in_kilometres() {
        let algiers = (36.7538, 3.0588);
        let oran = (35.6971, -0.6308);
        let d = distance_km(algiers, oran);
        assert!((350.0..370.0).contains(&d), "{d}");
    }
}
