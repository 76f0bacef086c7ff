//! Mailbox names, LIST patterns and STATUS items.

use super::{PResult, Parser};
use crate::proto::chars::is_atom_char;
use crate::proto::types::{MailboxName, StatusItem};
use crate::proto::utf7;

impl Parser<'_> {
    /// `mailbox = "INBOX" / astring`, decoded from modified UTF-7 and with
    /// INBOX normalised.
    pub(super) fn mailbox(&mut self) -> PResult<MailboxName> {
        let name = self.mailbox_text()?;
        Ok(MailboxName::from_utf8(&name))
    }

    /// A mailbox astring decoded to UTF-8 but not normalised (LIST's
    /// reference name).
    pub(super) fn mailbox_text(&mut self) -> PResult<String> {
        let bytes = self.astring("mailbox name")?;
        self.decode_name(bytes)
    }

    /// `list-mailbox = 1*list-char / string`, decoded.
    pub(super) fn list_mailbox(&mut self) -> PResult<String> {
        let bytes = match self.peek() {
            Some(b'"' | b'{') => self.string("mailbox pattern")?,
            Some(b'~') if self.literal8_next() => self.string("mailbox pattern")?,
            _ => {
                let chars = self.take_while(is_list_char);
                if chars.is_empty() {
                    return Err(self.expected("mailbox pattern"));
                }
                chars.to_vec()
            }
        };
        self.decode_name(bytes)
    }

    /// Modified UTF-7 to UTF-8 (RFC 3501 §5.1.3). A name that is not valid
    /// modified UTF-7 (an unterminated `&`, printable ASCII in base64, raw
    /// 8-bit bytes) is refused: accepting it would create a mailbox that
    /// LIST then shows under another name. Raw UTF-8 names belong to
    /// UTF8=ACCEPT, which asimap does not advertise.
    fn decode_name(&self, bytes: Vec<u8>) -> PResult<String> {
        utf7::decode(&bytes)
            .ok_or_else(|| self.fail("mailbox name is not valid modified UTF-7".into()))
    }

    /// `"(" status-att *(SP status-att) ")"`
    pub(super) fn status_att_list(&mut self) -> PResult<Vec<StatusItem>> {
        self.expect(b'(', "( opening the status items")?;
        let mut items = Vec::new();
        loop {
            items.push(self.status_att()?);
            if self.eat(b')') {
                return Ok(items);
            }
            self.expect(b' ', "SP or ) in the status items")?;
        }
    }

    /// `status-att = "MESSAGES" / "RECENT" / "UIDNEXT" / "UIDVALIDITY" /
    /// "UNSEEN" / "SIZE"`
    fn status_att(&mut self) -> PResult<StatusItem> {
        let start = self.pos;
        let item = match self.atom_upper("status item")?.as_str() {
            "MESSAGES" => StatusItem::Messages,
            "RECENT" => StatusItem::Recent,
            "UIDNEXT" => StatusItem::UidNext,
            "UIDVALIDITY" => StatusItem::UidValidity,
            "UNSEEN" => StatusItem::Unseen,
            "SIZE" => StatusItem::Size,
            _ => {
                self.pos = start;
                return Err(self.expected("status item"));
            }
        };
        Ok(item)
    }
}

/// `list-char = ATOM-CHAR / list-wildcards / resp-specials`
fn is_list_char(b: u8) -> bool {
    is_atom_char(b) || matches!(b, b'%' | b'*' | b']')
}
