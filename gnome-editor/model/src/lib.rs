// SPDX-License-Identifier: GPL-2.0-or-later
//! The toolkit-free part of NetworkManager-ike's editor: what the GTK 4 page (GNOME
//! Settings), the GTK 3 page (nm-connection-editor) and the GTK-free libnm plugin library
//! share.
//!
//! - [`fields`] and [`model`]: every field of the page, its key, its section and its
//!   validation through the service's own schema ([`nm_plugin::settings`]);
//! - [`rows`]: the rows a page shows for the fields, independent of the toolkit;
//! - [`files`]: import and export through [`nm_plugin::import`];
//! - [`nm`]: the libnm and GObject C API the libraries need (hand-written: there is no
//!   maintained libnm binding), without a GLib binding crate so that both toolkits' glib
//!   versions can use it.

pub mod fields;
pub mod files;
pub mod model;
pub mod nm;
pub mod rows;

/// With `NM_IKE_EDITOR_DEBUG` set, writes `message` to stderr (the lab checks which entry
/// points a host such as nm-connection-editor called).
pub fn trace(message: &str) {
    if std::env::var_os("NM_IKE_EDITOR_DEBUG").is_some() {
        eprintln!("nm-ike-editor: {message}");
    }
}
