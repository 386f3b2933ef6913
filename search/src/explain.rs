//! Why each hit of a search is where it is: the clauses of the text query it met and what
//! each added to its score, and the demotions that lowered it (`intent`). For moderators
//! reporting a relevance bug with evidence; a search costs a few term lookups more per hit.

use serde::Serialize;
use tantivy::collector::DocSetCollector;
use tantivy::query::{Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Searcher, Term};

use crate::index::SearchIndex;
use crate::intent::Demoting;
use crate::query::{Matching, Plan};
use crate::request::SearchRequest;
use crate::results::SearchResults;
use crate::SearchError;

/// What one clause added to a hit's score.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Contribution {
    pub what: String,
    pub score: f32,
}

/// A factor that lowered a hit's score.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Demotion {
    pub what: String,
    pub factor: f32,
}

/// Why one hit ranks where it does.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Explanation {
    pub id: i64,
    /// The text score, demotions applied: the relevance order (ties go to the newer ad).
    /// Without words in the query, 0: the order is the sort's.
    pub score: f32,
    /// exact, fuzzy (one typo per long word) or partial (all words but one).
    pub matching: &'static str,
    /// The clauses the ad met, best first.
    pub clauses: Vec<Contribution>,
    pub demotions: Vec<Demotion>,
}

impl SearchIndex {
    /// Explains the hits and promoted ads of `results`, the answer of `req`.
    pub fn explain(
        &self,
        req: &SearchRequest,
        results: &SearchResults,
        now_us: i64,
    ) -> Result<Vec<Explanation>, SearchError> {
        let matching = Matching::from_flags(results.fuzzy, results.partial, results.related);
        let plan = self.plan_at(req, matching, now_us);
        let searcher = self.reader.searcher();
        let ids = results
            .promoted
            .iter()
            .chain(&results.hits)
            .map(|h| h.summary.id);
        let mut out = Vec::new();
        for id in ids {
            if let Some(address) = self.address_of(&searcher, id)? {
                out.push(self.explain_one(&plan, &searcher, id, address, matching)?);
            }
        }
        Ok(out)
    }

    fn address_of(&self, searcher: &Searcher, id: i64) -> Result<Option<DocAddress>, SearchError> {
        let q = TermQuery::new(
            Term::from_field_u64(self.fields.id, id.max(0) as u64),
            IndexRecordOption::Basic,
        );
        Ok(searcher.search(&q, &DocSetCollector)?.into_iter().next())
    }

    fn explain_one(
        &self,
        plan: &Plan,
        searcher: &Searcher,
        id: i64,
        address: DocAddress,
        matching: Matching,
    ) -> Result<Explanation, SearchError> {
        let score_of = |q: &dyn Query| q.explain(searcher, address).ok().map(|e| e.value());
        let mut clauses: Vec<Contribution> = plan
            .clauses
            .iter()
            .filter_map(|l| {
                score_of(&*l.query)
                    .filter(|s| *s > 0.0)
                    .map(|score| Contribution {
                        what: l.what.clone(),
                        score,
                    })
            })
            .collect();
        clauses.sort_by(|a, b| b.score.total_cmp(&a.score));
        let segment = searcher.segment_reader(address.segment_ord);
        let cols = self.columns.get(segment, &self.fields)?;
        let demoting = Demoting::new(&plan.demotions, &cols);
        let demotions: Vec<Demotion> = demoting
            .reasons(address.doc_id)
            .into_iter()
            .map(|(what, factor)| Demotion {
                what: what.into(),
                factor,
            })
            .collect();
        let text = plan.text.as_deref().and_then(score_of).unwrap_or(0.0);
        Ok(Explanation {
            id,
            score: text * demoting.factor(address.doc_id),
            matching: matching.as_str(),
            clauses,
            demotions,
        })
    }
}
