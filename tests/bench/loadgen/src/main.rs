//! `ike-bench`: UDP handshake load (`handshake`) and the crypto floor (`floor`); see the
//! library documentation. The scale simulation is `ike-bench-scale` (it needs a counting
//! allocator, which would slow these down).

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ike_bench::{floor, udp};

#[derive(Debug, Parser)]
#[command(name = "ike-bench", about = "NetworkManager-ike benchmark drivers")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// UDP handshake load against a responder; measures the responder's CPU time.
    Handshake(udp::Opts),
    /// Crypto floor and in-memory engine cost of one responder handshake.
    Floor(floor::Opts),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match &cli.command {
        Command::Handshake(o) => udp::run(o),
        Command::Floor(o) => floor::run(o),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ike-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
