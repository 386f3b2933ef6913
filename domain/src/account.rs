//! Rules for accounts: what a usable email, password, name and phone number look like.

use crate::error::ValidationErrors;
use crate::text::{char_len, line_field};

pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;
pub const NAME_MIN: usize = 2;
pub const NAME_MAX: usize = 50;
pub const EMAIL_MAX: usize = 254;

/// Lowercased and trimmed; one `@` with something on both sides and a dot in the domain.
pub fn normalize_email(raw: &str) -> Option<String> {
    let e = raw.trim().to_lowercase();
    if e.len() > EMAIL_MAX || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (local, domain) = e.split_once('@')?;
    // A bare address only: `x<victim@example.dz>` or quoted forms would be read by mailers as a
    // display name plus another address, sending this account's mail somewhere else.
    let local_ok = !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c));
    let domain_ok = domain.contains('.')
        && !domain.starts_with(['.', '-'])
        && !domain.ends_with(['.', '-'])
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if local_ok && domain_ok {
        Some(e)
    } else {
        None
    }
}

/// Domains that ignore dots in the local part and share one mailbox between them.
const DOTLESS_DOMAINS: &[&str] = &["gmail.com", "googlemail.com"];

/// The mailbox an address delivers to, for uniqueness and trust (never for sending): the
/// `+tag` is dropped everywhere (Gmail, Outlook, Yahoo with `-`… the `+` form is the one
/// nearly every provider honours), and on Gmail the dots too, with googlemail.com as gmail.com.
/// `a.b+1@gmail.com` and `ab+2@googlemail.com` are one person.
pub fn canonical_email(normalized: &str) -> String {
    let Some((local, domain)) = normalized.split_once('@') else {
        return normalized.to_string();
    };
    let local = local.split('+').next().unwrap_or(local);
    if DOTLESS_DOMAINS.contains(&domain) {
        let local: String = local.chars().filter(|c| *c != '.').collect();
        format!("{local}@gmail.com")
    } else {
        format!("{local}@{domain}")
    }
}

/// Failed logins on one address that cost nothing; after them each attempt waits.
pub const FREE_LOGIN_FAILURES: u32 = 5;
/// The longest wait between two attempts on one address.
pub const MAX_LOGIN_DELAY_SECS: u64 = 900;

/// How long after the last failure the next login attempt on an address is accepted, once it
/// has failed `failures` times within the hour: 0 for the first few, then 1, 2, 4 … seconds up
/// to a quarter of an hour. A botnet guessing one password gets a handful of tries an hour;
/// the owner, who knows the password, waits at most that long, and a password reset or a
/// device the owner signed in from before skips the wait.
pub fn login_delay_secs(failures: u32) -> u64 {
    if failures < FREE_LOGIN_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_LOGIN_FAILURES).min(20);
    (1u64 << doublings).min(MAX_LOGIN_DELAY_SECS)
}

/// Algerian numbers in any usual spelling (`0551 23 45 67`, `+213 551234567`, `00213…`,
/// `021 23 45 67`) become E.164: `+213` and nine digits for mobiles, eight for fixed lines.
pub fn normalize_phone(raw: &str) -> Option<String> {
    let compact: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let national = if let Some(rest) = compact.strip_prefix("+213") {
        rest.to_string()
    } else if let Some(rest) = compact.strip_prefix("00213") {
        rest.to_string()
    } else if let Some(rest) = compact.strip_prefix('0') {
        rest.to_string()
    } else {
        return None;
    };
    let national = national.strip_prefix('0').unwrap_or(&national);
    if !national.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    // Mobiles: 5, 6 or 7 and eight digits (0551 23 45 67). Fixed lines: a two-digit area
    // code from 2 to 4 and six digits (021 23 45 67 in Algiers, 041 … in Oran).
    let mobile = national.len() == 9 && national.starts_with(['5', '6', '7']);
    let fixed = national.len() == 8 && national.starts_with(['2', '3', '4']);
    if mobile || fixed {
        Some(format!("+213{national}"))
    } else {
        None
    }
}

/// How long a deleted account's mailbox is remembered (a hash of it), with the ratings the
/// account received and its ban, so that the same mailbox registered again inherits them.
pub const MAILBOX_MEMORY_DAYS: i64 = 365;

