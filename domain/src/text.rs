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
