//! NetworkManager-ike service library: the vpn.data key schema and typed settings, shared by
//! `nm-ike-service`, the editors and import/export.

pub mod driver;
pub mod settings;
pub mod tool;
