// SPDX-License-Identifier: GPL-2.0-or-later
//! NetworkManager-ike's libnm editor plugin.
//!
//! Built without features, this crate is the GTK-free plugin library named in the `.name`
//! file (`[libnm] plugin=`): it exports `nm_vpn_editor_plugin_factory` ([`plugin`]) with
//! import/export ([`files`]) and loads the editor library for the host's toolkit
//! ([`loader`]). Built with `gtk4` or `gtk3`, it is that editor library: it exports
//! `nm_vpn_editor_factory_ike` and the page for GNOME Settings (GTK4) or nm-connection-editor
//! (GTK3). Both pages share [`model`]: the fields, their keys and the validation through the
//! service's own schema.
//!
//! This is the only crate of the project with `unsafe` code (the C ABI of libnm and the
//! dynamic loader); every block says why it is sound.

#[cfg(all(feature = "gtk4", feature = "gtk3"))]
compile_error!("build the editor with either the gtk4 or the gtk3 feature, not both");

pub mod fields;
pub mod files;
pub mod loader;
pub mod model;
pub mod nm;
pub mod rows;

#[cfg(not(any(feature = "gtk4", feature = "gtk3")))]
pub mod plugin;

#[cfg(any(feature = "gtk4", feature = "gtk3"))]
pub mod editor;
#[cfg(feature = "gtk3")]
mod page_gtk3;
#[cfg(feature = "gtk4")]
mod page_gtk4;

/// With `NM_IKE_EDITOR_DEBUG` set, writes `message` to stderr (the lab checks which entry
/// points a host such as nm-connection-editor called).
pub fn trace(message: &str) {
    if std::env::var_os("NM_IKE_EDITOR_DEBUG").is_some() {
        eprintln!("nm-ike-editor: {message}");
    }
}
