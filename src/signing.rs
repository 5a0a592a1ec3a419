//! AK/SK request signing, `SDK-HMAC-SHA256`, as the official Huawei Cloud SDKs do it
//! (byte-for-byte test vectors, checked against the official signer, are the unit tests below).

use ring::{digest, hmac};

pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// Hex SHA-256 of the empty body.
pub const EMPTY_BODY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// One request to sign. Header names may be in any case; all given headers are signed.
pub struct SigningInput<'a> {
    pub method: &'a str,
    /// The path as sent on the wire (percent-encoded).
    pub path: &'a str,
    /// Query pairs, decoded.
    pub query: &'a [(&'a str, &'a str)],
    pub headers: &'a [(&'a str, &'a str)],
    /// Hex SHA-256 of the body.
    pub body_sha256: &'a str,
}

/// The canonical request (step 5 of the spec).
pub fn canonical_request(input: &SigningInput<'_>) -> String {
    let (canonical_headers, signed_headers) = canonical_headers(input.headers);
    // The header block ends with its own '\n', so an empty line follows it.
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        input.method.to_ascii_uppercase(),
        canonical_uri(input.path),
        canonical_query(input.query),
        canonical_headers,
        signed_headers,
        input.body_sha256
    )
}

/// The `SignedHeaders` list: lower-cased names, sorted, joined with `;`.
pub fn signed_headers(headers: &[(&str, &str)]) -> String {
    canonical_headers(headers).1
}

fn canonical_headers(headers: &[(&str, &str)]) -> (String, String) {
    let mut lowered: Vec<(String, &str)> = headers.iter().map(|(n, v)| (n.to_ascii_lowercase(), v.trim())).collect();
    lowered.sort_by(|a, b| a.0.cmp(&b.0));
    let mut lines = String::new();
    for (name, value) in &lowered {
        lines.push_str(name);
        lines.push(':');
        lines.push_str(value);
        lines.push('\n');
    }
    let names: Vec<&str> = lowered.iter().map(|(n, _)| n.as_str()).collect();
    (lines, names.join(";"))
}

/// Decode the path, encode each segment, and end with `/`.
fn canonical_uri(path: &str) -> String {
    let decoded = percent_decode(path);
    let mut out: String = decoded.split(|&b| b == b'/').map(encode).collect::<Vec<_>>().join("/");
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

fn canonical_query(query: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(String, String)> =
        query.iter().map(|(k, v)| (encode(k.as_bytes()), encode(v.as_bytes()))).collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// RFC 3986 encoding: only `A-Z a-z 0-9 - . _ ~` stay literal; upper-case hex.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (malformed ones stay as they are).
pub fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex_val(bytes[i + 1]), hex_val(bytes[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn hex_val(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, data).as_ref())
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// The string to sign (step 6).
pub fn string_to_sign(canonical_request: &str, sdk_date: &str) -> String {
    format!("{ALGORITHM}\n{sdk_date}\n{}", sha256_hex(canonical_request.as_bytes()))
}

/// The hex signature (step 7): HMAC-SHA256 keyed with the SK itself.
pub fn signature(sk: &str, string_to_sign: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, sk.as_bytes());
    hex(hmac::sign(&key, string_to_sign.as_bytes()).as_ref())
}

/// The `Authorization` header value. `sdk_date` must equal the `X-Sdk-Date` header among
/// `input.headers`.
///
/// ```
/// use apig::signing::{authorization, SigningInput, EMPTY_BODY_SHA256};
/// let headers = [("Host", "apig.cn-north-4.myhuaweicloud.com"), ("X-Sdk-Date", "20240101T000000Z")];
/// let input = SigningInput { method: "DELETE", path: "/v2/p/apigw/certificates/c", query: &[],
///                            headers: &headers, body_sha256: EMPTY_BODY_SHA256 };
/// let auth = authorization("AK", "SK", "20240101T000000Z", &input);
/// assert!(auth.starts_with("SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature="));
/// ```
pub fn authorization(ak: &str, sk: &str, sdk_date: &str, input: &SigningInput<'_>) -> String {
    let sts = string_to_sign(&canonical_request(input), sdk_date);
    format!(
        "{ALGORITHM} Access={ak}, SignedHeaders={}, Signature={}",
        signed_headers(input.headers),
        signature(sk, &sts)
    )
}

/// The parts of an `Authorization` header, for servers (the emulator) that verify it.
#[derive(Debug, PartialEq, Eq)]
#[cfg_attr(not(any(feature = "emulator", feature = "internals")), allow(dead_code))]
pub struct ParsedAuthorization<'a> {
    pub access: &'a str,
    pub signed_headers: Vec<&'a str>,
    pub signature: &'a str,
}

#[cfg_attr(not(any(feature = "emulator", feature = "internals")), allow(dead_code))]
pub fn parse_authorization(value: &str) -> Option<ParsedAuthorization<'_>> {
    let rest = value.strip_prefix(ALGORITHM)?.strip_prefix(' ')?;
    let (mut access, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "Access" => access = Some(v),
            "SignedHeaders" => signed = Some(v.split(';').collect()),
            "Signature" => signature = Some(v),
            _ => return None,
        }
    }
    Some(ParsedAuthorization { access: access?, signed_headers: signed?, signature: signature? })
}

