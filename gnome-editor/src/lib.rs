// SPDX-License-Identifier: GPL-2.0-or-later
//! NetworkManager-ike's libnm editor plugin and GTK 4 page.
//!
//! Built without features, this crate is the GTK-free plugin library named in the `.name`
//! file (`[libnm] plugin=`): it exports `nm_vpn_editor_plugin_factory` ([`plugin`]) with
//! import/export ([`files`]) and loads the editor library for the host's toolkit
//! ([`loader`]). Built with `gtk4`, it is the GNOME Settings editor library: it exports
//! `nm_vpn_editor_factory_ike` ([`editor`]) and the GTK 4 page, on the current gtk4-rs.
//! The GTK 3 page for nm-connection-editor is the crate in `gnome-editor/gtk3` (its own
//! workspace: gtk3-rs stops at glib 0.18). All of them share the toolkit-free
//! [`nm_ike_editor_model`]: the fields, their keys, the validation through the service's
//! own schema, import/export and the libnm C API.
//!
//! The editor crates are the only ones of the project with `unsafe` code (the C ABI of libnm
//! and the dynamic loader); every block says why it is sound.

pub use nm_ike_editor_model::{fields, files, model, nm, rows, trace};

pub mod loader;

#[cfg(not(feature = "gtk4"))]
pub mod plugin;

#[cfg(feature = "gtk4")]
mod a11y;
#[cfg(feature = "gtk4")]
pub mod editor;
#[cfg(feature = "gtk4")]
mod page_gtk4;
#[cfg(feature = "gtk4")]
use page_gtk4 as page;
