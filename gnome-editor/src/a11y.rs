// SPDX-License-Identifier: GPL-2.0-or-later
//! What the GTK 4 page tells screen readers: a field's description, the label that names it,
//! and whether it is invalid.
//!
//! gtk4-rs binds `GtkAccessible` only from its `v4_10` feature on (its GObject-introspection
//! data dates the interface to 4.10), while the page targets GTK 4.8 (Debian 12), where the
//! interface and these four functions exist (since GTK 4.0). They are declared here with
//! their C signatures (gtk/gtkaccessible.h); the enum values come from gtk4-rs's own enums.

use gtk4::glib::translate::{IntoGlib, ToGlibPtr};
use gtk4::prelude::*;
use std::ffi::{c_char, c_int, c_void, CString};

#[link(name = "gtk-4")]
extern "C" {
    fn gtk_accessible_update_property(accessible: *mut c_void, first_property: c_int, ...);
    fn gtk_accessible_update_relation(accessible: *mut c_void, first_relation: c_int, ...);
    fn gtk_accessible_update_state(accessible: *mut c_void, first_state: c_int, ...);
    fn gtk_accessible_reset_state(accessible: *mut c_void, state: c_int);
}

/// The end of a variadic attribute list.
const END: c_int = -1;

/// The widget as a `GtkAccessible *` (every `GtkWidget` implements the interface).
fn accessible(w: &impl IsA<gtk4::Widget>) -> *mut c_void {
    let p: *mut gtk4::ffi::GtkWidget = w.as_ref().to_glib_none().0;
    p.cast()
}

/// Sets the accessible description (what a screen reader reads after the name).
pub fn describe(w: &impl IsA<gtk4::Widget>, text: &str) {
    let text = CString::new(text.replace('\0', "")).unwrap_or_default();
    // SAFETY: `w` is a live widget (a GtkAccessible); the list is one (property, const char *)
    // pair and the -1 terminator, as gtk_accessible_update_property takes it; GTK copies the
    // string.
    unsafe {
        gtk_accessible_update_property(
            accessible(w),
            gtk4::AccessibleProperty::Description.into_glib(),
            text.as_ptr(),
            END,
        );
    }
}

/// Names `w` by `label` (GTK 4 has no implicit "label for": a label beside an entry in a grid
/// names nothing by itself).
pub fn labelled_by(w: &impl IsA<gtk4::Widget>, label: &gtk4::Label) {
    // SAFETY: both are live widgets; the relation's value is a NULL-terminated list of
    // GtkAccessible pointers, then the -1 terminator; GTK takes its own references.
    unsafe {
        gtk_accessible_update_relation(
            accessible(w),
            gtk4::AccessibleRelation::LabelledBy.into_glib(),
            accessible(label),
            std::ptr::null::<c_char>(),
            END,
        );
    }
}

/// Marks `w` invalid for screen readers, or clears the mark.
pub fn set_invalid(w: &impl IsA<gtk4::Widget>, invalid: bool) {
    // SAFETY: `w` is a live widget; update_state takes (state, GtkAccessibleInvalidState) and
    // the -1 terminator; reset_state takes one state.
    unsafe {
        if invalid {
            gtk_accessible_update_state(
                accessible(w),
                gtk4::AccessibleState::Invalid.into_glib(),
                gtk4::AccessibleInvalidState::True.into_glib(),
                END,
            );
        } else {
            gtk_accessible_reset_state(accessible(w), gtk4::AccessibleState::Invalid.into_glib());
        }
    }
}