#[cfg_attr(not(any(feature = "emulator", feature = "internals")), allow(unused_imports))]
pub use crate::time::parse_sdk_date;
/// `X-Sdk-Date` for a Unix time: see [`crate::time::sdk_date`].
pub use crate::time::sdk_date;

#[cfg(test)]
mod tests {
    use super::*;

    const AK: &str = "AKIDEXAMPLE1234567890";
    const SK: &str = "SKEXAMPLEsecretKey0123456789abcdefghijkl";
    const DATE: &str = "20240101T000000Z";
    const PATH: &str = "/v2/0123456789abcdef0123456789abcdef/apigw/certificates/b6f9b7e2c4b14e5e8a1f0c3d2e1f0a9b";

    fn base_headers() -> Vec<(&'static str, &'static str)> {
        vec![
            ("Content-Type", "application/json"),
            ("Host", "apig.cn-north-4.myhuaweicloud.com"),
            ("User-Agent", "huaweicloud-usdk-python/3.0"),
            ("X-Project-Id", "0123456789abcdef0123456789abcdef"),
            ("X-Sdk-Date", DATE),
        ]
    }

    fn input<'a>(
        path: &'a str,
        query: &'a [(&'a str, &'a str)],
        headers: &'a [(&'a str, &'a str)],
    ) -> SigningInput<'a> {
        SigningInput { method: "DELETE", path, query, headers, body_sha256: EMPTY_BODY_SHA256 }
    }

    #[test]
    fn vector_1() {
        let headers = base_headers();
        let inp = input(PATH, &[], &headers);
        let canonical = canonical_request(&inp);
        assert_eq!(
            canonical,
            "DELETE\n/v2/0123456789abcdef0123456789abcdef/apigw/certificates/b6f9b7e2c4b14e5e8a1f0c3d2e1f0a9b/\n\n\
             content-type:application/json\nhost:apig.cn-north-4.myhuaweicloud.com\n\
             user-agent:huaweicloud-usdk-python/3.0\nx-project-id:0123456789abcdef0123456789abcdef\n\
             x-sdk-date:20240101T000000Z\n\ncontent-type;host;user-agent;x-project-id;x-sdk-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            string_to_sign(&canonical, DATE),
            "SDK-HMAC-SHA256\n20240101T000000Z\nd1b0c870a73852ffd70aa42c92991305272258c3eff6ddc98026e5eb8479edbf"
        );
        assert_eq!(
            authorization(AK, SK, DATE, &inp),
            "SDK-HMAC-SHA256 Access=AKIDEXAMPLE1234567890, \
             SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-date, \
             Signature=96cc06e4e613654bb61e2a8c207fdd47398bdc6ae92a28a8059165327415d653"
        );
    }

    #[test]
    fn vector_2_security_token() {
        let mut headers = base_headers();
        headers.push(("X-Security-Token", "EXAMPLE-SECURITY-TOKEN"));
        let inp = input(PATH, &[], &headers);
        assert_eq!(
            sha256_hex(canonical_request(&inp).as_bytes()),
            "80b1f1fe4c18a7b3e4be55c34865e89401c30407a1ddd474d433998a88e5e652"
        );
        assert_eq!(
            authorization(AK, SK, DATE, &inp),
            "SDK-HMAC-SHA256 Access=AKIDEXAMPLE1234567890, \
             SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-date;x-security-token, \
             Signature=0e2b00b577cd55c29b3523f66ca3cd680c315406d6f8b0b86bb6d1add92ff7c8"
        );
    }

    #[test]
    fn vector_3_escaping() {
        let headers = base_headers();
        let path = "/v2/0123456789abcdef0123456789abcdef/apigw/certificates/a%20b%2Fc~d";
        let query = [("zeta", "x y"), ("alpha", "true"), ("alpha2", "b"), ("alpha2", "a")];
        let inp = input(path, &query, &headers);
        let canonical = canonical_request(&inp);
        let lines: Vec<&str> = canonical.split('\n').collect();
        assert_eq!(lines[1], "/v2/0123456789abcdef0123456789abcdef/apigw/certificates/a%20b/c~d/");
        assert_eq!(lines[2], "alpha=true&alpha2=a&alpha2=b&zeta=x%20y");
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "d084192d30a53f6d1ad44951e95f68b27bd7c16a3c40f2942bc013430bb2fb80"
        );
        assert!(
            authorization(AK, SK, DATE, &inp)
                .ends_with("Signature=b156dc48f35f22ef9de24cec003bf5f3f891e03b76a03abba0a8f0dee53f41f2")
        );
    }

    #[test]
    fn dates_round_trip() {
        assert_eq!(sdk_date(1_704_067_200), "20240101T000000Z");
        assert_eq!(sdk_date(951_825_599), "20000229T115959Z");
        for t in [0i64, 951_825_599, 1_704_067_200, 4_102_444_800, 1_709_210_096] {
            assert_eq!(parse_sdk_date(&sdk_date(t)), Some(t));
        }
        assert_eq!(parse_sdk_date("2024-01-01T00:00"), None);
        assert_eq!(parse_sdk_date("20241301T000000Z"), None);
    }

    #[test]
    fn parses_authorization() {
        let p = parse_authorization("SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=ab").unwrap();
        assert_eq!(
            p,
            ParsedAuthorization { access: "AK", signed_headers: vec!["host", "x-sdk-date"], signature: "ab" }
        );
        assert!(parse_authorization("Bearer x").is_none());
    }
}
