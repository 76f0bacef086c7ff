//! The network front end: TLS, pre-authentication commands, authentication
//! backends, throttling, privilege drop and the TLS relay. Execs the engine
//! once the user is known; never calls it.

pub mod auth;
pub mod hash;
#[cfg(feature = "pam")]
pub mod pam;
pub mod passwd;
pub mod sasl;
pub mod shadow;
pub mod sys;
pub mod throttle;
