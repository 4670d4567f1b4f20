//! `nm-ike-auth-dialog`: tells NetworkManager's secret agents which secrets an IKE profile
//! needs (normal and `--external-ui-mode` protocols; see `nm_plugin::auth_dialog`).

use nm_plugin::auth_dialog;
use std::io::{self, Write as _};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match auth_dialog::parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("nm-ike-auth-dialog: {e}");
            return ExitCode::from(2);
        }
    };
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let answer = auth_dialog::run(&args, &mut input);
    drop(input);
    match answer {
        Ok(text) => {
            let mut out = io::stdout().lock();
            if out
                .write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .is_err()
            {
                return ExitCode::FAILURE;
            }
            drop(out);
            if !args.external_ui {
                auth_dialog::wait_for_quit(io::BufReader::new(io::stdin()));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("nm-ike-auth-dialog: {e}");
            ExitCode::FAILURE
        }
    }
}
