//! Logging to stderr, which NetworkManager passes on to the journal.
//!
//! The level comes from `--debug` (debug), else from `NM_VPN_LOG_LEVEL`, the syslog level
//! NetworkManager sets for its plugins (0-3 error, 4 warning, 5-6 info, 7 debug), else info.
//! `NM_IKE_LOG` (a `tracing` env-filter such as `nm_plugin=trace`) overrides both.
//! Secrets are never logged: settings keep them in redacting wrappers and the service logs
//! only key names and typed values.

use tracing::Level;

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

/// Installs the stderr subscriber (no colours, no timestamps: the journal adds its own).
pub fn init(debug: bool) {
    let lvl = level(debug, std::env::var("NM_VPN_LOG_LEVEL").ok().as_deref());
    let filter = tracing_subscriber::EnvFilter::try_from_env("NM_IKE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(lvl.as_str().to_lowercase()));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
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
}
