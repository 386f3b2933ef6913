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
    fn slugs_are_ascii_and_dashed() {
        assert_eq!(slugify("  Auto Ben Ali -- Oran "), "auto-ben-ali-oran");
    }
}
