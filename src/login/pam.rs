//! The PAM backend (cargo feature `pam`): one transaction per attempt,
//! `pam_authenticate` then `pam_acct_mgmt`, answering every masked prompt
//! with the password and every plain prompt with the user name.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStringExt;

use nonstick::{
    AuthnFlags, ConversationAdapter, ErrorCode, Result as PamResult, Transaction,
    TransactionBuilder,
};

use super::auth::{Account, AuthFailure};
use crate::proto::Secret;

/// Answers PAM's prompts from what the client sent.
struct Answers {
    user: String,
    password: Vec<u8>,
}

impl ConversationAdapter for Answers {
    fn prompt(&self, _request: impl AsRef<OsStr>) -> PamResult<OsString> {
        Ok(OsString::from(&self.user))
    }

    fn masked_prompt(&self, _request: impl AsRef<OsStr>) -> PamResult<OsString> {
        Ok(OsString::from_vec(self.password.clone()))
    }

    fn error_msg(&self, _message: impl AsRef<OsStr>) {}

    fn info_msg(&self, _message: impl AsRef<OsStr>) {}
}

/// Authenticates through the PAM service `service`.
pub fn authenticate(service: &str, user: &str, password: &Secret) -> Result<Account, AuthFailure> {
    // nonstick panics on an interior NUL; refuse those first.
    if service.contains('\0') || password.0.contains(&0) {
        return Err(AuthFailure::BadPassword);
    }
    let answers = Answers {
        user: user.to_string(),
        password: password.0.clone(),
    };
    let mut txn = TransactionBuilder::new_with_service(service)
        .username(user)
        .build(answers.into_conversation())
        .map_err(|e| AuthFailure::Backend(format!("pam_start: {e}")))?;
    let flags = AuthnFlags::SILENT | AuthnFlags::DISALLOW_NULL_AUTHTOK;
    txn.authenticate(flags).map_err(failure)?;
    txn.account_management(flags).map_err(failure)?;
    Ok(Account {
        imap_user: user.to_string(),
        maildir: None,
    })
}

fn failure(code: ErrorCode) -> AuthFailure {
    match code {
        ErrorCode::UserUnknown => AuthFailure::UnknownUser,
        ErrorCode::AuthenticationError => AuthFailure::BadPassword,
        other => AuthFailure::Backend(format!("pam: {other}")),
    }
}
