//! IMAP mailbox names and MH folder names: `INBOX` (any case) and
//! `INBOX/...` are the profile's inbox folder; every other name is the
//! folder path relative to the mail root.

use crate::mh::{FolderName, Profile};

use super::Store;
use super::fault::Res;

/// The IMAP name of the inbox.
pub(super) const INBOX: &str = "INBOX";

/// True when `mailbox` is INBOX itself (a case-insensitive whole name).
pub(super) fn is_inbox(mailbox: &str) -> bool {
    mailbox.eq_ignore_ascii_case(INBOX)
}

/// The part after `INBOX/` when `mailbox` is below INBOX.
fn below_inbox(mailbox: &str) -> Option<&str> {
    let head = mailbox.get(..INBOX.len() + 1)?;
    if !head.eq_ignore_ascii_case("INBOX/") {
        return None;
    }
    mailbox.get(INBOX.len() + 1..)
}

/// The folder an IMAP name stands for.
pub(super) fn folder_for(profile: &Profile, mailbox: &str) -> Res<FolderName> {
    let name = if is_inbox(mailbox) {
        profile.inbox.clone()
    } else if let Some(rest) = below_inbox(mailbox) {
        format!("{}/{rest}", profile.inbox)
    } else {
        mailbox.to_string()
    };
    Ok(FolderName::new(&name)?)
}

/// The IMAP name of a folder (the inbox and its subfolders under INBOX).
pub(super) fn imap_name(profile: &Profile, folder: &str) -> String {
    if folder == profile.inbox {
        return INBOX.to_string();
    }
    match folder.strip_prefix(profile.inbox.as_str()) {
        Some(rest) if rest.starts_with('/') => format!("{INBOX}{rest}"),
        _ => folder.to_string(),
    }
}

/// The canonical IMAP form of a client's name (`inbox/x` -> `INBOX/x`).
pub(super) fn canonical(mailbox: &str) -> String {
    if is_inbox(mailbox) {
        return INBOX.to_string();
    }
    match below_inbox(mailbox) {
        Some(rest) => format!("{INBOX}/{rest}"),
        None => mailbox.to_string(),
    }
}

impl Store {
    /// The folder an IMAP name stands for.
    pub(super) fn folder_of(&self, mailbox: &str) -> Res<FolderName> {
        folder_for(&self.profile, mailbox)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inbox_is_a_whole_token() {
        assert!(is_inbox("inbox"));
        assert!(is_inbox("InBoX"));
        assert!(!is_inbox("inbox-old"));
        assert_eq!(below_inbox("inbox/sub"), Some("sub"));
        assert_eq!(below_inbox("INBOXsub"), None);
        assert_eq!(below_inbox("INBOX"), None);
        assert_eq!(canonical("Inbox/a"), "INBOX/a");
        assert_eq!(canonical("inbox-old"), "inbox-old");
    }

    #[test]
    fn multibyte_prefix_does_not_panic() {
        assert_eq!(below_inbox("ééé/x"), None);
        assert_eq!(below_inbox("INBO"), None);
    }
}
