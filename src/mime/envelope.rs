//! The IMAP ENVELOPE (RFC 3501 §7.4.2) from a message's raw header.

use super::address::{self, EnvAddr};
use super::header::{self, Field};
use super::quote::nstring;

/// Appends the ENVELOPE of the message whose header block is `block`.
///
/// Strings are the raw values (RFC 2047 words left encoded), unfolded and
/// trimmed; when a field repeats, the last one counts, and address fields
/// list the addresses of every occurrence, both as Dovecot does.
pub(crate) fn write(out: &mut Vec<u8>, block: &[u8]) {
    let fields = header::fields(block);
    let text = |name: &str| header::last_value(&fields, name);
    let from = addresses(&fields, "from");
    let sender = addresses(&fields, "sender");
    let reply_to = addresses(&fields, "reply-to");
    out.push(b'(');
    nstring(out, text("date").as_deref());
    out.push(b' ');
    nstring(out, text("subject").as_deref());
    for list in [&from, or(&sender, &from), or(&reply_to, &from)] {
        out.push(b' ');
        address_list(out, list);
    }
    for name in ["to", "cc", "bcc"] {
        out.push(b' ');
        address_list(out, &addresses(&fields, name));
    }
    out.push(b' ');
    nstring(out, text("in-reply-to").as_deref());
    out.push(b' ');
    nstring(out, text("message-id").as_deref());
    out.push(b')');
}

/// Sender and Reply-To default to From when absent or empty (§7.4.2).
fn or<'a>(list: &'a [EnvAddr], from: &'a [EnvAddr]) -> &'a [EnvAddr] {
    if list.is_empty() { from } else { list }
}

fn addresses(fields: &[Field<'_>], name: &str) -> Vec<EnvAddr> {
    fields
        .iter()
        .filter(|f| f.is(name))
        .flat_map(|f| address::parse_list(&header::unfold(f.value)))
        .collect()
}

fn address_list(out: &mut Vec<u8>, list: &[EnvAddr]) {
    if list.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for a in list {
        out.push(b'(');
        nstring(out, a.name.as_deref());
        out.push(b' ');
        nstring(out, a.adl.as_deref());
        out.push(b' ');
        nstring(out, a.mailbox.as_deref());
        out.push(b' ');
        nstring(out, a.host.as_deref());
        out.push(b')');
    }
    out.push(b')');
}

/// The ENVELOPE of a message with no header at all.
pub(crate) fn write_empty(out: &mut Vec<u8>) {
    out.extend_from_slice(b"(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3501_shape() {
        let mut out = Vec::new();
        write(
            &mut out,
            b"Date: Tue, 1 Jul 2003 10:52:37 +0200\nFrom: \"A B\" <a@b.c>\nSubject: hi\n  there\nTo: x@y, G:;\n\n",
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "(\"Tue, 1 Jul 2003 10:52:37 +0200\" \"hi  there\" ((\"A B\" NIL \"a\" \"b.c\")) \
             ((\"A B\" NIL \"a\" \"b.c\")) ((\"A B\" NIL \"a\" \"b.c\")) \
             ((NIL NIL \"x\" \"y\")(NIL NIL \"G\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL NIL)"
        );
    }
}
