// SPDX-License-Identifier: GPL-2.0-or-later
//! The editor object (`NMVpnEditor`) of the GTK4 and GTK3 editor libraries: it holds the page
//! of the toolkit it was built for, answers `get_widget`, and on `update_connection` takes the
//! page's values through [`crate::model::to_profile`] — marking invalid fields on the page and
//! returning an error instead of writing anything when one is invalid.
//!
//! One source for both libraries: the GTK 4 crate (gnome-editor/, current glib) compiles it
//! as its `editor` module and the GTK 3 crate (gnome-editor/gtk3, glib 0.18) includes this
//! file by path; each crate's `page` module supplies the toolkit's page and the GObject type
//! name. It uses only the parts of the glib API that both glib versions have.

use crate::model::{self, Invalid};
use crate::nm;
use glib::prelude::*;
use glib::subclass::prelude::*;
use glib::translate::{IntoGlibPtr, ToGlibPtr};
use nm_plugin::i18n::tr;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What a toolkit's page provides.
pub trait Page {
    /// The page's top widget (kept alive by the page).
    fn widget(&self) -> glib::Object;
    /// The text of every field (see [`model::values_from`]).
    fn values(&self) -> BTreeMap<String, String>;
    /// Marks the invalid fields (and clears the marks of the others).
    fn mark(&self, invalid: &[Invalid]);
}

glib::wrapper! {
    /// libnm's `NMVpnEditor` interface.
    pub struct VpnEditorIface(Interface<nm::NMVpnEditor, nm::NMVpnEditorInterface>);

    match fn {
        type_ => || nm::nm_vpn_editor_get_type(),
    }
}

mod imp {
    use super::*;

    /// The editor's state: the page and the profile it started from.
    #[derive(Default)]
    pub struct Editor {
        pub page: RefCell<Option<Box<dyn Page>>>,
        pub data: RefCell<BTreeMap<String, String>>,
        pub secrets: RefCell<BTreeMap<String, String>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for Editor {
        const NAME: &'static str = crate::page::EDITOR_TYPE_NAME;
        type Type = super::Editor;
        type ParentType = glib::Object;
        type Interfaces = (super::VpnEditorIface,);
    }

    impl ObjectImpl for Editor {}

    impl Drop for Editor {
        fn drop(&mut self) {
            super::wipe(&mut self.secrets.borrow_mut());
        }
    }
}

/// Overwrites the values of a map holding secrets (before it is dropped).
pub fn wipe(map: &mut BTreeMap<String, String>) {
    use zeroize::Zeroize;
    for v in map.values_mut() {
        v.zeroize();
    }
}

glib::wrapper! {
    /// `NMIkeEditorGtk4` / `NMIkeEditorGtk3`.
    pub struct Editor(ObjectSubclass<imp::Editor>) @implements VpnEditorIface;
}

// SAFETY: the vtable entries installed below have exactly the C signatures of
// NMVpnEditorInterface (nm-vpn-editor.h, mirrored in `nm`).
unsafe impl<T: ObjectSubclass> IsImplementable<T> for VpnEditorIface {
    fn interface_init(iface: &mut glib::Interface<Self>) {
        let iface = iface.as_mut();
        iface.get_widget = Some(get_widget);
        iface.update_connection = Some(update_connection);
    }
}

impl Editor {
    /// Emits the interface's `changed` signal (the host then calls `update_connection`).
    pub fn changed(&self) {
        self.emit_by_name::<()>("changed", &[]);
    }
}

/// The editor behind an interface pointer (a new reference).
///
/// # Safety
/// `editor` must be one of our editor objects.
unsafe fn from_ptr(editor: *mut nm::NMVpnEditor) -> Option<Editor> {
    if editor.is_null() {
        return None;
    }
    // SAFETY: `editor` is a live GObject (caller contract); from_glib_none takes a reference.
    let obj: glib::Object =
        unsafe { glib::translate::from_glib_none(editor.cast::<glib::gobject_ffi::GObject>()) };
    obj.downcast::<Editor>().ok()
}

unsafe extern "C" fn get_widget(editor: *mut nm::NMVpnEditor) -> *mut nm::GObject {
    catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: libnm calls us with our own editor object.
        let Some(ed) = (unsafe { from_ptr(editor) }) else {
            return std::ptr::null_mut();
        };
        let page = ed.imp().page.borrow();
        match page.as_ref() {
            // Transfer none: the page keeps the widget alive as long as the editor lives.
            Some(p) => {
                let w: *mut glib::gobject_ffi::GObject = p.widget().to_glib_none().0;
                w.cast()
            }
            None => std::ptr::null_mut(),
        }
    }))
    .unwrap_or(std::ptr::null_mut())
}

