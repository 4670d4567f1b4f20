//! nm-plugin's integration tests as one test binary: each file beside this one is a module of
//! it (one link instead of one per file). `kernel_host` and `kernel_owner_host` stay binaries
//! of their own: they change process-wide state (network namespaces of their threads, the run
//! directory variable) that the service spawned by `service_dbus` would inherit. Every other
//! `tests/*.rs` must be declared here; `layers::every_test_file_is_built` checks that.

mod cert_gateway_name;
mod cert_revocation;
mod driver_order;
mod i18n;
mod import;
mod kernel_messages;
mod layers;
mod pkcs12;
mod private_files;
mod reauth_service;
mod route_limits;
mod service_dbus;
mod settings;
