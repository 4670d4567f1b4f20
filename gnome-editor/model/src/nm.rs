// SPDX-License-Identifier: GPL-2.0-or-later
//! The part of libnm's C API the editor plugin needs (hand-written: no maintained Rust binding
//! of libnm exists), and safe wrappers reading and writing a connection's `vpn` setting.
//!
//! It uses no GLib binding crate: the GTK 4 page (current glib) and the GTK 3 page (glib
//! 0.18, the last one gtk3-rs supports) both use this one module, and two versions of the
//! `glib-sys` crate cannot share a build. The few GLib/GObject C types and functions needed
//! are declared here with their C layouts (glib/gtypes.h, gobject/gtype.h, glib/gerror.h).

#![allow(non_camel_case_types)]

use std::collections::BTreeMap;
use std::ffi::{c_char, c_int, c_void, CStr, CString};

/// `gboolean`.
pub type gboolean = c_int;
/// `gpointer`.
pub type gpointer = *mut c_void;
/// `GType` (a `gsize`).
pub type GType = usize;
/// `GQuark`.
pub type GQuark = u32;
/// `TRUE`.
pub const GTRUE: gboolean = 1;
/// `FALSE`.
pub const GFALSE: gboolean = 0;

/// `GTypeInterface`, the head of every interface vtable.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct GTypeInterface {
    /// The interface type.
    pub g_type: GType,
    /// The instance type implementing it.
    pub g_instance_type: GType,
}

/// `GError`.
#[repr(C)]
#[derive(Debug)]
pub struct GError {
    /// The error domain.
    pub domain: GQuark,
    /// The code within the domain.
    pub code: c_int,
    /// The message (UTF-8, NUL-terminated).
    pub message: *mut c_char,
}

/// `GObject` (opaque here).
#[repr(C)]
pub struct GObject {
    _private: [u8; 0],
}

#[link(name = "gobject-2.0")]
extern "C" {
    fn g_object_set(object: *mut GObject, first_property_name: *const c_char, ...);
}

#[link(name = "glib-2.0")]
extern "C" {
    fn g_free(mem: gpointer);
    fn g_strdup(s: *const c_char) -> *mut c_char;
    fn g_quark_from_static_string(s: *const c_char) -> GQuark;
    fn g_set_error_literal(
        err: *mut *mut GError,
        domain: GQuark,
        code: c_int,
        message: *const c_char,
    );
}

/// Our VPN service type (`vpn.service-type`).
pub const SERVICE: &str = "org.freedesktop.NetworkManager.ike";

/// `NMConnection` (opaque).
#[repr(C)]
pub struct NMConnection {
    _private: [u8; 0],
}

/// `NMSetting` (opaque).
#[repr(C)]
pub struct NMSetting {
    _private: [u8; 0],
}

/// `NMVpnEditorPlugin` (opaque interface instance).
#[repr(C)]
pub struct NMVpnEditorPlugin {
    _private: [u8; 0],
}

/// `NMVpnEditor` (opaque interface instance).
#[repr(C)]
pub struct NMVpnEditor {
    _private: [u8; 0],
}

/// `NMVpnPluginInfo` (opaque).
#[repr(C)]
pub struct NMVpnPluginInfo {
    _private: [u8; 0],
}

/// `NMVpnEditorPluginInterface` (nm-vpn-editor-plugin.h).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct NMVpnEditorPluginInterface {
    /// The parent interface.
    pub g_iface: GTypeInterface,
    /// Returns the editor for a connection.
    pub get_editor: Option<
        unsafe extern "C" fn(
            *mut NMVpnEditorPlugin,
            *mut NMConnection,
            *mut *mut GError,
        ) -> *mut NMVpnEditor,
    >,
    /// Capability flags.
    pub get_capabilities: Option<unsafe extern "C" fn(*mut NMVpnEditorPlugin) -> u32>,
    /// Import a file.
    pub import_from_file: Option<
        unsafe extern "C" fn(
            *mut NMVpnEditorPlugin,
            *const c_char,
            *mut *mut GError,
        ) -> *mut NMConnection,
    >,
    /// Export a connection.
    pub export_to_file: Option<
        unsafe extern "C" fn(
            *mut NMVpnEditorPlugin,
            *const c_char,
            *mut NMConnection,
            *mut *mut GError,
        ) -> gboolean,
    >,
    /// Suggested export file name.
    pub get_suggested_filename:
        Option<unsafe extern "C" fn(*mut NMVpnEditorPlugin, *mut NMConnection) -> *mut c_char>,
    /// Called when libnm attaches the plugin info.
    pub notify_plugin_info_set:
        Option<unsafe extern "C" fn(*mut NMVpnEditorPlugin, *mut NMVpnPluginInfo)>,
    /// Extra virtual functions.
    pub get_vt: Option<unsafe extern "C" fn(*mut NMVpnEditorPlugin, *mut usize) -> *const u8>,
}

