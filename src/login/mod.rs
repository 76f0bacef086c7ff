//! The network front end: TLS, pre-authentication commands, authentication
//! backends, throttling, privilege drop and the TLS relay. Execs the engine
//! once the user is known; never calls it.
