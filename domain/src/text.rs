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
    // Bidi overrides and isolates too: they reorder what follows them on the line.
    let bad = |c: char| {
        c.is_control()
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if trimmed.chars().any(bad) {
        return None;
    }
    Some(trimmed.to_string())
}

/// Dots a mail client or a browser may read as the dot of a domain name.
const DOTS: [char; 4] = ['.', '\u{3002}', '\u{FF0E}', '\u{FF61}'];

/// Whether a word holds something a client could turn into a link: a scheme (`https://`,
/// `tg://`, `javascript:`), `www.`, or a bare domain (`bit.ly/x`, `wa.me/213…`, `evil.com`).
pub fn looks_like_link(word: &str) -> bool {
    let lower = word.to_lowercase();
    if lower.contains("://") || lower.contains("www.") || lower.contains("javascript:") {
        return true;
    }
    // A bare domain: letters on both sides of a dot, the right side a plausible TLD.
    let core = lower.trim_matches(|c: char| !c.is_alphanumeric());
    let host = core.split(['/', '?', '#']).next().unwrap_or("");
    let labels: Vec<&str> = host.split(DOTS).collect();
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty())
        && labels.last().is_some_and(|tld| {
            (2..=24).contains(&tld.len()) && tld.chars().all(|c| c.is_ascii_alphabetic())
        })
        && labels[0].chars().any(|c| c.is_alphabetic())
}

/// Links in a message from a stranger, written so that no mail client or app turns them into
/// something to click (`https://x.dz/a` → `hxxps[:]//x[.]dz/a`): a first contact is where
/// phishing comes from, and the reader can still read the address.
pub fn defang_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for word in text.split_inclusive(char::is_whitespace) {
        if !looks_like_link(word) {
            out.push_str(word);
            continue;
        }
        let mut w = String::with_capacity(word.len() + 8);
        for c in word.chars() {
            if DOTS.contains(&c) {
                w.push_str("[.]");
            } else {
                w.push(c);
            }
        }
        let w = w.replace("://", "[:]//");
        let lower = w.to_ascii_lowercase();
        // `http`/`https` → `hxxp`/`hxxps`, whatever the case, wherever in the word.
        let mut fixed = String::with_capacity(w.len());
        let mut rest = w.as_str();
        let mut rest_lower = lower.as_str();
        while let Some(at) = rest_lower.find("http") {
            fixed.push_str(&rest[..at]);
            fixed.push_str("hxxp");
            rest = &rest[at + 4..];
            rest_lower = &rest_lower[at + 4..];
        }
        fixed.push_str(rest);
        out.push_str(&fixed.replace("javascript:", "javascript[:]"));
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
    if refuse_line_breaks(errors, field, raw) {
        return String::new();
    }
    text_field(errors, field, raw, min, max)
}

/// The one-line rule on top of a field's own checks: pushes `invalid_characters` when `raw`
/// would pass as free text but is not one line; true when it did.
pub fn refuse_line_breaks(errors: &mut crate::ValidationErrors, field: &str, raw: &str) -> bool {
    let refused = clean_line(raw).is_none() && clean_text(raw).is_some();
    if refused {
        errors.push(
            field.to_string(),
            "invalid_characters",
            "one line, without line breaks or direction overrides",
        );
    }
    refused
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
        assert_eq!(
            clean_line("Karim\u{202E}zd.live"),
            None,
            "right-to-left override"
        );
        let mut e = crate::ValidationErrors::default();
        line_field(&mut e, "name", "Ka\nrim", 2, 60);
        assert_eq!(e.0[0].code, "invalid_characters");
    }

    #[test]
    fn links_are_defanged_but_readable() {
        assert_eq!(
            defang_links("payez ici https://cib-paiement.dz/login?x=1 merci"),
            "payez ici hxxps[:]//cib-paiement[.]dz/login?x=1 merci"
        );
        assert_eq!(defang_links("www.evil.com\nok"), "www[.]evil[.]com\nok");
        assert_eq!(defang_links("prix 2.5 millions"), "prix 2.5 millions");
        assert_eq!(defang_links("(HtTpS://x.dz)"), "(hxxpS[:]//x[.]dz)");
        assert_eq!(defang_links("lien:https://x.dz"), "lien:hxxps[:]//x[.]dz");
        assert_eq!(
            defang_links("bit.ly/abc wa.me/213555"),
            "bit[.]ly/abc wa[.]me/213555"
        );
        assert_eq!(defang_links("tg://resolve"), "tg[:]//resolve");
        assert_eq!(defang_links("evil\u{FF0E}com"), "evil[.]com");
        // Ordinary words with dots are left alone.
        assert_eq!(
            defang_links("Golf 7. Prix 2.450.000 DA."),
            "Golf 7. Prix 2.450.000 DA."
        );
    }

    #[test]
    fn slugs_are_ascii_and_dashed() {
        assert_eq!(slugify("  Auto Ben Ali -- Oran "), "auto-ben-ali-oran");
    }
}