/// `NMVpnEditorInterface` (nm-vpn-editor.h).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct NMVpnEditorInterface {
    /// The parent interface.
    pub g_iface: GTypeInterface,
    /// The editor's widget (transfer none).
    pub get_widget: Option<unsafe extern "C" fn(*mut NMVpnEditor) -> *mut GObject>,
    /// Unused.
    pub placeholder: Option<unsafe extern "C" fn()>,
    /// Writes the fields into the connection; FALSE and an error when a field is invalid.
    pub update_connection: Option<
        unsafe extern "C" fn(*mut NMVpnEditor, *mut NMConnection, *mut *mut GError) -> gboolean,
    >,
    /// The `changed` signal's class handler.
    pub changed: Option<unsafe extern "C" fn(*mut NMVpnEditor)>,
}

/// `NM_VPN_EDITOR_PLUGIN_CAPABILITY_IMPORT`.
pub const CAPABILITY_IMPORT: u32 = 0x01;
/// `NM_VPN_EDITOR_PLUGIN_CAPABILITY_EXPORT`.
pub const CAPABILITY_EXPORT: u32 = 0x02;
/// `NM_VPN_EDITOR_PLUGIN_CAPABILITY_IPV6`.
pub const CAPABILITY_IPV6: u32 = 0x04;

type ForeachFn = unsafe extern "C" fn(*const c_char, *const c_char, gpointer);

#[link(name = "nm")]
extern "C" {
    /// The GType of the `NMVpnEditorPlugin` interface.
    pub fn nm_vpn_editor_plugin_get_type() -> GType;
    /// The GType of the `NMVpnEditor` interface.
    pub fn nm_vpn_editor_get_type() -> GType;
    fn nm_simple_connection_new() -> *mut NMConnection;
    fn nm_setting_connection_new() -> *mut NMSetting;
    fn nm_setting_vpn_new() -> *mut NMSetting;
    fn nm_setting_ip4_config_new() -> *mut NMSetting;
    fn nm_setting_ip6_config_new() -> *mut NMSetting;
    fn nm_connection_add_setting(c: *mut NMConnection, s: *mut NMSetting);
    fn nm_connection_get_setting_vpn(c: *mut NMConnection) -> *mut NMSetting;
    fn nm_connection_get_id(c: *mut NMConnection) -> *const c_char;
    fn nm_setting_vpn_foreach_data_item(s: *mut NMSetting, f: ForeachFn, user: gpointer);
    fn nm_setting_vpn_foreach_secret(s: *mut NMSetting, f: ForeachFn, user: gpointer);
    fn nm_setting_vpn_add_data_item(s: *mut NMSetting, key: *const c_char, item: *const c_char);
    fn nm_setting_vpn_remove_data_item(s: *mut NMSetting, key: *const c_char) -> gboolean;
    fn nm_setting_vpn_add_secret(s: *mut NMSetting, key: *const c_char, secret: *const c_char);
    fn nm_setting_vpn_remove_secret(s: *mut NMSetting, key: *const c_char) -> gboolean;
    fn nm_utils_uuid_generate() -> *mut c_char;
}

/// The `vpn` setting of a connection as maps, and the connection id.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct VpnContent {
    /// `connection.id` (empty when unset).
    pub id: String,
    /// vpn.data.
    pub data: BTreeMap<String, String>,
    /// vpn.secrets.
    pub secrets: BTreeMap<String, String>,
}

unsafe extern "C" fn collect(key: *const c_char, value: *const c_char, user: gpointer) {
    if key.is_null() || value.is_null() || user.is_null() {
        return;
    }
    // SAFETY: `user` is the `&mut BTreeMap` passed by `read` for the duration of the foreach
    // call; libnm passes NUL-terminated strings valid for this callback.
    let (map, k, v) = unsafe {
        (
            &mut *user.cast::<BTreeMap<String, String>>(),
            CStr::from_ptr(key),
            CStr::from_ptr(value),
        )
    };
    map.insert(
        k.to_string_lossy().into_owned(),
        v.to_string_lossy().into_owned(),
    );
}

fn cstring(s: &str) -> CString {
    CString::new(s.replace('\0', "")).unwrap_or_default()
}

/// Reads the `vpn` setting of `conn` (empty maps when it has none).
///
/// # Safety
/// `conn` must be a valid `NMConnection` pointer (or null).
pub unsafe fn read(conn: *mut NMConnection) -> VpnContent {
    let mut out = VpnContent::default();
    if conn.is_null() {
        return out;
    }
    // SAFETY: `conn` is a valid NMConnection (caller contract); the id string is owned by the
    // connection and copied at once.
    unsafe {
        let id = nm_connection_get_id(conn);
        if !id.is_null() {
            out.id = CStr::from_ptr(id).to_string_lossy().into_owned();
        }
        let s = nm_connection_get_setting_vpn(conn);
        if !s.is_null() {
            let data: *mut BTreeMap<String, String> = &mut out.data;
            nm_setting_vpn_foreach_data_item(s, collect, data.cast());
            let secrets: *mut BTreeMap<String, String> = &mut out.secrets;
            nm_setting_vpn_foreach_secret(s, collect, secrets.cast());
        }
    }
    out
}