/// Whether a number from `normalize_phone` is a mobile (`+2135…`, `+2136…`, `+2137…`): only
/// those receive SMS; a landline is a number to show, never one to send codes to.
pub fn is_mobile(e164: &str) -> bool {
    e164.len() == 13 && e164.starts_with("+213") && e164[4..].starts_with(['5', '6', '7'])
}

pub fn check_password(errors: &mut ValidationErrors, field: &str, password: &str) {
    let n = char_len(password);
    if n < PASSWORD_MIN {
        errors.push(
            field,
            "too_short",
            format!("at least {PASSWORD_MIN} characters"),
        );
    } else if n > PASSWORD_MAX {
        errors.push(
            field,
            "too_long",
            format!("at most {PASSWORD_MAX} characters"),
        );
    }
}

/// An optional phone field: absent or blank is `None`, anything else must be an Algerian
/// number (`invalid_phone`) and comes back as +213XXXXXXXXX.
pub fn phone_field(
    errors: &mut ValidationErrors,
    field: &str,
    raw: Option<&str>,
) -> Option<String> {
    let raw = raw.map(str::trim).filter(|p| !p.is_empty())?;
    normalize_phone(raw).or_else(|| {
        errors.push(
            field.to_string(),
            "invalid_phone",
            "an Algerian number such as 0551 23 45 67 or +213 551 23 45 67",
        );
        None
    })
}

/// A valid registration, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub email: String,
    pub display_name: String,
    pub phone: Option<String>,
}

pub fn validate_registration(
    email: &str,
    password: &str,
    display_name: &str,
    phone: Option<&str>,
) -> Result<Registration, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let email = normalize_email(email).unwrap_or_else(|| {
        errors.push("email", "invalid_email", "not a usable email address");
        String::new()
    });
    check_password(&mut errors, "password", password);
    let display_name = line_field(
        &mut errors,
        "display_name",
        display_name,
        NAME_MIN,
        NAME_MAX,
    );
    let phone = phone_field(&mut errors, "phone", phone);
    errors.into_result(Registration {
        email,
        display_name,
        phone,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_in_every_usual_spelling() {
        for p in [
            "0551 23 45 67",
            "+213 551 23 45 67",
            "00213551234567",
            "+213 (0) 551-23-45-67",
        ] {
            assert_eq!(normalize_phone(p).as_deref(), Some("+213551234567"), "{p}");
        }
        for p in [
            "12345",
            "0551 23 45 6",
            "+33 6 12 34 56 78",
            "05512345678",
            "0851 23 45 67",
        ] {
            assert_eq!(normalize_phone(p), None, "{p}");
        }
        // Fixed lines too.
        assert_eq!(
            normalize_phone("021 23 45 67").as_deref(),
            Some("+21321234567")
        );
        assert_eq!(
            normalize_phone("+213 41 23 45 67").as_deref(),
            Some("+21341234567")
        );
        assert_eq!(normalize_phone("021 23 45 6"), None);
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            normalize_email("  Amine@Example.DZ ").as_deref(),
            Some("amine@example.dz")
        );
        for e in [
            "no-at",
            "a@b",
            "@x.dz",
            "a@@x.dz",
            "a b@x.dz",
            "x<victim@evil.dz>",
            "\"a\"@x.dz",
            "a@x..dz",
            "a,b@x.dz",
        ] {
            assert_eq!(normalize_email(e), None, "{e}");
        }
    }

    #[test]
    fn aliases_of_one_mailbox_share_a_canonical_address() {
        let c = |e: &str| canonical_email(&normalize_email(e).unwrap());
        assert_eq!(c("a.mine+1@gmail.com"), "amine@gmail.com");
        assert_eq!(c("Amine+souk@googlemail.com"), "amine@gmail.com");
        assert_eq!(c("amine+2@outlook.fr"), "amine@outlook.fr");
        // Dots matter outside Gmail: these are two people.
        assert_ne!(c("a.mine@outlook.fr"), c("amine@outlook.fr"));
    }

    #[test]
    fn login_delays_grow_then_stop_growing() {
        let delays: Vec<u64> = (0..9).map(login_delay_secs).collect();
        assert_eq!(delays, vec![0, 0, 0, 0, 0, 1, 2, 4, 8]);
        assert_eq!(login_delay_secs(40), MAX_LOGIN_DELAY_SECS);
    }

    #[test]
    fn registration_reports_every_field() {
        let e = validate_registration("bad", "short", "x", Some("123")).unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["email", "password", "display_name", "phone"]);
    }
}
