// SPDX-License-Identifier: GPL-2.0-or-later
//! Finding the editor library for the host's toolkit.
//!
//! The GTK-free plugin library is loaded by GTK3 programs (nm-connection-editor) and GTK4
//! programs (GNOME Settings) alike. Like NetworkManager-libreswan, we look for the GTK3-only
//! symbol `gtk_container_add` in the process: present means GTK3 and the editor library
//! `libnm-vpn-plugin-ike-editor.so`, absent means GTK4 and
//! `libnm-gtk4-vpn-plugin-ike-editor.so`. The library is taken from the folder of the plugin
//! library itself and never unloaded (it registers GObject types).

use crate::nm;
use nm_plugin::i18n::{tr, trf};
use std::ffi::{c_void, CStr, CString};
use std::path::PathBuf;

/// The editor factory every editor library exports as `nm_vpn_editor_factory_ike`.
pub type EditorFactory = unsafe extern "C" fn(
    *mut nm::NMVpnEditorPlugin,
    *mut nm::NMConnection,
    *mut *mut nm::GError,
) -> *mut nm::NMVpnEditor;

/// The name of the exported editor factory.
pub const FACTORY_SYMBOL: &str = "nm_vpn_editor_factory_ike";
/// The GTK4 editor library.
pub const GTK4_LIBRARY: &str = "libnm-gtk4-vpn-plugin-ike-editor.so";
/// The GTK3 editor library.
pub const GTK3_LIBRARY: &str = "libnm-vpn-plugin-ike-editor.so";

/// Whether the host process runs GTK3.
pub fn host_is_gtk3() -> bool {
    let name = c"gtk_container_add";
    // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only looks the symbol up.
    !unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) }.is_null()
}

/// The folder holding this library (where the editor libraries are installed too).
fn own_folder() -> Option<PathBuf> {
    let mut info = std::mem::MaybeUninit::<libc::Dl_info>::zeroed();
    let here = host_is_gtk3 as *const c_void;
    // SAFETY: dladdr fills `info` for an address inside a loaded object (our own function).
    let ok = unsafe { libc::dladdr(here, info.as_mut_ptr()) };
    if ok == 0 {
        return None;
    }
    // SAFETY: dladdr returned non-zero, so `info` is initialised.
    let info = unsafe { info.assume_init() };
    if info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: dli_fname is a NUL-terminated path owned by the dynamic loader.
    let file = unsafe { CStr::from_ptr(info.dli_fname) };
    PathBuf::from(file.to_string_lossy().into_owned())
        .parent()
        .map(PathBuf::from)
}

/// The editor library path for this host (`NM_IKE_EDITOR_DIR` overrides the folder).
pub fn editor_library() -> Result<PathBuf, String> {
    let dir = match std::env::var_os("NM_IKE_EDITOR_DIR") {
        Some(d) => PathBuf::from(d),
        None => own_folder()
            .ok_or_else(|| tr("NetworkManager-ike: cannot find the plugin's folder").to_string())?,
    };
    Ok(dir.join(if host_is_gtk3() {
        GTK3_LIBRARY
    } else {
        GTK4_LIBRARY
    }))
}

/// Loads the editor library for this host and returns its factory.
///
/// # Errors
/// The library is missing or does not export the factory (the message says which).
pub fn editor_factory() -> Result<EditorFactory, String> {
    let lib = editor_library()?;
    let c = CString::new(lib.to_string_lossy().as_bytes()).map_err(|e| e.to_string())?;
    // SAFETY: dlopen with a NUL-terminated path; RTLD_NODELETE keeps the library (and the
    // GObject types it registers) loaded for the life of the process.
    let handle = unsafe {
        libc::dlopen(
            c.as_ptr(),
            libc::RTLD_NOW | libc::RTLD_LOCAL | libc::RTLD_NODELETE,
        )
    };
    if handle.is_null() {
        // SAFETY: dlerror returns the last error string of this thread, or null.
        let why = unsafe { libc::dlerror() };
        let why = if why.is_null() {
            String::new()
        } else {
            // SAFETY: a non-null dlerror result is a NUL-terminated string.
            unsafe { CStr::from_ptr(why) }
                .to_string_lossy()
                .into_owned()
        };
        return Err(trf(
            "NetworkManager-ike: cannot load the editor {file}: {error}",
            &[("file", &lib.display()), ("error", &why)],
        ));
    }
    let sym = CString::new(FACTORY_SYMBOL).map_err(|e| e.to_string())?;
    // SAFETY: dlsym on the handle we just opened, with a NUL-terminated name.
    let f = unsafe { libc::dlsym(handle, sym.as_ptr()) };
    if f.is_null() {
        return Err(trf(
            "NetworkManager-ike: {file} does not export {symbol}",
            &[("file", &lib.display()), ("symbol", &FACTORY_SYMBOL)],
        ));
    }
    // SAFETY: the symbol is our editor factory, exported with exactly this signature.
    Ok(unsafe { std::mem::transmute::<*mut c_void, EditorFactory>(f) })
}
