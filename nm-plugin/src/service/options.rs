//! How the service behaves: the options from its environment (kernel backend, idle quit,
//! local ports) and the reqid block its bus name asks for.

use super::messages;
use super::sockets::PortPolicy;
use crate::driver::backend::{resolve, Backend, BackendChoice, NoEsp};
use crate::driver::launch::{self, KernelFactory};
use std::time::Duration;

/// Environment variable choosing the kernel backend: `auto` (default), `xfrm` or `record`.
pub const ENV_KERNEL: &str = "NM_IKE_KERNEL";

/// The backend `NM_IKE_KERNEL` asks for (see [`kernel_from_value`]).
pub fn kernel_from_env() -> Result<(KernelFactory, bool), String> {
    kernel_from_value(
        std::env::var(ENV_KERNEL).ok().as_deref(),
        crate::kernel::kernel_has_esp(),
    )
}

/// The backend for the value of `NM_IKE_KERNEL` (unset is `auto`) on a kernel with or without
/// ESP. `auto` is XFRM when the kernel has ESP; without ESP every connection fails with
/// CONNECT_FAILED and a message naming the missing modules (never the recording backend,
/// which leaves traffic unprotected). Returns the factory and whether it is XFRM (then residue
/// cleanup runs at start).
pub fn kernel_from_value(
    value: Option<&str>,
    has_esp: bool,
) -> Result<(KernelFactory, bool), String> {
    let choice =
        BackendChoice::parse(value.unwrap_or("auto")).map_err(|e| format!("{ENV_KERNEL}: {e}"))?;
    let backend = resolve(choice, has_esp);
    match backend {
        Ok(Backend::Xfrm) => {}
        Ok(Backend::Record) => tracing::warn!(
            "{ENV_KERNEL}=record: IPsec SAs are negotiated but NOT installed in the kernel (tests only)"
        ),
        Err(NoEsp) => tracing::warn!("{}", messages::no_esp()),
    }
    Ok((launch::factory(backend), backend == Ok(Backend::Xfrm)))
}

/// Environment variable overriding the idle-quit delay (seconds).
pub const ENV_IDLE_QUIT: &str = "NM_IKE_IDLE_QUIT_SECS";

/// libnm's quit delay after STOPPED.
pub const DEFAULT_IDLE_QUIT: Duration = Duration::from_secs(180);
/// libnm's connect timer.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(60);

/// The connection number `N` of the process NetworkManager names
/// `<service>.Connection_<N>` (one process per connection); `None` for the single-process
/// name. Each connection's engine numbers its Child SAs from its own reqid block, so that two
/// connections never install SAs and policies with the same reqid; the number picks the
/// preferred block (see [`crate::kernel::owner::preferred_block`]).
pub fn connection_number(bus_name: &str) -> Option<u32> {
    bus_name
        .rsplit_once(".Connection_")
        .and_then(|(_, n)| n.parse::<u32>().ok())
}

/// How the service behaves.
#[derive(Clone)]
pub struct Options {
    /// Do not quit when idle (`--persist`).
    pub persist: bool,
    /// Quit this long after reaching STOPPED.
    pub idle_quit: Duration,
    /// Give up a connection attempt after this long.
    pub connect_timeout: Duration,
    /// Local port choice.
    pub ports: PortPolicy,
    /// The kernel backend.
    pub kernel: KernelFactory,
    /// This process's reqid block: its engine numbers Child SAs from the block's first reqid,
    /// its routes carry the block as metric (see [`crate::kernel::owner`]).
    pub block: u32,
    /// The kernel backend is XFRM: clean the residue of dead processes at start, and exempt
    /// each connection's gateway from the tunnel routes (see
    /// [`crate::driver::launch::exempt_gateway`]).
    pub xfrm: bool,
    /// The program started (as `PROGRAM --read-private-file USER FILE`) to read the files of
    /// private profiles with their users' rights (see [`crate::driver::files`]).
    pub file_reader: std::path::PathBuf,
}

impl Options {
    /// Defaults, with `NM_IKE_IDLE_QUIT_SECS`, `NM_IKE_IKE_PORT`, `NM_IKE_NATT_PORT` and
    /// `NM_IKE_KERNEL` applied (the kernel backend as [`kernel_from_env`] chooses it, so
    /// there is no default that could leave traffic unprotected).
    pub fn from_env(persist: bool) -> Result<Self, String> {
        let idle_quit = match std::env::var(ENV_IDLE_QUIT) {
            Ok(v) => Duration::from_secs(
                v.trim()
                    .parse::<u64>()
                    .map_err(|_| format!("{ENV_IDLE_QUIT}={v:?} is not a number of seconds"))?,
            ),
            Err(_) => DEFAULT_IDLE_QUIT,
        };
        let (kernel, xfrm) = kernel_from_env()?;
        Ok(Options {
            persist,
            idle_quit,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            ports: PortPolicy::from_env()?,
            kernel,
            block: 0,
            xfrm,
            // An empty path (no /proc/self/exe) is refused when a private profile's file is read.
            file_reader: crate::driver::files::reader_program().unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::driver::launch::{BackendError, KernelSetup};

    fn setup() -> KernelSetup {
        KernelSetup::responder(0)
    }

    #[test]
    fn auto_without_esp_fails_every_connection() {
        for value in [None, Some("auto"), Some("")] {
            let (factory, xfrm) = kernel_from_value(value, false).unwrap();
            assert!(!xfrm, "{value:?}");
            assert_eq!(
                factory(&setup()).err(),
                Some(BackendError::NoEsp),
                "{value:?}"
            );
        }
    }

    #[test]
    fn recording_backend_only_when_asked() {
        let (factory, xfrm) = kernel_from_value(Some("record"), false).unwrap();
        assert!(!xfrm);
        assert!(factory(&setup()).is_ok());
        // With ESP, auto and xfrm choose XFRM (not opened here: that needs CAP_NET_ADMIN).
        assert!(kernel_from_value(Some("auto"), true).unwrap().1);
        assert!(kernel_from_value(Some("xfrm"), false).unwrap().1);
        assert!(kernel_from_value(Some("recording"), false).is_err());
    }

    #[test]
    fn connection_numbers_from_bus_names() {
        assert_eq!(
            connection_number("org.freedesktop.NetworkManager.ike"),
            None
        );
        assert_eq!(
            connection_number("org.freedesktop.NetworkManager.ike.Connection_0"),
            Some(0)
        );
        assert_eq!(
            connection_number("org.freedesktop.NetworkManager.ike.Connection_67"),
            Some(67)
        );
        assert_eq!(connection_number("x.Connection_y"), None);
    }
}
