//! Modified UTF-7 for mailbox names (RFC 3501 §5.1.3).

/// Decodes a modified UTF-7 name to UTF-8; `None` if it is malformed.
pub fn decode(_wire: &[u8]) -> Option<String> {
    todo!("proto helper")
}

/// Encodes a UTF-8 name as modified UTF-7.
pub fn encode(_name: &str) -> String {
    todo!("proto helper")
}
