//! SASL PLAIN (RFC 4616) and the base64 it travels in (RFC 4648).

use crate::proto::Secret;

/// A decoded PLAIN response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plain {
    /// The authentication identity (the user name).
    pub user: String,
    /// The password.
    pub password: Secret,
}

/// Why a PLAIN response was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SaslError {
    /// Not valid base64.
    #[error("invalid base64")]
    Base64,
    /// Not `authzid NUL authcid NUL passwd`, or a name that is not UTF-8.
    #[error("malformed PLAIN response")]
    Malformed,
    /// An authorization identity other than the user: we do not proxy.
    #[error("authorization identity not allowed")]
    Authzid,
    /// The client sent `*`.
    #[error("authentication cancelled")]
    Cancelled,
}

/// Decodes standard base64 with padding; whitespace is not allowed.
pub fn base64_decode(text: &[u8]) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let chunks = text.chunks(4);
    let last = chunks.len().saturating_sub(1);
    for (i, chunk) in chunks.enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i != last) {
            return None;
        }
        let mut n: u32 = 0;
        for &c in &chunk[..4 - pad] {
            n = (n << 6) | u32::from(sextet(c)?);
        }
        n <<= 6 * pad as u32;
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Some(out)
}

fn sextet(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Parses a PLAIN client response given in base64 (`=` is the empty one).
pub fn plain(response: &[u8]) -> Result<Plain, SaslError> {
    let response = trim_line(response);
    if response == b"*" {
        return Err(SaslError::Cancelled);
    }
    let raw = if response == b"=" {
        Vec::new()
    } else {
        base64_decode(response).ok_or(SaslError::Base64)?
    };
    let mut parts = raw.splitn(3, |&b| b == 0);
    let (Some(authz), Some(authc), Some(pass)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(SaslError::Malformed);
    };
    let user = std::str::from_utf8(authc).map_err(|_| SaslError::Malformed)?;
    if user.is_empty() {
        return Err(SaslError::Malformed);
    }
    if !authz.is_empty() && authz != authc {
        return Err(SaslError::Authzid);
    }
    Ok(Plain {
        user: user.to_string(),
        password: Secret(pass.to_vec()),
    })
}

/// Strips a trailing CRLF or LF.
pub fn trim_line(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_rfc4648_vectors() {
        let table: &[(&str, &str)] = &[
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("Zm9vYmE=", "fooba"),
            ("Zm9vYmFy", "foobar"),
        ];
        for (enc, dec) in table {
            assert_eq!(
                base64_decode(enc.as_bytes()).as_deref(),
                Some(dec.as_bytes()),
                "{enc}"
            );
        }
        for bad in ["Zg=", "Z===", "Zg==Zg==", "Zm9v!A==", "Zm 9v"] {
            assert_eq!(base64_decode(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn plain_rfc4616_examples() {
        // "\0tim\0tanstaaftanstaaf"
        let p = plain(b"AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n").expect("plain");
        assert_eq!(p.user, "tim");
        assert_eq!(p.password, Secret(b"tanstaaftanstaaf".to_vec()));
        // "Ursel\0Kurt\0xipj3plmq": authorization as someone else.
        assert_eq!(
            plain(b"VXJzZWwAS3VydAB4aXBqM3BsbXE="),
            Err(SaslError::Authzid)
        );
        // "tim\0tim\0pw": authzid equal to the user is fine.
        assert_eq!(
            plain(b"dGltAHRpbQBwdw==").map(|p| p.user),
            Ok("tim".to_string())
        );
    }

    #[test]
    fn plain_refusals() {
        assert_eq!(plain(b"*"), Err(SaslError::Cancelled));
        assert_eq!(plain(b"="), Err(SaslError::Malformed));
        assert_eq!(plain(b"dGlt"), Err(SaslError::Malformed));
        assert_eq!(plain(b"%%%%"), Err(SaslError::Base64));
        // "\0\0pw": no user.
        assert_eq!(plain(b"AABwdw=="), Err(SaslError::Malformed));
    }
}
