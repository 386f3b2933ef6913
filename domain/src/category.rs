//! The category tree, loaded once from `reference/categories.json` (data, not code).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::price::Pricing;

use crate::attributes::AttributeSpec;
use crate::language::Localized;

#[derive(Debug, Deserialize)]
struct RawNode {
    slug: String,
    name: Localized,
    #[serde(default)]
    children: Vec<RawNode>,
    #[serde(default)]
    attributes: Vec<AttributeSpec>,
    /// The unit and plausible band of prices; inherited by children that have none.
    #[serde(default)]
    price: Option<Pricing>,
}

/// One node of the tree. Listings are posted in leaves; browsing and search accept any node.
#[derive(Debug, Clone)]
pub struct Category {
    pub slug: String,
    pub name: Localized,
    pub parent: Option<String>,
    pub children: Vec<String>,
    /// Only leaves carry a schema; an inner node's is empty.
    pub attributes: Vec<AttributeSpec>,
    /// Its own, else its nearest ancestor's, else dinars with no band.
    pub pricing: Pricing,
}

impl Category {
    pub fn is_leaf(&self) -> bool {
        self.children.is_empty()
    }

    pub fn attribute(&self, key: &str) -> Option<&AttributeSpec> {
        self.attributes.iter().find(|a| a.key == key)
    }
}

/// The whole tree, indexed by slug, in the order of the data file.
#[derive(Debug)]
pub struct Catalog {
    roots: Vec<String>,
    order: Vec<String>,
    by_slug: HashMap<String, Category>,
}

impl Catalog {
    pub fn from_json(json: &str) -> Result<Self, String> {
        let raw: Vec<RawNode> = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let mut catalog = Catalog {
            roots: Vec::new(),
            order: Vec::new(),
            by_slug: HashMap::new(),
        };
        for node in raw {
            catalog.roots.push(node.slug.clone());
            catalog.insert(node, None, Pricing::default())?;
        }
        Ok(catalog)
    }

    fn insert(
        &mut self,
        node: RawNode,
        parent: Option<String>,
        inherited: Pricing,
    ) -> Result<(), String> {
        let pricing = node.price.unwrap_or(inherited);
        if pricing.min > pricing.max {
            return Err(format!("category {}: price min above max", node.slug));
        }
        if self.by_slug.contains_key(&node.slug) {
            return Err(format!("duplicate category slug {}", node.slug));
        }
        let children: Vec<String> = node.children.iter().map(|c| c.slug.clone()).collect();
        if !children.is_empty() && !node.attributes.is_empty() {
            return Err(format!(
                "inner category {} must not declare attributes",
                node.slug
            ));
        }
        self.order.push(node.slug.clone());
        self.by_slug.insert(
            node.slug.clone(),
            Category {
                slug: node.slug.clone(),
                name: node.name,
                parent,
                children,
                attributes: node.attributes,
                pricing,
            },
        );
        for child in node.children {
            self.insert(child, Some(node.slug.clone()), pricing)?;
        }
        Ok(())
    }

    pub fn get(&self, slug: &str) -> Option<&Category> {
        self.by_slug.get(slug)
    }

    pub fn roots(&self) -> impl Iterator<Item = &Category> {
        self.roots.iter().map(|s| &self.by_slug[s])
    }

    /// Every category, parents before their children.
    pub fn all(&self) -> impl Iterator<Item = &Category> {
        self.order.iter().map(|s| &self.by_slug[s])
    }

    pub fn leaves(&self) -> impl Iterator<Item = &Category> {
        self.all().filter(|c| c.is_leaf())
    }

    /// The leaf slugs under `slug` (itself when it is a leaf): what "in this category" means.
    pub fn leaves_under(&self, slug: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut stack = vec![slug];
        while let Some(s) = stack.pop() {
            if let Some(c) = self.by_slug.get(s) {
                if c.is_leaf() {
                    out.push(c.slug.as_str());
                } else {
                    stack.extend(c.children.iter().rev().map(String::as_str));
                }
            }
        }
        out
    }

    /// The path from the root to `slug`, root first.
    pub fn path(&self, slug: &str) -> Vec<&Category> {
        let mut path = Vec::new();
        let mut cur = self.by_slug.get(slug);
        while let Some(c) = cur {
            path.push(c);
            cur = c.parent.as_deref().and_then(|p| self.by_slug.get(p));
        }
        path.reverse();
        path
    }
}

const CATEGORIES_JSON: &str = include_str!("../reference/categories.json");

/// The catalog shipped with souk. The data file is checked by this crate's tests, so the
/// `expect` only fires if a broken file was committed.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        Catalog::from_json(CATEGORIES_JSON).expect("reference/categories.json is valid")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attributes::AttributeKind;

    #[test]
    fn shipped_tree_has_the_required_nodes() {
        let c = catalog();
        for slug in [
            "vehicles",
            "cars",
            "motorcycles",
            "trucks",
            "smartphones",
            "tablets",
            "real-estate-sale",
            "real-estate-rent",
            "real-estate-holiday-rent",
            "computers",
            "jobs",
            "services",
            "leisure",
        ] {
            assert!(c.get(slug).is_some(), "missing {slug}");
        }
        assert_eq!(c.get("cars").unwrap().parent.as_deref(), Some("vehicles"));
        assert!(c.leaves_under("vehicles").contains(&"cars"));
        assert_eq!(c.leaves_under("cars"), vec!["cars"]);
        assert!(c.leaves_under("nope").is_empty());
    }

    #[test]
    fn car_schema_is_typed() {
        let cars = catalog().get("cars").unwrap();
        match &cars.attribute("year").unwrap().kind {
            AttributeKind::Integer { min, max, .. } => assert!(*min <= 1970 && *max >= 2025),
            other => panic!("year is {other:?}"),
        }
        match &cars.attribute("fuel").unwrap().kind {
            AttributeKind::Enum { options } => {
                let values: Vec<_> = options.iter().map(|o| o.value.as_str()).collect();
                for v in ["petrol", "diesel", "lpg", "hybrid", "electric"] {
                    assert!(values.contains(&v));
                }
            }
            other => panic!("fuel is {other:?}"),
        }
        assert!(catalog()
            .get("real-estate-sale")
            .unwrap()
            .attribute("papers")
            .is_some());
    }

    #[test]
    fn cars_and_property_are_priced_in_millions_phones_in_dinars_rent_per_month() {
        use crate::price::{PricePer, PriceUnit};
        let c = catalog();
        assert_eq!(c.get("cars").unwrap().pricing.unit, PriceUnit::Million);
        assert_eq!(
            c.get("real-estate-sale").unwrap().pricing.unit,
            PriceUnit::Million
        );
        assert_eq!(c.get("smartphones").unwrap().pricing.unit, PriceUnit::Dzd);
        let rent = c.get("real-estate-rent").unwrap().pricing;
        assert_eq!(
            (rent.unit, rent.per),
            (PriceUnit::Dzd, Some(PricePer::Month))
        );
        // Inherited: a leaf without its own band has its parent's.
        assert_eq!(
            c.get("laptops").unwrap().pricing,
            c.get("computers").unwrap().pricing
        );
        for leaf in c.leaves() {
            assert!(leaf.pricing.min <= leaf.pricing.max, "{}", leaf.slug);
        }
    }

    #[test]
    fn every_root_has_leaves() {
        for root in catalog().roots() {
            assert!(
                !catalog().leaves_under(&root.slug).is_empty(),
                "{} has no leaves",
                root.slug
            );
        }
    }
}
