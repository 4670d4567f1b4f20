// SPDX-License-Identifier: GPL-2.0-or-later
//! Links libnm and keeps our libraries loaded once opened (`-z nodelete`): GObject types
//! registered by a library must never be unloaded.

fn main() {
    if let Err(e) = pkg_config::Config::new()
        .atleast_version("1.8")
        .probe("libnm")
    {
        println!("cargo:warning=libnm not found through pkg-config ({e}); install libnm-dev");
        std::process::exit(1);
    }
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    println!("cargo:rerun-if-changed=build.rs");
}
