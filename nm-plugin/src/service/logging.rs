//! Logging to the journal or to stderr.
//!
//! NetworkManager sets `NM_VPN_LOG_SYSLOG=1` for its plugins when it logs to syslog/the journal
//! itself (its normal mode) and `0` when it runs in the foreground with `--debug`. With `1` we
//! write to the journal directly (native protocol, `SYSLOG_IDENTIFIER=nm-ike-service`, with
//! the priority of each line), falling back to stderr when there is no journal socket; with
//! `0` or unset, to stderr (which a systemd-run NetworkManager also forwards to the journal).
//!
//! The level comes from `--debug` (debug), else from `NM_VPN_LOG_LEVEL`, the syslog level
//! NetworkManager sets for its plugins (0-3 error, 4 warning, 5-6 info, 7 debug), else info.
//! `NM_IKE_LOG` (a `tracing` env-filter such as `nm_plugin=trace`) overrides both.
//! Secrets are never logged: settings keep them in redacting wrappers and the service logs
//! only key names and typed values.

use tracing::Level;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Where log lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// The systemd journal (native protocol).
    Journal,
    /// Standard error.
    Stderr,
}

/// The sink `NM_VPN_LOG_SYSLOG` asks for: the journal only for `1` (any other value, or none,
/// means stderr).
pub fn sink(nm_vpn_log_syslog: Option<&str>) -> Sink {
    match nm_vpn_log_syslog.map(str::trim) {
        Some("1") => Sink::Journal,
        _ => Sink::Stderr,
    }
}

/// Maps a syslog level (0 emergency … 7 debug) to a `tracing` level.
pub fn level_from_syslog(level: &str) -> Option<Level> {
    match level.trim().parse::<u8>().ok()? {
        0..=3 => Some(Level::ERROR),
        4 => Some(Level::WARN),
        5 | 6 => Some(Level::INFO),
        _ => Some(Level::DEBUG),
    }
}

/// The level from the command line and NetworkManager's environment.
pub fn level(debug: bool, nm_vpn_log_level: Option<&str>) -> Level {
    if debug {
        return Level::DEBUG;
    }
    nm_vpn_log_level
        .and_then(level_from_syslog)
        .unwrap_or(Level::INFO)
}

/// Installs the subscriber: journal or stderr per `NM_VPN_LOG_SYSLOG` (stderr lines carry no
/// colours and no timestamps: the journal adds its own).
pub fn init(debug: bool) {
    let lvl = level(debug, std::env::var("NM_VPN_LOG_LEVEL").ok().as_deref());
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_env("NM_IKE_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(lvl.as_str().to_lowercase()))
    };
    if sink(std::env::var("NM_VPN_LOG_SYSLOG").ok().as_deref()) == Sink::Journal {
        match tracing_journald::layer() {
            Ok(journal) => {
                let journal = journal.with_syslog_identifier("nm-ike-service".to_string());
                if tracing_subscriber::registry()
                    .with(filter())
                    .with(journal)
                    .try_init()
                    .is_ok()
                {
                    return;
                }
            }
            Err(e) => {
                // No journal here (containers, the lab): stderr still reaches NetworkManager.
                eprintln!(
                    "nm-ike-service: NM_VPN_LOG_SYSLOG=1 but no journal ({e}): logging to stderr"
                );
            }
        }
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syslog_levels() {
        assert_eq!(level_from_syslog("0"), Some(Level::ERROR));
        assert_eq!(level_from_syslog("3"), Some(Level::ERROR));
        assert_eq!(level_from_syslog("4"), Some(Level::WARN));
        assert_eq!(level_from_syslog("5"), Some(Level::INFO));
        assert_eq!(level_from_syslog("6"), Some(Level::INFO));
        assert_eq!(level_from_syslog("7"), Some(Level::DEBUG));
        assert_eq!(level_from_syslog("x"), None);
        assert_eq!(level(true, Some("3")), Level::DEBUG);
        assert_eq!(level(false, Some("4")), Level::WARN);
        assert_eq!(level(false, None), Level::INFO);
        assert_eq!(level(false, Some("")), Level::INFO);
    }

    #[test]
    fn syslog_flag_chooses_the_journal() {
        assert_eq!(sink(Some("1")), Sink::Journal);
        assert_eq!(sink(Some(" 1\n")), Sink::Journal);
        assert_eq!(sink(Some("0")), Sink::Stderr);
        assert_eq!(sink(Some("yes")), Sink::Stderr);
        assert_eq!(sink(None), Sink::Stderr);
    }
}
