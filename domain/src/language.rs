//! The languages souk writes to people in. Arabic is written right to left.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Ar,
    #[default]
    Fr,
    En,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::Ar, Language::Fr, Language::En];

    pub fn as_str(self) -> &'static str {
        match self {
            Language::Ar => "ar",
            Language::Fr => "fr",
            Language::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Language> {
        Language::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// A stored value that is not one of ours falls back to the default rather than failing
    /// an email.
    pub fn parse_or_default(s: &str) -> Language {
        Language::parse(s).unwrap_or_default()
    }

    pub fn is_rtl(self) -> bool {
        self == Language::Ar
    }

    /// The first of ar/fr/en named in an `Accept-Language` header, by the client's order.
    pub fn from_accept_language(header: &str) -> Option<Language> {
        header
            .split(',')
            .filter_map(|part| part.split(';').next())
            .filter_map(|tag| tag.trim().split('-').next())
            .find_map(Language::parse)
    }
}

/// A name in the three languages the site speaks.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Localized {
    pub ar: String,
    pub fr: String,
    pub en: String,
}

impl Localized {
    /// The text in `lang` (`ar`, `fr`, anything else is English).
    pub fn get(&self, lang: &str) -> &str {
        match lang {
            "ar" => &self.ar,
            "fr" => &self.fr,
            _ => &self.en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_our_three_languages_and_nothing_else() {
        assert_eq!(Language::parse("AR"), Some(Language::Ar));
        assert_eq!(Language::parse("de"), None);
        assert_eq!(Language::parse_or_default("xx"), Language::Fr);
    }

    #[test]
    fn accept_language_takes_the_first_known_tag() {
        assert_eq!(
            Language::from_accept_language("de-DE,ar-DZ;q=0.9,fr;q=0.8"),
            Some(Language::Ar)
        );
        assert_eq!(Language::from_accept_language("de, it"), None);
    }
}
