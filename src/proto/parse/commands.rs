//! The commands: after `tag SP name`, each command's arguments.

use super::{PResult, Parser};
use crate::proto::chars::is_atom_char;
use crate::proto::types::{CommandBody, Secret, StoreMode};

/// Parses the arguments of the command `name` (upper-cased).
pub(super) fn command_body(p: &mut Parser<'_>, name: &str) -> PResult<CommandBody> {
    use CommandBody as C;
    let body = match name {
        "CAPABILITY" => C::Capability,
        "NOOP" => C::Noop,
        "LOGOUT" => C::Logout,
        "NAMESPACE" => C::Namespace,
        "STARTTLS" => C::StartTls,
        "CHECK" => C::Check,
        "CLOSE" => C::Close,
        "UNSELECT" => C::Unselect,
        "EXPUNGE" => C::Expunge,
        "IDLE" => C::Idle,
        "ID" => p.id()?,
        "ENABLE" => p.enable()?,
        "LOGIN" => p.login()?,
        "AUTHENTICATE" => p.authenticate()?,
        "SELECT" => C::Select(p.sp_mailbox(name)?),
        "EXAMINE" => C::Examine(p.sp_mailbox(name)?),
        "CREATE" => C::Create(p.sp_mailbox(name)?),
        "DELETE" => C::Delete(p.sp_mailbox(name)?),
        "SUBSCRIBE" => C::Subscribe(p.sp_mailbox(name)?),
        "UNSUBSCRIBE" => C::Unsubscribe(p.sp_mailbox(name)?),
        "RENAME" => C::Rename(p.sp_mailbox(name)?, p.sp_mailbox("the old name")?),
        "LIST" => {
            let (reference, pattern) = p.list_args(name)?;
            C::List { reference, pattern }
        }
        "LSUB" => {
            let (reference, pattern) = p.list_args(name)?;
            C::Lsub { reference, pattern }
        }
        "STATUS" => p.status()?,
        "APPEND" => p.append()?,
        "UID" => p.uid()?,
        "SEARCH" | "FETCH" | "STORE" | "COPY" | "MOVE" => p.uid_able(name, false)?,
        _ => return Err(p.fail(format!("unknown command {}", printable(name)))),
    };
    Ok(body)
}

/// A command name safe to echo back.
fn printable(name: &str) -> String {
    name.chars()
        .take(30)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect()
}

