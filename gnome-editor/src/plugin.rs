// SPDX-License-Identifier: GPL-2.0-or-later
//! The GTK-free plugin object libnm loads from the `.name` file's `[libnm] plugin=` library:
//! `NMIkeEditorPlugin`, implementing `NMVpnEditorPlugin` (name, description, service,
//! capabilities, import, export, suggested file name), and `get_editor`, which loads the
//! editor library for the toolkit of the host process (see [`crate::loader`]).
//!
//! No panic crosses the C boundary: every entry point runs under `catch_unwind`.

use crate::nm;
use glib::prelude::*;
use glib::subclass::prelude::*;
use glib::translate::IntoGlibPtr;
use nm_plugin::i18n::tr;
use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

glib::wrapper! {
    /// libnm's `NMVpnEditorPlugin` interface.
    pub struct VpnEditorPluginIface(Interface<nm::NMVpnEditorPlugin, nm::NMVpnEditorPluginInterface>);

    match fn {
        type_ => || nm::nm_vpn_editor_plugin_get_type(),
    }
}

mod imp {
    use super::*;
    use std::sync::OnceLock;

    /// The plugin object (no state).
    #[derive(Default)]
    pub struct Plugin;

    #[glib::object_subclass]
    impl ObjectSubclass for Plugin {
        const NAME: &'static str = "NMIkeEditorPlugin";
        type Type = super::Plugin;
        type ParentType = glib::Object;
        type Interfaces = (super::VpnEditorPluginIface,);
    }

    impl ObjectImpl for Plugin {
        fn properties() -> &'static [glib::ParamSpec] {
            static PROPS: OnceLock<Vec<glib::ParamSpec>> = OnceLock::new();
            PROPS.get_or_init(|| {
                ["name", "description", "service"]
                    .into_iter()
                    .map(glib::ParamSpecOverride::for_interface::<super::VpnEditorPluginIface>)
                    .collect()
            })
        }

        fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
            match pspec.name() {
                "name" => tr("IPsec/IKEv2 (NetworkManager-ike)").to_value(),
                "description" => {
                    tr("IPsec VPN with IKEv2: Libreswan, strongSwan, Yamaha, AWS and OCI gateways")
                        .to_value()
                }
                "service" => nm::SERVICE.to_value(),
                _ => "".to_value(),
            }
        }
    }
}

glib::wrapper! {
    /// `NMIkeEditorPlugin`.
    pub struct Plugin(ObjectSubclass<imp::Plugin>) @implements VpnEditorPluginIface;
}

// SAFETY: the vtable entries installed below have exactly the C signatures of
// NMVpnEditorPluginInterface (nm-vpn-editor-plugin.h, mirrored in `nm`).
unsafe impl<T: ObjectSubclass> IsImplementable<T> for VpnEditorPluginIface {
    fn interface_init(iface: &mut glib::Interface<Self>) {
        let iface = iface.as_mut();
        iface.get_editor = Some(get_editor);
        iface.get_capabilities = Some(get_capabilities);
        iface.import_from_file = Some(import_from_file);
        iface.export_to_file = Some(export_to_file);
        iface.get_suggested_filename = Some(get_suggested_filename);
    }
}

fn guarded<R>(default: R, f: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(default)
}

unsafe extern "C" fn get_editor(
    plugin: *mut nm::NMVpnEditorPlugin,
    conn: *mut nm::NMConnection,
    error: *mut *mut nm::GError,
) -> *mut nm::NMVpnEditor {
    guarded(std::ptr::null_mut(), || {
        crate::trace(&format!(
            "get_editor: {:?}",
            crate::loader::editor_library()
        ));
        match crate::loader::editor_factory() {
            // SAFETY: the factory has the signature of nm_vpn_editor_factory_ike, which takes
            // the same arguments libnm gave us.
            Ok(factory) => unsafe { factory(plugin, conn, error) },
            Err(e) => {
                // SAFETY: `error` is libnm's GError** out-parameter.
                unsafe { nm::set_error(error, &e) };
                std::ptr::null_mut()
            }
        }
    })
}

unsafe extern "C" fn get_capabilities(_plugin: *mut nm::NMVpnEditorPlugin) -> u32 {
    nm::CAPABILITY_IMPORT | nm::CAPABILITY_EXPORT | nm::CAPABILITY_IPV6
}

unsafe extern "C" fn import_from_file(
    _plugin: *mut nm::NMVpnEditorPlugin,
    path: *const c_char,
    error: *mut *mut nm::GError,
) -> *mut nm::NMConnection {
    guarded(std::ptr::null_mut(), || {
        // SAFETY: libnm passes a NUL-terminated path.
        let path = unsafe { nm::arg(path) };
        match crate::files::import(Path::new(&path)) {
            Ok((name, data, secrets)) => nm::new_connection(&name, &data, &secrets),
            Err(e) => {
                // SAFETY: `error` is libnm's GError** out-parameter.
                unsafe { nm::set_error(error, &e) };
                std::ptr::null_mut()
            }
        }
    })
}

unsafe extern "C" fn export_to_file(
    _plugin: *mut nm::NMVpnEditorPlugin,
    path: *const c_char,
    conn: *mut nm::NMConnection,
    error: *mut *mut nm::GError,
) -> nm::gboolean {
    guarded(nm::GFALSE, || {
        // SAFETY: libnm passes a NUL-terminated path and a valid connection.
        let (path, content) = unsafe { (nm::arg(path), nm::read(conn)) };
        match crate::files::export(Path::new(&path), &content) {
            Ok(()) => nm::GTRUE,
            Err(e) => {
                // SAFETY: `error` is libnm's GError** out-parameter.
                unsafe { nm::set_error(error, &e) };
                nm::GFALSE
            }
        }
    })
}

unsafe extern "C" fn get_suggested_filename(
    _plugin: *mut nm::NMVpnEditorPlugin,
    conn: *mut nm::NMConnection,
) -> *mut c_char {
    guarded(std::ptr::null_mut(), || {
        // SAFETY: libnm passes a valid connection.
        let content = unsafe { nm::read(conn) };
        nm::to_glib_string(&crate::files::suggested_filename(&content.id))
    })
}

/// The entry point libnm looks up in the `[libnm] plugin=` library: a new plugin object
/// (transfer full).
///
/// # Safety
/// `error` must be null or point to a null `GError *` (libnm's convention).
#[no_mangle]
pub unsafe extern "C" fn nm_vpn_editor_plugin_factory(
    error: *mut *mut nm::GError,
) -> *mut nm::NMVpnEditorPlugin {
    let p = guarded(std::ptr::null_mut(), || {
        crate::trace("plugin factory: NMIkeEditorPlugin created");
        let p: Plugin = glib::Object::new();
        // into_glib_ptr hands our reference to the caller (transfer full); the instance
        // implements NMVpnEditorPlugin, so it is also the interface pointer.
        let raw: *mut glib::gobject_ffi::GObject = p.upcast::<glib::Object>().into_glib_ptr();
        raw.cast::<nm::NMVpnEditorPlugin>()
    });
    if p.is_null() {
        // SAFETY: `error` is the caller's GError** out-parameter.
        unsafe { nm::set_error(error, tr("NetworkManager-ike: cannot create the plugin")) };
    }
    p
}
