// SPDX-License-Identifier: GPL-2.0-or-later
//! Links libnm (and through its pkg-config file GObject and GLib), whose C functions `nm`
//! declares.

fn main() {
    if let Err(e) = pkg_config::Config::new()
        .atleast_version("1.8")
        .probe("libnm")
    {
        println!("cargo:warning=libnm not found through pkg-config ({e}); install libnm-dev");
        std::process::exit(1);
    }
    println!("cargo:rerun-if-changed=build.rs");
}
