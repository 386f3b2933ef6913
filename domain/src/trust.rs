//! Trust rules: roles, report reasons, store slugs, and contact details that do not belong in
//! an ad's title.

use crate::account::normalize_phone;
use crate::text::slugify;

/// Who may moderate. The first admin is made from the command line, never through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Moderator,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::User, Role::Moderator, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == s)
    }

    pub fn can_moderate(self) -> bool {
        matches!(self, Role::Moderator | Role::Admin)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportReason {
    Scam,
    Prohibited,
    Duplicate,
    WrongCategory,
    Offensive,
    Sold,
    Other,
}

impl ReportReason {
    pub const ALL: [ReportReason; 7] = [
        ReportReason::Scam,
        ReportReason::Prohibited,
        ReportReason::Duplicate,
        ReportReason::WrongCategory,
        ReportReason::Offensive,
        ReportReason::Sold,
        ReportReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportReason::Scam => "scam",
            ReportReason::Prohibited => "prohibited",
            ReportReason::Duplicate => "duplicate",
            ReportReason::WrongCategory => "wrong_category",
            ReportReason::Offensive => "offensive",
            ReportReason::Sold => "sold",
            ReportReason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<ReportReason> {
        ReportReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Words a store slug may not be: they name routes or pretend to be souk.
pub const RESERVED_SLUGS: &[&str] = &[
    "admin",
    "administrator",
    "api",
    "app",
    "auth",
    "docs",
    "help",
    "login",
    "logout",
    "me",
    "mod",
    "moderation",
    "moderator",
    "new",
    "official",
    "openapi",
    "register",
    "root",
    "search",
    "settings",
    "souk",
    "staff",
    "store",
    "stores",
    "support",
    "system",
    "v1",
];

/// A store slug from what the user typed (or the store name): lowercase ASCII letters, digits
/// and dashes, 3–40 characters, not reserved.
pub fn store_slug(input: &str) -> Result<String, &'static str> {
    let slug = slugify(input);
    if !(3..=40).contains(&slug.len()) {
        return Err("3 to 40 letters, digits or dashes (Latin letters)");
    }
    if RESERVED_SLUGS.contains(&slug.as_str()) {
        return Err("this name is reserved");
    }
    Ok(slug)
}

/// What kind of contact detail `text` carries, if any: an email address, or an Algerian phone
/// number written with spaces, dots, dashes or a country code. Contact goes through souk.
pub fn contact_details_in(text: &str) -> Option<&'static str> {
    for word in text.split_whitespace() {
        if let Some((user, domain)) = word.split_once('@') {
            if !user.is_empty() && domain.contains('.') && !domain.ends_with('.') {
                return Some("email");
            }
        }
    }
    // Runs of digits with the separators people type between them.
    let mut run = String::new();
    let mut digits = 0;
    for c in text.chars().chain(std::iter::once('\0')) {
        let d = c.to_digit(10).or_else(|| eastern_digit(c));
        match d {
            Some(d) => {
                run.push(char::from_digit(d, 10).unwrap_or('0'));
                digits += 1;
            }
            None if matches!(c, ' ' | '.' | '-' | '+' | '(' | ')' | '/') && digits > 0 => {
                if c == '+' {
                    run.push('+');
                }
            }
            None if c == '+' => run.push('+'),
            None => {
                if digits >= 9 && normalize_phone(&run).is_some() {
                    return Some("phone");
                }
                run.clear();
                digits = 0;
            }
        }
    }
    None
}

fn eastern_digit(c: char) -> Option<u32> {
    match c {
        '٠'..='٩' => Some(c as u32 - '٠' as u32),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_normalised_and_reserved_words_refused() {
        assert_eq!(
            store_slug("Auto Prestige Blida").unwrap(),
            "auto-prestige-blida"
        );
        assert!(store_slug("Admin").is_err());
        assert!(store_slug("ab").is_err());
        assert!(store_slug("متجر").is_err(), "no Latin letters left");
    }

    #[test]
    fn phones_and_emails_in_titles_are_found() {
        for t in [
            "Clio 4 appelez 0551 23 45 67",
            "Golf 7 tel: 0551.23.45.67",
            "iPhone +213 551 23 45 67",
            "شقة ٠٥٥١٢٣٤٥٦٧",
            "PS5 neuve contact amine@gmail.com",
        ] {
            assert!(contact_details_in(t).is_some(), "{t}");
        }
        for t in [
            "Peugeot 208 2019 85000 km",
            "Appartement F3 120 m2 2 500 000 DA",
            "Samsung S23 256Go",
            "Villa R+2 à vendre",
        ] {
            assert_eq!(contact_details_in(t), None, "{t}");
        }
    }
}
