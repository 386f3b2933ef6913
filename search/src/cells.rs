//! Geographic cells as indexed terms: each ad is indexed in a grid cell at several sizes, and
//! a radius query turns into the handful of cells covering its bounding box. Exact distance
//! (`geo`'s haversine) then runs on those candidates only.

use geo::{Distance, Haversine, Point};

/// Cell sizes in degrees, from about 5.5 km to 440 km of latitude.
const LEVELS: [f64; 4] = [0.05, 0.25, 1.0, 4.0];
/// A query uses the finest level that covers its box with at most this many cells.
const MAX_CELLS: usize = 36;
pub const KM_PER_DEGREE: f64 = 111.195;

fn cell(level: usize, lat: f64, lon: f64) -> u64 {
    let size = LEVELS[level];
    let row = ((lat + 90.0) / size).floor().max(0.0) as u64;
    let col = ((lon + 180.0) / size).floor().max(0.0) as u64;
    ((level as u64) << 48) | (row << 24) | col
}

/// The cells of a point, one per level: what the index stores.
pub fn cells_of(lat: f64, lon: f64) -> Vec<u64> {
    (0..LEVELS.len()).map(|l| cell(l, lat, lon)).collect()
}

/// Latitude/longitude box around a circle (conservative near the poles, irrelevant in Algeria).
pub fn bounding_box(lat: f64, lon: f64, radius_km: f64) -> (f64, f64, f64, f64) {
    let dlat = radius_km / KM_PER_DEGREE;
    let dlon = radius_km / (KM_PER_DEGREE * lat.to_radians().cos().max(0.01));
    (lat - dlat, lon - dlon, lat + dlat, lon + dlon)
}

/// The cells covering the circle's bounding box, at the finest level that needs few of them.
pub fn covering(lat: f64, lon: f64, radius_km: f64) -> Vec<u64> {
    let (min_lat, min_lon, max_lat, max_lon) = bounding_box(lat, lon, radius_km);
    for (level, size) in LEVELS.iter().enumerate() {
        let rows = ((max_lat + 90.0) / size).floor() - ((min_lat + 90.0) / size).floor() + 1.0;
        let cols = ((max_lon + 180.0) / size).floor() - ((min_lon + 180.0) / size).floor() + 1.0;
        if (rows * cols) as usize <= MAX_CELLS || level == LEVELS.len() - 1 {
            let mut out = Vec::new();
            let mut r = min_lat;
            while r < max_lat + size {
                let mut c = min_lon;
                while c < max_lon + size {
                    out.push(cell(level, r.min(max_lat), c.min(max_lon)));
                    c += size;
                }
                r += size;
            }
            out.sort_unstable();
            out.dedup();
            return out;
        }
    }
    Vec::new()
}

/// Great-circle distance in kilometres.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    Haversine.distance(Point::new(a.1, a.0), Point::new(b.1, b.0)) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_within_the_radius_shares_a_covering_cell() {
        let center = (36.75, 3.06);
        for radius in [1.0, 5.0, 20.0, 80.0, 300.0] {
            let cover = covering(center.0, center.1, radius);
            assert!(
                cover.len() <= MAX_CELLS || radius > 200.0,
                "{radius}: {}",
                cover.len()
            );
            // Points on the circle in eight directions.
            for k in 0..8 {
                let a = (k as f64) * std::f64::consts::PI / 4.0;
                let d = radius * 0.97 / KM_PER_DEGREE;
                let p = (
                    center.0 + d * a.sin(),
                    center.1 + d * a.cos() / center.0.to_radians().cos(),
                );
                assert!(distance_km(center, p) <= radius * 1.001);
                assert!(
                    cells_of(p.0, p.1).iter().any(|c| cover.contains(c)),
                    "radius {radius} dir {k}"
                );
            }
        }
    }

    #[test]
    fn algiers_to_oran() {
        let d = distance_km((36.7538, 3.0588), (35.6971, -0.6308));
        assert!((350.0..370.0).contains(&d), "{d}");
    }
}
