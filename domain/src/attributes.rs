//! Per-category attribute schemas and the validation of a listing's attributes against them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ValidationErrors;
use crate::language::Localized;
use crate::text::{char_len, clean_text};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EnumOption {
    pub value: String,
    pub label: Localized,
}

/// The type of one attribute and its bounds, as declared in the data file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum AttributeKind {
    Enum {
        options: Vec<EnumOption>,
    },
    Text {
        max_len: usize,
    },
    Integer {
        min: i64,
        max: i64,
        #[serde(default)]
        unit: Option<String>,
    },
    Bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AttributeSpec {
    pub key: String,
    pub label: Localized,
    #[serde(default)]
    pub required: bool,
    #[serde(flatten)]
    pub kind: AttributeKind,
}

impl AttributeSpec {
    pub fn option(&self, value: &str) -> Option<&EnumOption> {
        match &self.kind {
            AttributeKind::Enum { options } => options.iter().find(|o| o.value == value),
            _ => None,
        }
    }
}

/// A validated attribute value. Serialised as plain JSON (`"diesel"`, `2015`, `true`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum AttributeValue {
    Bool(bool),
    Integer(i64),
    Text(String),
}

impl AttributeValue {
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            AttributeValue::Integer(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            AttributeValue::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// A listing's attributes, keyed by attribute key, in a stable order.
pub type Attributes = BTreeMap<String, AttributeValue>;

/// Checks `input` against `schema`: unknown keys, wrong types, values out of range or not in
/// the enum, and missing required attributes are all reported, each under `attributes.<key>`.
/// `null` means "not given".
pub fn validate_attributes(
    schema: &[AttributeSpec],
    input: &serde_json::Map<String, Value>,
) -> Result<Attributes, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let mut out = Attributes::new();
    for key in input.keys() {
        if !schema.iter().any(|s| &s.key == key) {
            errors.push(
                format!("attributes.{key}"),
                "unknown_attribute",
                "this category has no such attribute",
            );
        }
    }
    for spec in schema {
        let field = format!("attributes.{}", spec.key);
        match input.get(&spec.key) {
            None | Some(Value::Null) => {
                if spec.required {
                    errors.push(
                        field,
                        "required",
                        "this attribute is required in this category",
                    );
                }
            }
            Some(value) => match check_value(spec, value) {
                Ok(v) => {
                    out.insert(spec.key.clone(), v);
                }
                Err((code, message)) => errors.push(field, code, message),
            },
        }
    }
    errors.into_result(out)
}

fn check_value(
    spec: &AttributeSpec,
    value: &Value,
) -> Result<AttributeValue, (&'static str, String)> {
    match (&spec.kind, value) {
        (AttributeKind::Enum { options }, Value::String(s)) => {
            if options.iter().any(|o| &o.value == s) {
                Ok(AttributeValue::Text(s.clone()))
            } else {
                let allowed: Vec<&str> = options.iter().map(|o| o.value.as_str()).collect();
                Err((
                    "invalid_option",
                    format!("must be one of: {}", allowed.join(", ")),
                ))
            }
        }
        (AttributeKind::Integer { min, max, .. }, Value::Number(n)) => {
            // 2019.0 is a whole number as far as a user is concerned; 1e30 is merely out of range.
            let whole = n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            });
            match whole {
                Some(i) if i >= *min && i <= *max => Ok(AttributeValue::Integer(i)),
                None if n.as_f64().is_some_and(|f| f.fract() != 0.0) => {
                    Err(("wrong_type", "must be a whole number".into()))
                }
                _ => Err(("out_of_range", format!("must be between {min} and {max}"))),
            }
        }
        (AttributeKind::Text { max_len }, Value::String(s)) => match clean_text(s) {
            None => Err((
                "invalid_characters",
                "control characters are not allowed".into(),
            )),
            Some(t) if t.is_empty() => Err(("blank", "must not be blank".into())),
            Some(t) if char_len(&t) > *max_len => {
                Err(("too_long", format!("at most {max_len} characters")))
            }
            Some(t) => Ok(AttributeValue::Text(t)),
        },
        (AttributeKind::Bool, Value::Bool(b)) => Ok(AttributeValue::Bool(*b)),
        (kind, _) => {
            let expected = match kind {
                AttributeKind::Enum { .. } | AttributeKind::Text { .. } => "a string",
                AttributeKind::Integer { .. } => "an integer",
                AttributeKind::Bool => "true or false",
            };
            Err(("wrong_type", format!("must be {expected}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;
    use serde_json::json;

    fn cars() -> &'static [AttributeSpec] {
        &catalog().get("cars").unwrap().attributes
    }

    fn codes(r: Result<Attributes, ValidationErrors>) -> Vec<(String, &'static str)> {
        r.unwrap_err()
            .0
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    #[test]
    fn a_valid_car_passes() {
        let input = json!({"brand": "peugeot", "model": "208", "year": 2019, "mileage_km": 85000,
            "fuel": "diesel", "gearbox": "manual"});
        let attrs = validate_attributes(cars(), input.as_object().unwrap()).unwrap();
        assert_eq!(attrs["year"], AttributeValue::Integer(2019));
        assert_eq!(attrs["fuel"], AttributeValue::Text("diesel".into()));
    }

    #[test]
    fn every_kind_of_mistake_is_reported_under_its_field() {
        let input = json!({"brand": "trabant", "year": 1800, "mileage_km": "many", "fuel": "coal",
            "gearbox": true, "colour": "red"});
        let errs = codes(validate_attributes(cars(), input.as_object().unwrap()));
        assert!(errs.contains(&("attributes.colour".into(), "unknown_attribute")));
        assert!(errs.contains(&("attributes.brand".into(), "invalid_option")));
        assert!(errs.contains(&("attributes.year".into(), "out_of_range")));
        assert!(errs.contains(&("attributes.mileage_km".into(), "wrong_type")));
        assert!(errs.contains(&("attributes.fuel".into(), "invalid_option")));
        assert!(errs.contains(&("attributes.gearbox".into(), "wrong_type")));
    }

    #[test]
    fn missing_required_and_fractional_numbers() {
        let errs = codes(validate_attributes(
            cars(),
            json!({"year": 2010.5}).as_object().unwrap(),
        ));
        assert!(errs.contains(&("attributes.brand".into(), "required")));
        assert!(errs.contains(&("attributes.year".into(), "wrong_type")));
        let huge = json!({"brand": "kia", "year": 2010, "mileage_km": 1e30});
        let errs = codes(validate_attributes(cars(), huge.as_object().unwrap()));
        assert_eq!(errs, vec![("attributes.mileage_km".into(), "out_of_range")]);
    }
}
