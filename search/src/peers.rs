//! Fair-price comparables from the index: the ads sharing an ad's peer key, read from one
//! posting list, filtered by the bands on integer columns, their prices from the price column.

use souk_domain::price_hint::Peers;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocSet, Term, TERMINATED};

use crate::index::SearchIndex;
use crate::terms::peer_term;
use crate::SearchError;

/// Comparables read at most: quartiles of this many prices are as good as of all.
const MAX_COMPARABLES: usize = 5000;

impl SearchIndex {
    /// Prices of the active ads comparable to an ad (same peer key, within every band): one
    /// per seller (a dealer's ten ads, or ten fake ones, are one opinion), the ad's own seller
    /// (`except_seller`) left out.
    pub fn comparable_prices(
        &self,
        peers: &Peers,
        except_seller: Option<i64>,
        now_us: i64,
    ) -> Result<Vec<i64>, SearchError> {
        let mut sellers = std::collections::HashSet::new();
        if let Some(s) = except_seller {
            sellers.insert(s as u64);
        }
        let searcher = self.reader.searcher();
        let term = Term::from_field_u64(self.fields.peer, peer_term(&peers.key));
        let bands: Vec<(tantivy::schema::Field, i64, i64)> = peers
            .bands
            .iter()
            .filter_map(|b| Some((*self.fields.ints.get(&b.key)?, b.min, b.max)))
            .collect();
        let mut prices = Vec::new();
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(self.fields.peer)?;
            let Some(mut postings) = inverted.read_postings(&term, IndexRecordOption::Basic)?
            else {
                continue;
            };
            let columns = self.columns.get(segment, &self.fields)?;
            let price = &columns.ints[&self.fields.price];
            let alive = segment.alive_bitset();
            let mut doc = postings.doc();
            while doc != TERMINATED && prices.len() < MAX_COMPARABLES {
                let keep = alive.is_none_or(|a| a.is_alive(doc))
                    && columns.expires.first(doc).is_none_or(|e| e > now_us)
                    && bands.iter().all(|(f, min, max)| {
                        columns.ints[f]
                            .first(doc)
                            .is_some_and(|v| (*min..=*max).contains(&v))
                    });
                if keep {
                    if let (Some(p), Some(s)) = (price.first(doc), columns.seller.first(doc)) {
                        if sellers.insert(s) {
                            prices.push(p);
                        }
                    }
                }
                doc = postings.advance();
            }
        }
        Ok(prices)
    }
}
