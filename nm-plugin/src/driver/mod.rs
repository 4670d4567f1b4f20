//! The driver: runs the sans-IO engine with real UDP sockets, timers and a kernel backend.

pub mod backend;
pub mod files;
pub mod filetypes;
pub mod hold;
pub mod kernel;
pub mod launch;
pub mod path;
pub mod profile;
pub mod run;
