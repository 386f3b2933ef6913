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
/// What is known of one reporter of an ad when their report is weighed.
#[derive(Debug, Clone, PartialEq)]
pub struct ReporterRecord {
    /// The reporter's mailbox (`account::canonical_email`): aliases of one mailbox count once.
    pub mailbox: String,
    pub email_confirmed: bool,
    /// A confirmed phone: a SIM costs money and a shop visit, an email alias nothing.
    pub phone_confirmed: bool,
    pub account_age_days: i64,
    /// Their past reports that a moderator upheld (the ad was hidden).
    pub upheld: i64,
    /// Their past reports that a moderator dismissed or whose ad was restored.
    pub dismissed: i64,
}

/// A reporter's account weighs fully from this age in days, a half from `HALF_WEIGHT_DAYS`,
/// a quarter before.
pub const FULL_WEIGHT_DAYS: i64 = 30;
pub const HALF_WEIGHT_DAYS: i64 = 7;

/// Dismissed reports after which a reporter stops counting, unless upheld ones outweigh them.
pub const DISMISSED_TO_IGNORE: i64 = 3;

/// How much one report counts towards hiding an ad automatically (the threshold is a number of
/// full-weight reports). Unconfirmed accounts count nothing; a new account little (an
/// afternoon's throwaway accounts cannot take a rival's ad down); a reporter whose reports are
/// mostly dismissed stops counting; one whose reports were upheld counts a little more.
pub fn report_weight(r: &ReporterRecord) -> f64 {
    if !r.email_confirmed {
        return 0.0;
    }
    if r.dismissed >= DISMISSED_TO_IGNORE && r.dismissed > 2 * r.upheld {
        return 0.0;
    }
    // Full weight at a month, a half from a week, a quarter before (as documented).
    let by_age = match r.account_age_days {
        d if d < HALF_WEIGHT_DAYS => 0.25,
        d if d < FULL_WEIGHT_DAYS => 0.5,
        _ => 1.0,
    };
    // A confirmed phone vouches for a young account as a week's age does.
    let by_age = if r.phone_confirmed {
        f64::max(by_age, 0.5)
    } else {
        by_age
    };
    if r.upheld >= 3 && r.upheld > 2 * r.dismissed {
        by_age * 1.5
    } else {
        by_age
    }
}

/// The weight of an ad's open reports: each mailbox counts once, at its heaviest account.
pub fn reports_weight(reporters: &[ReporterRecord]) -> f64 {
    let mut best: std::collections::HashMap<&str, f64> = std::collections::HashMap::new();
    for r in reporters {
        let w = report_weight(r);
        let e = best.entry(r.mailbox.as_str()).or_insert(0.0);
        if w > *e {
            *e = w;
        }
    }
    best.values().sum()
}

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
    // Runs of digit groups joined by the separators people type inside a number; anything
    // else ends a run. A phone may start at any group of a run ("Golf 7 2016 0551 23 45 67").
    let mut runs: Vec<Vec<String>> = Vec::new();
    let mut run: Vec<String> = Vec::new();
    let mut group = String::new();
    for c in text.chars().chain(std::iter::once('\0')) {
        if let Some(d) = c.to_digit(10).or_else(|| eastern_digit(c)) {
            group.push(char::from_digit(d, 10).unwrap_or('0'));
            continue;
        }
        if !group.is_empty() {
            run.push(std::mem::take(&mut group));
        }
        if !matches!(c, ' ' | '.' | '-' | '(' | ')' | '+') && !run.is_empty() {
            runs.push(std::mem::take(&mut run));
        }
    }
    for run in &runs {
        for start in 0..run.len() {
            let digits: String = run[start..].concat();
            // Local (0 + 9), international (213 + 9, 00213 + 9).
            for len in [10, 12, 14] {
                if let Some(candidate) = digits.get(..len) {
                    let candidate = if candidate.starts_with("213") {
                        format!("+{candidate}")
                    } else {
                        candidate.to_string()
                    };
                    if normalize_phone(&candidate).is_some() {
                        return Some("phone");
                    }
                }
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
            "iPhone 13 0551234567",
            "Golf 7 2016 0551 23 45 67",
            "Villa R+2 0551234567",
            "Clio 00213 551 23 45 67",
        ] {
            assert!(contact_details_in(t).is_some(), "{t}");
        }
        for t in [
            "Peugeot 208 2019 85000 km",
            "Appartement F3 120 m2 2 500 000 DA",
            "Samsung S23 256Go",
            "Villa R+2 à vendre",
            "Billets concert 05/12/2024 20h",
            "Prix 1 000 000 000 DA",
            "Samsung A54 5G 128Go",
            "Clio 4 2016 1.5 dCi 90ch",
        ] {
            assert_eq!(contact_details_in(t), None, "{t}");
        }
    }

    fn reporter(mailbox: &str, age: i64) -> ReporterRecord {
        ReporterRecord {
            mailbox: mailbox.into(),
            email_confirmed: true,
            phone_confirmed: false,
            account_age_days: age,
            upheld: 0,
            dismissed: 0,
        }
    }

    #[test]
    fn aliases_of_one_mailbox_weigh_as_one_report() {
        let three_aliases = [
            reporter("a@gmail.com", 30),
            reporter("a@gmail.com", 30),
            reporter("a@gmail.com", 30),
        ];
        assert_eq!(reports_weight(&three_aliases), 1.0);
        let three_people = [
            reporter("a@x.dz", 30),
            reporter("b@x.dz", 30),
            reporter("c@x.dz", 30),
        ];
        assert_eq!(reports_weight(&three_people), 3.0);
    }

    #[test]
    fn new_unconfirmed_and_often_dismissed_reporters_weigh_less() {
        assert_eq!(report_weight(&reporter("a@x.dz", 0)), 0.25);
        assert_eq!(report_weight(&reporter("a@x.dz", 3)), 0.25);
        // As docs/configuration.md says (SOUK_REPORTS_TO_HIDE): a week-old account weighs a half, full weight at a month.
        assert_eq!(report_weight(&reporter("a@x.dz", 14)), 0.5);
        assert_eq!(report_weight(&reporter("a@x.dz", 30)), 1.0);
        let with_phone = ReporterRecord {
            phone_confirmed: true,
            ..reporter("a@x.dz", 0)
        };
        assert_eq!(report_weight(&with_phone), 0.5);
        let unconfirmed = ReporterRecord {
            email_confirmed: false,
            ..reporter("a@x.dz", 30)
        };
        assert_eq!(report_weight(&unconfirmed), 0.0);
        let crier = ReporterRecord {
            dismissed: 3,
            ..reporter("a@x.dz", 30)
        };
        assert_eq!(report_weight(&crier), 0.0);
        let mostly_right = ReporterRecord {
            upheld: 4,
            dismissed: 1,
            ..reporter("a@x.dz", 30)
        };
        assert_eq!(report_weight(&mostly_right), 1.5);
    }
}
