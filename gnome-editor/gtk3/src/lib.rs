// SPDX-License-Identifier: GPL-2.0-or-later
//! NetworkManager-ike's editor page for nm-connection-editor (GTK 3): the library
//! `libnm-vpn-plugin-ike-editor.so`, which the GTK-free plugin library loads in GTK 3
//! processes. It exports `nm_vpn_editor_factory_ike` ([`editor`], the same source as the
//! GTK 4 library's) and builds the GTK 3 page from the shared toolkit-free model
//! ([`nm_ike_editor_model`]).
//!
//! `unsafe` only for the C ABI of libnm and GObject; every block says why it is sound.

pub use nm_ike_editor_model::{fields, files, model, nm, rows, trace};

#[path = "../../src/editor.rs"]
pub mod editor;
mod page_gtk3;
use page_gtk3 as page;
