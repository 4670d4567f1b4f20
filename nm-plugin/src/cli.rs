//! Command line of `nm-ike-service`, as NetworkManager invokes it.

use clap::Parser;

/// The well-known D-Bus name of the service.
pub const SERVICE_NAME: &str = "org.freedesktop.NetworkManager.ike";

/// Options NetworkManager (libnm's service plugin convention) passes to VPN services.
#[derive(Debug, Parser)]
#[command(
    name = "nm-ike-service",
    version,
    about = "NetworkManager IKEv2/IPsec VPN service"
)]
pub struct Args {
    /// D-Bus name to own; NetworkManager passes `<service>.Connection_<N>` for each
    /// connection when the plugin supports multiple connections.
    #[arg(long, default_value = SERVICE_NAME)]
    pub bus_name: String,
    /// Do not quit when the connection is down.
    #[arg(long)]
    pub persist: bool,
    /// Log debug messages to stderr.
    #[arg(long)]
    pub debug: bool,
    /// Internal: read FILE with USER's rights and copy it to stdout (the files of private
    /// profiles; see nm_plugin::driver::files).
    #[arg(long = "read-private-file", hide = true, num_args = 2, value_names = ["USER", "FILE"])]
    pub read_private_file: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_arguments_nm_passes() {
        let a = Args::try_parse_from([
            "nm-ike-service",
            "--bus-name",
            "org.freedesktop.NetworkManager.ike.Connection_3",
            "--persist",
        ])
        .unwrap();
        assert_eq!(
            a.bus_name,
            "org.freedesktop.NetworkManager.ike.Connection_3"
        );
        assert!(a.persist);
        assert!(!a.debug);
        let d = Args::try_parse_from(["nm-ike-service"]).unwrap();
        assert_eq!(d.bus_name, SERVICE_NAME);
        assert!(Args::try_parse_from(["nm-ike-service", "--bogus"]).is_err());
        let r =
            Args::try_parse_from(["nm-ike-service", "--read-private-file", "alice", "/f"]).unwrap();
        assert_eq!(r.read_private_file, Some(vec!["alice".into(), "/f".into()]));
        assert!(Args::try_parse_from(["nm-ike-service", "--read-private-file", "alice"]).is_err());
    }
}
