//! Text for messages (layer 0: imports nothing of the crate): excerpts a person can read,
//! characters shown unambiguously, secrets taken out of what a server echoed.

/// Collapses white space, escapes other control characters, and cuts the result at `max`
/// characters (plus a final `…` when something was cut).
pub(crate) fn printable(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max + 8));
    let mut count = 0;
    let mut last_space = false;
    for c in text.chars() {
        let (piece, width): (std::borrow::Cow<'_, str>, usize) = if c.is_whitespace() {
            if last_space {
                continue;
            }
            (" ".into(), 1)
        } else if c.is_control() {
            let escaped: String = c.escape_default().collect();
            let width = escaped.chars().count();
            (escaped.into(), width)
        } else {
            (c.to_string().into(), 1)
        };
        last_space = c.is_whitespace();
        if count + width > max {
            out.push('…');
            break;
        }
        out.push_str(&piece);
        count += width;
    }
    out
}

/// Shows a character in a message unambiguously.
pub(crate) fn describe_char(c: char) -> String {
    if c.is_ascii_graphic() || c == ' ' { format!("{c:?}") } else { format!("U+{:04X}", c as u32) }
}

/// Replaces every occurrence of a secret in `text` (for text a server echoed back).
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        if out.contains(secret) {
            out = out.replace(secret, "<redacted>");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_replaces() {
        assert_eq!(scrub("echo SECRETX here", &["SECRETX"]), "echo <redacted> here");
    }

    #[test]
    fn printable_collapses_escapes_and_cuts() {
        assert_eq!(printable("a \n\t b\u{1}c", 100), "a b\\u{1}c");
        assert_eq!(printable("abcdef", 3), "abc…");
        assert_eq!(describe_char('\n'), "U+000A");
        assert_eq!(describe_char('x'), "'x'");
    }
}
