//! Reads the .eml files the app writes when no SMTP server is configured.

use std::path::Path;

use base64::Engine;

#[derive(Debug, Clone)]
pub struct Eml {
    pub to: String,
    pub subject: String,
    pub message_id: String,
    /// The decoded text/plain part.
    pub text: String,
    /// The decoded text/html part.
    pub html: String,
    pub raw: String,
}

pub fn read_outbox(dir: &Path) -> Vec<Eml> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|raw| parse(&raw))
        .collect()
}

/// A header's value, unfolded and with RFC 2047 encoded words decoded.
fn header(raw: &str, name: &str) -> String {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    let head = raw.split("\r\n\r\n").next().unwrap_or(raw);
    let mut lines = head.lines();
    let Some(first) = lines.find(|l| l.to_ascii_lowercase().starts_with(&prefix)) else {
        return String::new();
    };
    let mut value = first[prefix.len()..].trim().to_string();
    for l in lines.take_while(|l| l.starts_with(' ') || l.starts_with('\t')) {
        value.push(' ');
        value.push_str(l.trim());
    }
    decode_words(&value)
}

/// Decodes `=?utf-8?b?...?=` and `=?utf-8?q?...?=` words; spaces between two encoded words
/// do not count (RFC 2047).
fn decode_words(v: &str) -> String {
    let mut out = String::new();
    let mut last_was_word = false;
    for (i, token) in v.split(' ').enumerate() {
        let lower = token.to_ascii_lowercase();
        let decoded = if lower.starts_with("=?utf-8?") && token.ends_with("?=") && token.len() > 12
        {
            let body = &token[10..token.len() - 2];
            if lower.as_bytes()[8] == b'b' {
                base64::engine::general_purpose::STANDARD
                    .decode(body)
                    .ok()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
            } else {
                Some(quoted_printable(&body.replace('_', " ")))
            }
        } else {
            None
        };
        match decoded {
            Some(d) => {
                if i > 0 && !last_was_word {
                    out.push(' ');
                }
                out.push_str(&d);
                last_was_word = true;
            }
            None => {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(token);
                last_was_word = false;
            }
        }
    }
    out
}

pub fn parse(raw: &str) -> Eml {
    Eml {
        to: header(raw, "To"),
        subject: header(raw, "Subject"),
        message_id: header(raw, "Message-ID"),
        text: part(raw, "text/plain"),
        html: part(raw, "text/html"),
        raw: raw.to_string(),
    }
}

/// Finds the part of this content type and undoes its transfer encoding.
fn part(raw: &str, content_type: &str) -> String {
    let raw = raw.replace("\r\n", "\n");
    let Some(start) = raw.find(&format!("Content-Type: {content_type}")) else {
        return String::new();
    };
    let part = &raw[start..];
    let (headers, body) = part.split_once("\n\n").unwrap_or((part, ""));
    // The part ends at the message's own boundary, not at any line starting with "--" (a
    // random token in the text may start with two dashes).
    let end = match raw
        .split_once("boundary=\"")
        .and_then(|(_, b)| b.split_once('"'))
    {
        Some((boundary, _)) => format!("\n--{boundary}"),
        None => "\n--".to_string(),
    };
    let body = body.split(end.as_str()).next().unwrap_or("");
    let encoding = headers
        .lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with("content-transfer-encoding:")
        })
        .unwrap_or("")
        .to_ascii_lowercase();
    if encoding.contains("base64") {
        let compact: String = body.split_whitespace().collect();
        String::from_utf8_lossy(
            &base64::engine::general_purpose::STANDARD
                .decode(compact)
                .unwrap_or_default(),
        )
        .into_owned()
    } else if encoding.contains("quoted-printable") {
        quoted_printable(body)
    } else {
        body.to_string()
    }
}

fn quoted_printable(s: &str) -> String {
    let joined = s.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of `name=` in the first URL or line carrying it.
pub fn token_after(text: &str, marker: &str) -> Option<String> {
    let at = text.find(marker)? + marker.len();
    Some(
        text[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect(),
    )
}