impl Parser<'_> {
    /// `SP mailbox` after `after`.
    fn sp_mailbox(&mut self, after: &str) -> PResult<crate::proto::types::MailboxName> {
        self.sp_after(after)?;
        self.mailbox()
    }

    /// `id = "ID" SP id-params-list`, where `id-params-list = "(" [string SP
    /// nstring *(SP string SP nstring)] ")" / nil` (RFC 2971).
    fn id(&mut self) -> PResult<CommandBody> {
        self.sp_after("ID")?;
        if self.keyword("NIL") {
            return Ok(CommandBody::Id(None));
        }
        self.expect(b'(', "( or NIL after ID")?;
        let mut params = Vec::new();
        if self.eat(b')') {
            return Ok(CommandBody::Id(Some(params)));
        }
        loop {
            let field = self.string("ID field name")?;
            self.sp_after("the ID field name")?;
            let value = self.nstring("ID field value")?;
            let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
            params.push((text(field), value.map(text)));
            if self.eat(b')') {
                return Ok(CommandBody::Id(Some(params)));
            }
            self.expect(b' ', "SP or ) in the ID list")?;
        }
    }

    /// `enable = "ENABLE" 1*(SP capability)` (RFC 5161).
    fn enable(&mut self) -> PResult<CommandBody> {
        let mut caps = Vec::new();
        while self.eat(b' ') {
            caps.push(self.atom_upper("capability name")?);
        }
        if caps.is_empty() {
            return Err(self.expected("SP and a capability name"));
        }
        Ok(CommandBody::Enable(caps))
    }

    /// `login = "LOGIN" SP userid SP password`
    fn login(&mut self) -> PResult<CommandBody> {
        self.sp_after("LOGIN")?;
        let user = self.astring_utf8("user name")?;
        self.sp_after("the user name")?;
        let password = Secret(self.astring("password")?);
        Ok(CommandBody::Login { user, password })
    }

    /// `authenticate = "AUTHENTICATE" SP auth-type [SP (base64 / "=")]`
    /// (RFC 4959); the initial response is kept as sent, `=` included.
    fn authenticate(&mut self) -> PResult<CommandBody> {
        self.sp_after("AUTHENTICATE")?;
        let mechanism = self.atom_upper("SASL mechanism name")?;
        let mut initial = None;
        if self.eat(b' ') {
            let text = self.take_while(is_base64_char);
            if text.is_empty() {
                return Err(self.expected("base64 initial response"));
            }
            initial = Some(Secret(text.to_vec()));
        }
        Ok(CommandBody::Authenticate { mechanism, initial })
    }

    /// `SP mailbox SP list-mailbox` of LIST and LSUB.
    fn list_args(&mut self, name: &str) -> PResult<(String, String)> {
        self.sp_after(name)?;
        let reference = self.mailbox_text()?;
        self.sp_after("the reference name")?;
        let pattern = self.list_mailbox()?;
        Ok((reference, pattern))
    }

    /// `status = "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")"`
    fn status(&mut self) -> PResult<CommandBody> {
        let mailbox = self.sp_mailbox("STATUS")?;
        self.sp_after("the mailbox name")?;
        Ok(CommandBody::Status(mailbox, self.status_att_list()?))
    }

    /// `append = "APPEND" SP mailbox [SP flag-list] [SP date-time] SP
    /// literal`
    fn append(&mut self) -> PResult<CommandBody> {
        let mailbox = self.sp_mailbox("APPEND")?;
        self.sp_after("the mailbox name")?;
        let mut flags = Vec::new();
        if self.peek() == Some(b'(') {
            flags = self.flag_list()?;
            self.sp_after("the flag list")?;
        }
        let mut date = None;
        if self.peek() == Some(b'"') {
            date = Some(self.date_time()?);
            self.sp_after("the date-time")?;
        }
        let message = match self.peek() {
            Some(b'{') => self.literal()?.to_vec(),
            Some(b'~') if self.literal8_next() => {
                return Err(self.fail("literal8 (BINARY) is not supported".into()));
            }
            _ => return Err(self.expected("message literal")),
        };
        Ok(CommandBody::Append {
            mailbox,
            flags,
            date,
            message,
        })
    }

    /// `uid = "UID" SP ("COPY" / "MOVE" / "FETCH" / "SEARCH" / "STORE" /
    /// "EXPUNGE") ...`
    fn uid(&mut self) -> PResult<CommandBody> {
        self.sp_after("UID")?;
        let name = self.atom_upper("command after UID")?;
        match name.as_str() {
            "SEARCH" | "FETCH" | "STORE" | "COPY" | "MOVE" => self.uid_able(&name, true),
            "EXPUNGE" => {
                self.sp_after("UID EXPUNGE")?;
                Ok(CommandBody::UidExpunge(self.sequence_set()?))
            }
            _ => Err(self.fail(format!("UID {} is not a command", printable(&name)))),
        }
    }

    /// The commands that exist with and without `UID`.
    fn uid_able(&mut self, name: &str, uid: bool) -> PResult<CommandBody> {
        if name == "SEARCH" {
            let (charset, key) = self.search_program()?;
            return Ok(CommandBody::Search { uid, charset, key });
        }
        self.sp_after(name)?;
        let set = self.sequence_set()?;
        self.sp_after("the sequence set")?;
        Ok(match name {
            "FETCH" => CommandBody::Fetch {
                uid,
                set,
                attrs: self.fetch_items()?,
            },
            "STORE" => self.store(uid, set)?,
            "COPY" => CommandBody::Copy {
                uid,
                set,
                mailbox: self.mailbox()?,
            },
            _ => CommandBody::Move {
                uid,
                set,
                mailbox: self.mailbox()?,
            },
        })
    }

    /// `store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list /
    /// (flag *(SP flag)))`
    fn store(&mut self, uid: bool, set: crate::proto::types::SequenceSet) -> PResult<CommandBody> {
        let start = self.pos;
        let item = self.take_while(is_atom_char).to_ascii_uppercase();
        let (mode, rest) = match item.split_first() {
            Some((b'+', rest)) => (StoreMode::Add, rest),
            Some((b'-', rest)) => (StoreMode::Remove, rest),
            _ => (StoreMode::Replace, item.as_slice()),
        };
        let silent = match rest {
            b"FLAGS" => false,
            b"FLAGS.SILENT" => true,
            _ => {
                self.pos = start;
                return Err(self.expected("FLAGS, +FLAGS or -FLAGS"));
            }
        };
        self.sp_after("the store item")?;
        let flags = if self.peek() == Some(b'(') {
            self.flag_list()?
        } else {
            let mut flags = vec![self.flag()?];
            while self.eat(b' ') {
                flags.push(self.flag()?);
            }
            flags
        };
        Ok(CommandBody::Store {
            uid,
            set,
            mode,
            silent,
            flags,
        })
    }
}

/// `base64-char` or the `=` padding.
fn is_base64_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
}
