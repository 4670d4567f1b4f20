//! `ike-bench-scale`: the responder scale simulation (see `ike_bench::scale`), with a counting
//! global allocator for the heap bytes per SA.

use std::alloc::System;
use std::process::ExitCode;

use clap::Parser;
use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Live heap bytes (reallocations are already folded into allocated/deallocated).
fn live_heap() -> i64 {
    let s = GLOBAL.stats();
    let alloc = i64::try_from(s.bytes_allocated).unwrap_or(i64::MAX);
    let dealloc = i64::try_from(s.bytes_deallocated).unwrap_or(i64::MAX);
    alloc - dealloc
}

#[derive(Debug, Parser)]
#[command(name = "ike-bench-scale", about = "Responder engine scale simulation")]
struct Cli {
    #[command(flatten)]
    opts: ike_bench::scale::Opts,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match ike_bench::scale::run(&cli.opts, live_heap) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ike-bench-scale: {e}");
            ExitCode::FAILURE
        }
    }
}
