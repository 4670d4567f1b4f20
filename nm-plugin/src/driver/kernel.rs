//! Executing the engine's kernel operations: the driver's view of the kernel layer (the trait
//! and the recording backend live in [`crate::kernel::api`] and [`crate::kernel::record`]).

pub use crate::kernel::api::Kernel;
pub use crate::kernel::record::{describe, RecordingKernel};
