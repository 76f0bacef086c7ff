//! Loading what FETCH and SEARCH need about messages: the cached metadata
//! (computed from the file and stored on first use) and the raw bytes.

use std::io::Read;

use crate::mime::Meta;
use crate::state::{MessageRow, StateError, Store};

/// How many messages' metadata are written to the cache per transaction.
const CACHE_BATCH: usize = 500;

/// Metadata for `rows`, in order; `None` for a message whose file is gone
/// and which was never cached. Fills the cache for the ones missing.
pub fn load(
    store: &mut Store,
    mailbox: &str,
    rows: &[&MessageRow],
) -> Result<Vec<Option<Meta>>, StateError> {
    let uids: Vec<u32> = rows.iter().map(|r| r.uid).collect();
    let blobs = store.cached(mailbox, &uids)?;
    let mut metas = Vec::with_capacity(rows.len());
    let mut fresh = Vec::new();
    for (row, blob) in rows.iter().zip(blobs) {
        if let Some(meta) = blob.as_deref().and_then(Meta::from_blob) {
            metas.push(Some(meta));
            continue;
        }
        match raw(store, mailbox, row) {
            Ok(bytes) => {
                let meta = Meta::analyze(&bytes);
                fresh.push((row.uid, meta.to_blob()));
                metas.push(Some(meta));
            }
            Err(StateError::Expunged) => metas.push(None),
            Err(e) => return Err(e),
        }
        if fresh.len() >= CACHE_BATCH {
            store.set_cached(mailbox, &std::mem::take(&mut fresh))?;
        }
    }
    if !fresh.is_empty() {
        store.set_cached(mailbox, &fresh)?;
    }
    Ok(metas)
}

/// The message as stored, after checking it is still the same message.
pub fn raw(store: &mut Store, mailbox: &str, row: &MessageRow) -> Result<Vec<u8>, StateError> {
    let mut file = store.open_message(mailbox, row)?;
    let mut bytes = Vec::new();
    if let Err(e) = file.read_to_end(&mut bytes) {
        let what = format!("{mailbox} uid {}", row.uid);
        return Err(StateError::Mh(crate::mh::MhError::io(what, e)));
    }
    Ok(bytes)
}

/// The message's bytes, or `None` when it is gone for good. When the file
/// under its number is no longer the message (nmh renumbering it right
/// now), the folder is synced and the message looked up again, so one
/// message's bytes are never served under another's UID.
pub fn raw_or_gone(
    store: &mut Store,
    mailbox: &str,
    row: &MessageRow,
) -> Result<Option<Vec<u8>>, StateError> {
    match raw(store, mailbox, row) {
        Ok(bytes) => return Ok(Some(bytes)),
        Err(StateError::Expunged) => {}
        Err(e) => return Err(e),
    }
    store.sync(mailbox)?;
    let Some(moved) = store
        .messages(mailbox)?
        .into_iter()
        .find(|m| m.uid == row.uid)
    else {
        return Ok(None);
    };
    match raw(store, mailbox, &moved) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(StateError::Expunged) => Ok(None),
        Err(e) => Err(e),
    }
}
