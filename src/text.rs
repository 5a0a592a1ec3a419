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

/// What a secret is replaced with.
const REDACTED: &str = "<redacted>";

/// The shortest start of a secret that [`scrub`] blanks at the end of a text.
const PARTIAL_SECRET: usize = 8;

/// Replaces every occurrence of a secret in `text` (for text a server echoed back), and a text
/// that ends with the start of a secret (a body cut off by a bound in the middle of an echoed
/// secret): at least its first 8 characters, or all of a shorter one. Run it before any cut of
/// its own: a cut made first could leave a secret's start that this no longer recognises.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    let secrets = || secrets.iter().filter(|s| s.len() >= 4);
    for secret in secrets() {
        if out.contains(secret) {
            out = out.replace(secret, REDACTED);
        }
    }
    for secret in secrets() {
        if let Some(at) = cut_secret_at(&out, secret) {
            out.truncate(at);
            out.push_str(REDACTED);
        }
    }
    out
}

/// Where `text` ends with the start of `secret` (at least [`PARTIAL_SECRET`] bytes of it, or all
/// of a shorter one), if it does.
fn cut_secret_at(text: &str, secret: &str) -> Option<usize> {
    let shortest = PARTIAL_SECRET.min(secret.len());
    let first = *secret.as_bytes().first()?;
    let bytes = text.as_bytes();
    // Only positions holding the secret's first byte are tried: a few in a random-looking secret.
    let from = text.len().saturating_sub(secret.len());
    let to = text.len().checked_sub(shortest)?;
    (from..=to)
        .find(|&at| bytes[at] == first && text.is_char_boundary(at) && secret.as_bytes().starts_with(&bytes[at..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_replaces() {
        assert_eq!(scrub("echo SECRETX here", &["SECRETX"]), "echo <redacted> here");
    }

    #[test]
    fn scrub_blanks_a_secret_cut_off_at_the_end() {
        let secret = "eyJhbGciOiJSUzI1NiJ9.payload.signature";
        assert_eq!(scrub("token eyJhbGciOiJSUzI1", &[secret]), "token <redacted>");
        // Shorter than 8 characters of it: too little to be sure, and too little to matter.
        assert_eq!(scrub("token eyJhbGc", &[secret]), "token eyJhbGc");
        assert_eq!(scrub("the end", &[secret]), "the end");
        assert_eq!(scrub("SECR", &["SECRETX"]), "SECR");
        assert_eq!(scrub("a SECRETX and SECRE", &["SECRETX"]), "a <redacted> and SECRE");
        assert_eq!(scrub("a SECRETX and SECRETXY", &["SECRETXYZ"]), "a SECRETX and <redacted>");
        assert_eq!(scrub("x ééééé", &["éééééé-more"]), "x <redacted>");
    }

    #[test]
    fn printable_collapses_escapes_and_cuts() {
        assert_eq!(printable("a \n\t b\u{1}c", 100), "a b\\u{1}c");
        assert_eq!(printable("abcdef", 3), "abc…");
        assert_eq!(describe_char('\n'), "U+000A");
        assert_eq!(describe_char('x'), "'x'");
    }
}
