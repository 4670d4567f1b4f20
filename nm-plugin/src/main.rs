//! `nm-ike-service`: the NetworkManager VPN plugin service for IKEv2/IPsec.
//!
//! NetworkManager spawns this program (named in our `.name` file) when a connection of type
//! `org.freedesktop.NetworkManager.ike` is activated. See [`nm_plugin::service`].

mod cli;

use clap::Parser;
use nm_plugin::service::{self, options::Options};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    if let Some(v) = &args.read_private_file {
        return match v.as_slice() {
            [user, file] => ExitCode::from(
                u8::try_from(nm_plugin::driver::files::reader_main(
                    user,
                    std::path::Path::new(file),
                ))
                .unwrap_or(1),
            ),
            _ => ExitCode::FAILURE,
        };
    }
    service::logging::init(args.debug);
    let opts = match Options::from_env(args.persist) {
        Ok(o) => o,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if opts.xfrm {
        tracing::info!("kernel backend: XFRM (SAs, policies, routes in the kernel)");
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(service::serve(&args.bus_name, opts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}
