//! NetworkManager-ike service library: the vpn.data key schema and typed settings, shared by
//! `nm-ike-service`, the editors and import/export; the driver and the D-Bus service.

pub mod auth_dialog;
pub mod driver;
pub mod i18n;
pub mod import;
pub mod kernel;
pub mod service;
pub mod settings;
pub mod tool;
