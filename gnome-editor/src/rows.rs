// SPDX-License-Identifier: GPL-2.0-or-later
//! The page logic both toolkits share: reading the fields' values, marking invalid fields and
//! showing only the fields of the chosen authentication type. A toolkit implements
//! [`FieldControl`] for its widgets and keeps one [`Row`] per field of [`crate::model::FIELDS`].

use crate::model::{self, Field, Invalid};
use std::collections::BTreeMap;

/// What the widgets of one field can do, whatever the toolkit.
pub trait FieldControl {
    /// The field's text, and the storage flags of a password field.
    fn value(&self) -> (String, Option<String>);
    /// Marks the field invalid with `reason` (error style, reason as tooltip), or clears the
    /// mark and shows `help` as tooltip again.
    fn set_invalid(&self, reason: Option<&str>, help: &str);
    /// Shows or hides the field with its label.
    fn set_shown(&self, shown: bool);
}

/// One field of a page.
pub struct Row<C> {
    /// The field.
    pub field: &'static Field,
    /// Its widgets.
    pub control: C,
}

/// Every field's text (and `<key>-flags` for passwords), as [`model::to_profile`] takes them.
pub fn values<C: FieldControl>(rows: &[Row<C>]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for r in rows {
        let (v, flags) = r.control.value();
        out.insert(r.field.key.to_string(), v);
        if let Some(flags) = flags {
            out.insert(format!("{}-flags", r.field.key), flags);
        }
    }
    out
}

/// Marks the `invalid` fields and clears the others.
pub fn mark<C: FieldControl>(rows: &[Row<C>], invalid: &[Invalid]) {
    for r in rows {
        let reason = invalid
            .iter()
            .find(|i| i.key == r.field.key)
            .map(|i| i.message.as_str());
        r.control.set_invalid(reason, &model::help(r.field));
    }
}

/// Shows the fields that apply to the authentication type chosen now, hides the others.
pub fn apply_visibility<C: FieldControl>(rows: &[Row<C>]) {
    let authby = rows
        .iter()
        .find(|r| r.field.key == "authby")
        .map(|r| r.control.value().0)
        .unwrap_or_default();
    for r in rows {
        r.control.set_shown(model::applies(r.field.key, &authby));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;
    use std::cell::RefCell;

    struct Fake {
        value: String,
        flags: Option<String>,
        shown: RefCell<bool>,
        invalid: RefCell<Option<String>>,
    }

    impl FieldControl for Fake {
        fn value(&self) -> (String, Option<String>) {
            (self.value.clone(), self.flags.clone())
        }
        fn set_invalid(&self, reason: Option<&str>, _help: &str) {
            *self.invalid.borrow_mut() = reason.map(str::to_string);
        }
        fn set_shown(&self, shown: bool) {
            *self.shown.borrow_mut() = shown;
        }
    }

    fn rows(authby: &str) -> Vec<Row<Fake>> {
        model::FIELDS
            .iter()
            .map(|f| Row {
                field: f,
                control: Fake {
                    value: if f.key == "authby" {
                        authby.into()
                    } else {
                        String::new()
                    },
                    flags: (f.widget == model::Widget::Password).then(|| "2".to_string()),
                    shown: RefCell::new(true),
                    invalid: RefCell::new(None),
                },
            })
            .collect()
    }

    fn row<'a>(rows: &'a [Row<Fake>], key: &str) -> &'a Fake {
        rows.iter()
            .find(|r| r.field.key == key)
            .map(|r| &r.control)
            .expect("a field of the model")
    }

    #[test]
    fn values_marks_and_visibility_follow_the_model() {
        let r = rows("secret");
        let v = values(&r);
        assert_eq!(v.get("authby").map(String::as_str), Some("secret"));
        assert_eq!(v.get("pskvalue-flags").map(String::as_str), Some("2"));
        apply_visibility(&r);
        assert!(*row(&r, "pskvalue").shown.borrow());
        assert!(!*row(&r, "leftcert").shown.borrow());
        let invalid = [Invalid {
            key: "rightsubnet".into(),
            message: "bad".into(),
        }];
        mark(&r, &invalid);
        assert_eq!(
            row(&r, "rightsubnet").invalid.borrow().as_deref(),
            Some("bad")
        );
        assert_eq!(*row(&r, "right").invalid.borrow(), None);
        mark(&r, &[]);
        assert_eq!(*row(&r, "rightsubnet").invalid.borrow(), None);
        let c = rows("cert");
        apply_visibility(&c);
        assert!(!*row(&c, "pskvalue").shown.borrow());
        assert!(*row(&c, "leftcert").shown.borrow());
        assert!(!*row(&c, "leftusername").shown.borrow());
        let e = rows("eap-mschapv2");
        apply_visibility(&e);
        for key in ["leftusername", "password", "rightca"] {
            assert!(*row(&e, key).shown.borrow(), "{key}");
        }
        for key in ["pskvalue", "leftcert", "leftkey-password"] {
            assert!(!*row(&e, key).shown.borrow(), "{key}");
        }
    }
}