/// Replaces the data items and secrets of `conn`'s `vpn` setting (adding the setting, with
/// our service type, when it has none).
///
/// # Safety
/// `conn` must be a valid `NMConnection` pointer.
pub unsafe fn write(
    conn: *mut NMConnection,
    data: &BTreeMap<String, String>,
    secrets: &BTreeMap<String, String>,
) {
    if conn.is_null() {
        return;
    }
    // SAFETY: `conn` is a valid NMConnection (caller contract); the setting pointers come from
    // libnm and stay valid while the connection holds them; key/value CStrings outlive the calls.
    unsafe {
        let mut s = nm_connection_get_setting_vpn(conn);
        if s.is_null() {
            s = nm_setting_vpn_new();
            set_string(s.cast(), "service-type", SERVICE);
            nm_connection_add_setting(conn, s);
        }
        let old = read(conn);
        for k in old.data.keys() {
            nm_setting_vpn_remove_data_item(s, cstring(k).as_ptr());
        }
        for k in old.secrets.keys() {
            nm_setting_vpn_remove_secret(s, cstring(k).as_ptr());
        }
        for (k, v) in data {
            nm_setting_vpn_add_data_item(s, cstring(k).as_ptr(), cstring(v).as_ptr());
        }
        for (k, v) in secrets {
            nm_setting_vpn_add_secret(s, cstring(k).as_ptr(), cstring(v).as_ptr());
        }
    }
}

/// Sets a string property of a GObject.
///
/// # Safety
/// `obj` must be a valid GObject with a string property `name`.
unsafe fn set_string(obj: *mut GObject, name: &str, value: &str) {
    let (name, value) = (cstring(name), cstring(value));
    // SAFETY: `obj` is a valid GObject with this string property (caller contract); the
    // variadic list is one (name, value) pair ended by NULL, as g_object_set requires, and
    // GObject copies the string.
    unsafe {
        g_object_set(
            obj,
            name.as_ptr(),
            value.as_ptr(),
            std::ptr::null::<c_char>(),
        )
    };
}

/// A new connection (transfer full) of type vpn with our service type, a fresh UUID, id `id`,
/// the given data and secrets, and automatic IPv4/IPv6 configuration.
pub fn new_connection(
    id: &str,
    data: &BTreeMap<String, String>,
    secrets: &BTreeMap<String, String>,
) -> *mut NMConnection {
    // SAFETY: all constructors return new objects (transfer full); nm_connection_add_setting
    // takes over the settings' references; the UUID string is freed with g_free after use.
    unsafe {
        let conn = nm_simple_connection_new();
        let s_con = nm_setting_connection_new();
        set_string(s_con.cast(), "id", id);
        set_string(s_con.cast(), "type", "vpn");
        let uuid = nm_utils_uuid_generate();
        if !uuid.is_null() {
            let u = CStr::from_ptr(uuid).to_string_lossy().into_owned();
            g_free(uuid.cast());
            set_string(s_con.cast(), "uuid", &u);
        }
        nm_connection_add_setting(conn, s_con);
        for s in [nm_setting_ip4_config_new(), nm_setting_ip6_config_new()] {
            set_string(s.cast(), "method", "auto");
            nm_connection_add_setting(conn, s);
        }
        write(conn, data, secrets);
        conn
    }
}

/// Our GError domain (`nm-ike-editor-error`); its only code, 0, means that import, export or
/// validation failed (the message says why).
pub const ERROR_DOMAIN: &CStr = c"nm-ike-editor-error";

/// A `GError` in our domain with `message` (for the `GError **` out-parameters).
///
/// # Safety
/// `error` must be null or point to a `GError *` that is null.
pub unsafe fn set_error(error: *mut *mut GError, message: &str) {
    if error.is_null() {
        return;
    }
    let message = cstring(message);
    // SAFETY: the domain name is a static NUL-terminated string; `error` points to an unset
    // GError* (caller contract), which g_set_error_literal fills with a new GError the caller
    // frees.
    unsafe {
        let domain = g_quark_from_static_string(ERROR_DOMAIN.as_ptr());
        g_set_error_literal(error, domain, 0, message.as_ptr());
    }
}

/// A Rust string from a C string argument (empty for null).
///
/// # Safety
/// `s` must be null or a NUL-terminated string.
pub unsafe fn arg(s: *const c_char) -> String {
    if s.is_null() {
        return String::new();
    }
    // SAFETY: non-null and NUL-terminated (caller contract).
    unsafe { CStr::from_ptr(s).to_string_lossy().into_owned() }
}

/// A `g_malloc`ed copy of `s` (transfer full).
pub fn to_glib_string(s: &str) -> *mut c_char {
    let s = cstring(s);
    // SAFETY: `s` is NUL-terminated; g_strdup returns a new g_malloc'ed copy.
    unsafe { g_strdup(s.as_ptr()) }
}
