//! The engine's connection state machine: reads commands, dispatches them
//! through the command table, writes responses.
