// SPDX-License-Identifier: GPL-2.0-or-later
//! Keeps our libraries loaded once opened (`-z nodelete`): GObject types registered by a
//! library must never be unloaded. (libnm is linked through nm-ike-editor-model's build
//! script.)

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    println!("cargo:rerun-if-changed=build.rs");
}
