//! The mapping between IMAP flags and MH sequence names (DESIGN.md, Flags).
//!
//! `\Answered` is `replied`, `\Flagged` is `flagged`, `\Deleted` is
//! `Deleted`, `\Draft` is `Draft`; `\Seen` is "not in the Unseen-Sequence"
//! and is handled by the caller. A keyword that is a legal nmh sequence name
//! (`^[A-Za-z][A-Za-z0-9]*$`, not reserved, not `cur`, not an unseen name,
//! not starting with the negation prefix) is its own sequence name; any
//! other keyword is escaped reversibly into a legal name.

use super::profile::Profile;

/// The sequence name that stores an IMAP flag given in wire form
/// (`\Answered`, `$Junk`); `None` for `\Seen`, `\Recent` and unknown system
/// flags, which have no sequence.
pub fn sequence_for_flag(_flag: &str, _profile: &Profile) -> Option<String> {
    todo!("mh helper")
}

/// The IMAP flag (wire form) a sequence stands for; `None` for `cur`, the
/// unseen sequences and other MH state that is not a flag.
pub fn flag_for_sequence(_name: &str, _profile: &Profile) -> Option<String> {
    todo!("mh helper")
}
