//! Results of identical requests, kept briefly. The first page of browse ("latest ads", a
//! category in a wilaya) is asked by many buyers at once, and without words its cost is a pass
//! over every matching ad (13 ms for all 900 k ads). An entry serves only while the index is
//! unchanged (every commit of the feed follower moves the version) and for at most a second of
//! the request's clock, so an ad that expires drops out within a second, as a sweep would do.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::results::SearchResults;

/// How long (in the request's clock, microseconds) an entry serves.
const MAX_AGE_US: i64 = 1_000_000;
/// Entries kept at most; when full the cache starts over (hot requests come back at once).
const MAX_ENTRIES: usize = 1024;

#[derive(Default)]
pub struct ResultCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    version: u64,
    entries: HashMap<String, (i64, SearchResults)>,
}

impl ResultCache {
    pub fn get(&self, version: u64, key: &str, now_us: i64) -> Option<SearchResults> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.version != version {
            return None;
        }
        inner
            .entries
            .get(key)
            .filter(|(at, _)| (0..MAX_AGE_US).contains(&(now_us - at)))
            .map(|(_, r)| r.clone())
    }

    pub fn put(&self, version: u64, key: String, now_us: i64, results: &SearchResults) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        // A search that began before a commit must not push out entries of the newer index.
        if version < inner.version {
            return;
        }
        if inner.version != version || inner.entries.len() >= MAX_ENTRIES {
            inner.entries.clear();
            inner.version = version;
        }
        inner.entries.insert(key, (now_us, results.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results(total: u64) -> SearchResults {
        SearchResults {
            total,
            hits: vec![],
            facets: None,
            next_cursor: None,
            fuzzy: false,
            partial: false,
            related: false,
            promoted: vec![],
        }
    }

    #[test]
    fn entries_serve_one_version_for_one_second() {
        let c = ResultCache::default();
        c.put(1, "k".into(), 10_000_000, &results(7));
        assert_eq!(c.get(1, "k", 10_500_000).map(|r| r.total), Some(7));
        assert!(c.get(1, "k", 11_000_000).is_none(), "a second later");
        assert!(c.get(1, "k", 9_000_000).is_none(), "an earlier clock");
        assert!(c.get(2, "k", 10_500_000).is_none(), "after a commit");
        assert!(c.get(1, "other", 10_500_000).is_none());
        c.put(3, "k".into(), 10_000_000, &results(8));
        c.put(2, "k".into(), 10_000_000, &results(6));
        assert_eq!(
            c.get(3, "k", 10_000_000).map(|r| r.total),
            Some(8),
            "an older put is ignored"
        );
    }
}
