//! Small text rules shared by every input: what counts as a character, how long is too long.

/// Length in Unicode scalar values, which is what a user counts when typing Arabic or French.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Trims and rejects control characters other than newlines and tabs, which never belong in an ad.
pub fn clean_text(s: &str) -> Option<String> {
    let trimmed = s.trim();
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return None;
    }
    Some(trimmed.to_string())
}

/// A one-line field (a name, a title): trimmed, no control characters at all and no Unicode
/// line separators. A line break in a name would start a new line wherever the name is
/// printed, in a mail's text part among others, where it can fake a paragraph from souk.
pub fn clean_line(s: &str) -> Option<String> {
    let trimmed = s.trim();
    if trimmed
        .chars()
        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
    {
        return None;
    }
    Some(trimmed.to_string())
}

/// Links in a first message from a stranger, written so that no mail client or app turns
/// them into something to click (`https://x.dz/a` → `hxxps://x[.]dz/a`): a first contact is
/// where phishing comes from, and the reader can still read the address.
pub fn defang_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for word in text.split_inclusive(char::is_whitespace) {
        let lower = word.to_ascii_lowercase();
        let is_link = lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("www.");
        if !is_link {
            out.push_str(word);
            continue;
        }
        let (scheme, rest) = match word.find("://") {
            Some(at) => (&word[..at + 3], &word[at + 3..]),
            None => ("", word),
        };
        out.push_str(&scheme.replacen("ttp", "xxp", 1).replacen("TTP", "XXP", 1));
        let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        out.push_str(&rest[..host_end].replace('.', "[.]"));
        out.push_str(&rest[host_end..]);
    }
    out
}

/// Builds a URL-safe ASCII slug: lowercase letters, digits and single dashes.
pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(|c| c.to_lowercase()) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// A message between a buyer and a seller: trimmed, 2 to 2,000 characters, no control
/// characters other than line breaks and tabs.
pub fn clean_message(body: &str) -> Result<String, crate::ValidationErrors> {
    const MIN: usize = 2;
    const MAX: usize = 2000;
    let mut e = crate::ValidationErrors::default();
    let trimmed = body.trim();
    let n = trimmed.chars().count();
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        e.push(
            "message",
            "invalid_characters",
            "control characters are not allowed",
        );
    } else if !(MIN..=MAX).contains(&n) {
        e.push(
            "message",
            "invalid_length",
            format!("between {MIN} and {MAX} characters"),
        );
    }
    e.into_result(trimmed.replace("\r\n", "\n"))
}

/// A required free-text field: trimmed, no control characters (`invalid_characters`),
/// `min..=max` characters as a user counts them (`invalid_length`). Problems go to `errors`;
/// the cleaned text comes back (empty when invalid).
pub fn text_field(
    errors: &mut crate::ValidationErrors,
    field: &str,
    raw: &str,
    min: usize,
    max: usize,
) -> String {
    match clean_text(raw) {
        Some(t) if (min..=max).contains(&char_len(&t)) => t,
        Some(_) => {
            errors.push(
                field.to_string(),
                "invalid_length",
                format!("between {min} and {max} characters"),
            );
            String::new()
        }
        None => {
            errors.push(
                field.to_string(),
                "invalid_characters",
                "control characters are not allowed",
            );
            String::new()
        }
    }
}

/// Like `text_field` for one-line fields: a line break is `invalid_characters` too.
pub fn line_field(
    errors: &mut crate::ValidationErrors,
    field: &str,
    raw: &str,
    min: usize,
    max: usize,
) -> String {
    if clean_line(raw).is_none() && clean_text(raw).is_some() {
        errors.push(
            field.to_string(),
            "invalid_characters",
            "one line: line breaks are not allowed",
        );
        return String::new();
    }
    text_field(errors, field, raw, min, max)
}

/// An optional free-text field: absent or blank is `None`; otherwise at most `max` characters
/// and no control characters, as in `text_field`.
pub fn optional_text_field(
    errors: &mut crate::ValidationErrors,
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Option<String> {
    let raw = raw.map(str::trim).filter(|t| !t.is_empty())?;
    match clean_text(raw) {
        Some(t) if char_len(&t) <= max => Some(t),
        Some(_) => {
            errors.push(
                field.to_string(),
                "invalid_length",
                format!("at most {max} characters"),
            );
            None
        }
        None => {
            errors.push(
                field.to_string(),
                "invalid_characters",
                "control characters are not allowed",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_but_newlines_kept() {
        assert_eq!(clean_text("  a\nb "), Some("a\nb".into()));
        assert_eq!(clean_text("a\u{0}b"), None);
    }

    #[test]
    fn one_line_fields_refuse_line_breaks() {
        assert_eq!(clean_line(" Karim "), Some("Karim".into()));
        assert_eq!(clean_line("Karim\r\nsouk: your account is suspended"), None);
        assert_eq!(clean_line("a\u{2028}b"), None);
        let mut e = crate::ValidationErrors::default();
        line_field(&mut e, "name", "Ka\nrim", 2, 60);
        assert_eq!(e.0[0].code, "invalid_characters");
    }

    #[test]
    fn links_are_defanged_but_readable() {
        assert_eq!(
            defang_links("payez ici https://cib-paiement.dz/login?x=1 merci"),
            "payez ici hxxps://cib-paiement[.]dz/login?x=1 merci"
        );
        assert_eq!(defang_links("www.evil.com\nok"), "www[.]evil[.]com\nok");
        assert_eq!(defang_links("prix 2.5 millions"), "prix 2.5 millions");
    }

    #[test]
    fn slugs_are_ascii_and_dashed() {
        assert_eq!(slugify("  Auto Ben Ali -- Oran "), "auto-ben-ali-oran");
    }
}