unsafe extern "C" fn update_connection(
    editor: *mut nm::NMVpnEditor,
    conn: *mut nm::NMConnection,
    error: *mut *mut nm::GError,
) -> nm::gboolean {
    let r = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: libnm calls us with our own editor object.
        let ed =
            unsafe { from_ptr(editor) }.ok_or_else(|| tr("not a NetworkManager-ike editor"))?;
        let imp = ed.imp();
        let page = imp.page.borrow();
        let page = page.as_ref().ok_or_else(|| tr("the editor has no page"))?;
        let mut values = page.values();
        let checked = {
            let (data, secrets) = (imp.data.borrow(), imp.secrets.borrow());
            model::to_profile(&values, &data, &secrets)
        };
        wipe(&mut values);
        match checked {
            Ok((data, mut secrets)) => {
                page.mark(&[]);
                // SAFETY: libnm passes a valid connection to update.
                unsafe { nm::write(conn, &data, &secrets) };
                wipe(&mut secrets);
                Ok(())
            }
            Err(invalid) => {
                page.mark(&invalid);
                Err(model::error_text(&invalid))
            }
        }
    }));
    match r {
        Ok(Ok(())) => nm::GTRUE,
        Ok(Err(msg)) => {
            // SAFETY: `error` is libnm's GError** out-parameter.
            unsafe { nm::set_error(error, &msg.to_string()) };
            nm::GFALSE
        }
        Err(_) => nm::GFALSE,
    }
}

/// The editor factory the plugin library calls (`nm_vpn_editor_factory_ike`): a new editor
/// for `conn` (transfer full).
///
/// # Safety
/// `conn` must be null or a valid `NMConnection`; `error` null or pointing to a null
/// `GError *`.
#[no_mangle]
pub unsafe extern "C" fn nm_vpn_editor_factory_ike(
    _plugin: *mut nm::NMVpnEditorPlugin,
    conn: *mut nm::NMConnection,
    error: *mut *mut nm::GError,
) -> *mut nm::NMVpnEditor {
    let r = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: libnm passes a valid connection (or null for a new one).
        let content = unsafe { nm::read(conn) };
        crate::trace(&format!("editor factory: page for {:?}", content.id));
        let ed: Editor = glib::Object::new();
        let weak = ed.downgrade();
        let on_change: Box<dyn Fn()> = Box::new(move || {
            if let Some(e) = weak.upgrade() {
                e.changed();
            }
        });
        let mut values = model::values_from(&content.data, &content.secrets);
        let page = crate::page::new_page(&values, on_change);
        wipe(&mut values);
        let imp = ed.imp();
        *imp.page.borrow_mut() = Some(page);
        *imp.data.borrow_mut() = content.data;
        *imp.secrets.borrow_mut() = content.secrets;
        // into_glib_ptr hands our reference to the caller (transfer full); the instance
        // implements NMVpnEditor, so it is also the interface pointer. (An unsafe fn in glib
        // 0.18, the GTK 3 build; safe in the current glib, hence the allow.)
        #[allow(unused_unsafe)]
        // SAFETY: see above: the pointer is a new reference the caller owns.
        let raw: *mut glib::gobject_ffi::GObject =
            unsafe { ed.upcast::<glib::Object>().into_glib_ptr() };
        raw.cast::<nm::NMVpnEditor>()
    }));
    match r {
        Ok(p) => p,
        Err(_) => {
            // SAFETY: `error` is the caller's GError** out-parameter.
            unsafe { nm::set_error(error, tr("NetworkManager-ike: cannot create the editor")) };
            std::ptr::null_mut()
        }
    }
}
