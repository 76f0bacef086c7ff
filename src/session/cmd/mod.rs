//! Command handlers, one file per family. Each handler takes the parsed
//! arguments, resolves the mailbox or messages, does the store work, emits
//! untagged data and returns the completion text.

pub mod any;
pub mod fetch;
pub mod idle;
pub mod mailbox;
pub mod messages;
pub mod meta;
pub mod search;
pub mod store;
