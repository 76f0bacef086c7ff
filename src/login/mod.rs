//! The network front end: TLS, pre-authentication commands, authentication
//! backends, throttling, privilege drop and the TLS relay. Execs the engine
//! once the user is known; never calls it.

pub mod auth;
pub mod config;
pub mod conn;
pub mod hash;
#[cfg(feature = "pam")]
pub mod pam;
pub mod passwd;
pub mod preauth;
pub mod privdrop;
pub mod relay;
pub mod sasl;
pub mod server;
pub mod shadow;
pub mod sys;
pub mod throttle;
pub mod tls;

pub use config::Config;
pub use server::{LoginError, listen, serve, serve_inherited};
