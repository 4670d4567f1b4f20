//! `nm-ike-service`: the NetworkManager VPN plugin service for IKEv2/IPsec.
//!
//! NetworkManager spawns this program (named in our `.name` file) when a connection of type
//! `org.freedesktop.NetworkManager.ike` is activated.

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = cli::Args::parse();
    eprintln!(
        "nm-ike-service {}: bus name {}; the D-Bus service is not implemented yet",
        env!("CARGO_PKG_VERSION"),
        args.bus_name
    );
    std::process::ExitCode::FAILURE
}
