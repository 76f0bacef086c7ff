//! The cache format of [`Meta`]: a version byte, then fixed-width numbers
//! (little-endian) and length-prefixed byte strings.

use super::Meta;

/// Bump when the layout or the meaning of any field changes (for example
/// when ENVELOPE or BODYSTRUCTURE output changes), so that stale cache
/// entries are recomputed.
const VERSION: u8 = 2;

/// Serialises `meta`.
pub(crate) fn encode(meta: &Meta) -> Vec<u8> {
    let strings: [&[u8]; 8] = [
        &meta.envelope,
        &meta.body,
        &meta.bodystructure,
        meta.from.as_bytes(),
        meta.to.as_bytes(),
        meta.cc.as_bytes(),
        meta.bcc.as_bytes(),
        meta.subject.as_bytes(),
    ];
    let total: usize = strings.iter().map(|s| s.len() + 4).sum();
    let mut out = Vec::with_capacity(total + 22);
    out.push(VERSION);
    out.extend_from_slice(&meta.size.to_le_bytes());
    out.push(u8::from(meta.sent.is_some()));
    out.extend_from_slice(&meta.sent.unwrap_or(0).to_le_bytes());
    out.extend_from_slice(&meta.sent_offset.to_le_bytes());
    for s in strings {
        // a message is far below 4 GiB; saturate rather than wrap anyway
        let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&s[..len as usize]);
    }
    out
}

/// Reads a blob; `None` for another version, truncation, trailing bytes or
/// text that is not UTF-8.
pub(crate) fn decode(blob: &[u8]) -> Option<Meta> {
    let mut r = Reader { rest: blob };
    if r.take(1)? != [VERSION] {
        return None;
    }
    let size = u64::from_le_bytes(r.array()?);
    let has_sent = r.take(1)?[0] != 0;
    let sent = i64::from_le_bytes(r.array()?);
    let sent_offset = i32::from_le_bytes(r.array()?);
    let meta = Meta {
        size,
        sent: has_sent.then_some(sent),
        sent_offset,
        envelope: r.bytes()?,
        body: r.bytes()?,
        bodystructure: r.bytes()?,
        from: r.text()?,
        to: r.text()?,
        cc: r.text()?,
        bcc: r.text()?,
        subject: r.text()?,
    };
    r.rest.is_empty().then_some(meta)
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.rest.len() < n {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn bytes(&mut self) -> Option<Vec<u8>> {
        let len = u32::from_le_bytes(self.array()?);
        Some(self.take(usize::try_from(len).ok()?)?.to_vec())
    }

    fn text(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_truncation() {
        let meta = Meta {
            size: 42,
            envelope: b"(NIL)".to_vec(),
            body: b"(b)".to_vec(),
            bodystructure: b"(bs)".to_vec(),
            sent: Some(-5),
            sent_offset: -3600,
            from: "f\u{f6}".into(),
            to: "t".into(),
            cc: String::new(),
            bcc: "b".into(),
            subject: "s".into(),
        };
        let blob = encode(&meta);
        assert_eq!(decode(&blob), Some(meta));
        for n in 0..blob.len() {
            assert_eq!(decode(&blob[..n]), None, "truncated at {n}");
        }
        let mut other = blob.clone();
        other[0] = VERSION + 1;
        assert_eq!(decode(&other), None);
        let mut longer = blob;
        longer.push(0);
        assert_eq!(decode(&longer), None);
    }
}
