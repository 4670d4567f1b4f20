// SPDX-License-Identifier: GPL-2.0-or-later
//! The GTK4 page (GNOME Settings): the main fields in a grid, the advanced ones in a dialog
//! opened by "Advanced…", one tab per section (named `ike-section-<id>`). Widgets are named `ike-<key>` (and `ike-<key>-flags` for the storage
//! choice of a password); an invalid field gets the `error` style class and the reason as its
//! tooltip until it is edited again.

use crate::editor::Page;
use crate::model::{self, Field, Invalid, Widget, ADVANCED_SECTIONS, FIELDS, SECRET_FLAGS};
use crate::rows::{self, FieldControl, Row};
use gtk4::prelude::*;
use nm_plugin::i18n::tr;
use std::collections::BTreeMap;
use std::rc::Rc;

/// One field's widgets.
#[derive(Clone)]
enum Control {
    Entry(gtk4::Entry),
    Password(gtk4::PasswordEntry, gtk4::DropDown),
    Choice(gtk4::DropDown, &'static [(&'static str, &'static str)]),
    Switch(gtk4::Switch, &'static str, &'static str),
}

impl Control {
    fn main_widget(&self) -> gtk4::Widget {
        match self {
            Control::Entry(e) => e.clone().upcast(),
            Control::Password(e, _) => e.clone().upcast(),
            Control::Choice(d, _) => d.clone().upcast(),
            Control::Switch(s, _, _) => s.clone().upcast(),
        }
    }
}

/// The GTK4 page.
pub struct Gtk4Page {
    root: gtk4::Box,
    /// Why the profile cannot be saved (shown under the fields while something is invalid).
    problems: gtk4::Label,
    advanced: gtk4::Window,
    rows: Rc<Vec<Row<Gtk4Control>>>,
}

/// A field's widgets with its label and the widget in the grid (shown and hidden together).
struct Gtk4Control {
    kind: Control,
    label: gtk4::Label,
    widget: gtk4::Widget,
}

fn choice_index(choices: &[(&str, &str)], value: &str) -> u32 {
    choices
        .iter()
        .position(|(v, _)| *v == value)
        .and_then(|i| u32::try_from(i).ok())
        .unwrap_or(0)
}

fn dropdown(choices: &'static [(&'static str, &'static str)]) -> gtk4::DropDown {
    let labels: Vec<&str> = choices.iter().map(|(_, l)| tr(l)).collect();
    gtk4::DropDown::from_strings(&labels)
}

/// Builds the widgets of `field` showing `values`; returns the control and the widget to put
/// into the grid.
fn build(
    field: &'static Field,
    values: &BTreeMap<String, String>,
    changed: &Rc<dyn Fn()>,
) -> (Control, gtk4::Widget) {
    let name = format!("ike-{}", field.key);
    let value = values.get(field.key).cloned().unwrap_or_default();
    let help = model::help(field);
    let ch = Rc::clone(changed);
    let (control, widget): (Control, gtk4::Widget) = match field.widget {
        Widget::Text | Widget::Number | Widget::File => {
            let e = gtk4::Entry::new();
            e.set_text(&value);
            if let Some(d) = nm_plugin::settings::schema::key(field.key).and_then(|k| k.default) {
                e.set_placeholder_text(Some(d));
            }
            e.set_hexpand(true);
            if field.widget == Widget::Number {
                e.set_input_purpose(gtk4::InputPurpose::Digits);
            }
            e.connect_changed(move |e| {
                e.remove_css_class("error");
                ch();
            });
            let w: gtk4::Widget = if field.widget == Widget::File {
                let b = gtk4::Box::new(gtk4::Orientation::Horizontal, 6);
                b.append(&e);
                let choose = gtk4::Button::with_label(tr("Choose…"));
                choose.set_widget_name(&format!("{name}-choose"));
                let target = e.clone();
                let title = model::label(field);
                choose.connect_clicked(move |btn| {
                    let parent = btn.root().and_downcast::<gtk4::Window>();
                    let dialog = gtk4::FileChooserNative::new(
                        Some(title),
                        parent.as_ref(),
                        gtk4::FileChooserAction::Open,
                        Some(tr("_Open")),
                        Some(tr("_Cancel")),
                    );
                    let target = target.clone();
                    dialog.connect_response(move |d, resp| {
                        if resp == gtk4::ResponseType::Accept {
                            if let Some(p) = d.file().and_then(|f| f.path()) {
                                target.set_text(&p.to_string_lossy());
                            }
                        }
                        d.destroy();
                    });
                    dialog.show();
                });
                b.append(&choose);
                b.upcast()
            } else {
                e.clone().upcast()
            };
            (Control::Entry(e), w)
        }
        Widget::Password => {
            let e = gtk4::PasswordEntry::new();
            e.set_show_peek_icon(true);
            e.set_text(&value);
            e.set_hexpand(true);
            let ch2 = Rc::clone(&ch);
            e.connect_changed(move |e| {
                e.remove_css_class("error");
                ch2();
            });
            let flags = dropdown(SECRET_FLAGS);
            flags.set_widget_name(&format!("{name}-flags"));
            let fv = values
                .get(&format!("{}-flags", field.key))
                .map_or("1", String::as_str);
            flags.set_selected(choice_index(SECRET_FLAGS, fv));
            flags.connect_selected_notify(move |_| ch());
            // The storage choice goes under the password, not beside it: its texts are long,
            // and in GNOME Settings' narrow dialog a row of both left the password entry no
            // width at all (GTK allocated it -22 pixels).
            let b = gtk4::Box::new(gtk4::Orientation::Vertical, 6);
            b.append(&e);
            b.append(&flags);
            (Control::Password(e, flags), b.upcast())
        }
        Widget::Choice(choices) => {
            let d = dropdown(choices);
            d.set_selected(choice_index(choices, &value));
            d.connect_selected_notify(move |_| ch());
            (Control::Choice(d.clone(), choices), d.upcast())
        }
        Widget::Switch(on, off) => {
            let s = gtk4::Switch::new();
            s.set_active(value != off);
            s.set_halign(gtk4::Align::Start);
            s.connect_active_notify(move |_| ch());
            (Control::Switch(s.clone(), on, off), s.upcast())
        }
    };
    let main = control.main_widget();
    main.set_widget_name(&name);
    if !help.is_empty() {
        main.set_tooltip_text(Some(&help));
        crate::a11y::describe(&main, &help);
    }
    (control, widget)
}

/// Gives the field's widgets their accessible name: a label next to an entry in a grid names
/// nothing for a screen reader (GTK 4 has no implicit "label for"), so each control is
/// labelled by its field's label, and so is the storage choice of a password (its current
/// choice is read after the name).
fn name_controls(control: &Control, label: &gtk4::Label) {
    crate::a11y::labelled_by(&control.main_widget(), label);
    if let Control::Password(_, flags) = control {
        crate::a11y::labelled_by(flags, label);
    }
}

fn grid() -> gtk4::Grid {
    let g = gtk4::Grid::new();
    g.set_row_spacing(6);
    g.set_column_spacing(12);
    g.set_margin_top(12);
    g.set_margin_bottom(12);
    g.set_margin_start(12);
    g.set_margin_end(12);
    g
}

impl Gtk4Page {
    /// The page for a profile with the field texts `values`; `on_change` is called on every
    /// edit (the editor emits `changed`).
    pub fn new(values: &BTreeMap<String, String>, on_change: Box<dyn Fn()>) -> Self {
        if !gtk4::is_initialized_main_thread() {
            // SAFETY: the host (GNOME Settings, a test host) initialised GTK on this, its
            // main thread, before asking libnm for our editor; set_initialized checks
            // gtk_is_initialized() itself.
            unsafe { gtk4::set_initialized() };
        }
        let changed: Rc<dyn Fn()> = Rc::from(on_change);
        let root = gtk4::Box::new(gtk4::Orientation::Vertical, 6);
        root.set_widget_name("ike-page");
        let main = grid();
        // The Advanced dialog: one tab per section, the tabs listed on the left.
        let sections = gtk4::Notebook::new();
        sections.set_widget_name("ike-advanced-sections");
        sections.set_tab_pos(gtk4::PositionType::Left);
        let mut grids = vec![(model::Section::General, main.clone(), 0)];
        for s in ADVANCED_SECTIONS {
            let g = grid();
            g.set_widget_name(&format!("ike-section-{}", s.id()));
            let tab = gtk4::Label::new(Some(s.label()));
            tab.set_xalign(0.0);
            sections.append_page(&g, Some(&tab));
            grids.push((*s, g, 0));
        }
        let mut rows = Vec::new();
        for fl in FIELDS {
            let (control, widget) = build(fl, values, &changed);
            let label = gtk4::Label::new(Some(model::label(fl)));
            label.set_xalign(0.0);
            name_controls(&control, &label);
            // Every section is in `grids` (the fields' test checks the table's sections).
            if let Some((_, g, row)) = grids.iter_mut().find(|(s, _, _)| *s == fl.section) {
                g.attach(&label, 0, *row, 1, 1);
                g.attach(&widget, 1, *row, 1, 1);
                *row += 1;
            }
            rows.push(Row {
                field: fl,
                control: Gtk4Control {
                    kind: control,
                    label,
                    widget,
                },
            });
        }
        let heading = gtk4::Label::new(None);
        heading.set_markup(&format!(
            "<b>{}</b>",
            glib::markup_escape_text(model::Section::General.label())
        ));
        heading.set_xalign(0.0);
        heading.set_margin_start(12);
        heading.set_margin_top(12);
        root.append(&heading);
        root.append(&main);
        // The reasons, in the page itself: a tooltip shows only under the pointer, and GTK 4.8
        // does not give tooltips (nor accessible descriptions) to screen readers.
        let problems = gtk4::Label::new(None);
        problems.set_widget_name("ike-problems");
        problems.set_xalign(0.0);
        problems.set_wrap(true);
        problems.set_selectable(true);
        problems.add_css_class("error");
        problems.set_margin_start(12);
        problems.set_margin_end(12);
        problems.set_visible(false);
        root.append(&problems);
        let advanced_button = gtk4::Button::with_label(tr("Advanced…"));
        advanced_button.set_widget_name("ike-advanced");
        advanced_button.set_halign(gtk4::Align::End);
        root.append(&advanced_button);

        let advanced = gtk4::Window::new();
        advanced.set_widget_name("ike-advanced-dialog");
        advanced.set_title(Some(tr("IPsec Advanced Options")));
        advanced.set_modal(true);
        advanced.set_hide_on_close(true);
        let content = gtk4::Box::new(gtk4::Orientation::Vertical, 6);
        content.append(&sections);
        let close = gtk4::Button::with_label(tr("Close"));
        close.set_halign(gtk4::Align::End);
        close.set_margin_end(12);
        close.set_margin_bottom(12);
        let dlg = advanced.clone();
        close.connect_clicked(move |_| dlg.set_visible(false));
        content.append(&close);
        advanced.set_child(Some(&content));
        let dlg = advanced.clone();
        advanced_button.connect_clicked(move |b| {
            let parent = b.root().and_downcast::<gtk4::Window>();
            dlg.set_transient_for(parent.as_ref());
            dlg.present();
        });

        let page = Gtk4Page {
            root,
            problems,
            advanced,
            rows: Rc::new(rows),
        };
        rows::apply_visibility(&page.rows);
        // Show only the fields of the chosen authentication type.
        if let Some(Control::Choice(d, _)) = page
            .rows
            .iter()
            .find(|r| r.field.key == "authby")
            .map(|r| &r.control.kind)
        {
            let all = Rc::clone(&page.rows);
            d.connect_selected_notify(move |_| rows::apply_visibility(&all));
        }
        page
    }
}

fn value_of(control: &Control) -> (String, Option<String>) {
    match control {
        Control::Entry(e) => (e.text().to_string(), None),
        Control::Password(e, f) => {
            let flags = usize::try_from(f.selected())
                .ok()
                .and_then(|i| SECRET_FLAGS.get(i))
                .map_or("1", |(v, _)| *v);
            (e.text().to_string(), Some(flags.to_string()))
        }
        Control::Choice(d, choices) => (
            usize::try_from(d.selected())
                .ok()
                .and_then(|i| choices.get(i))
                .map_or("", |(v, _)| *v)
                .to_string(),
            None,
        ),
        Control::Switch(s, on, off) => ((if s.is_active() { *on } else { *off }).to_string(), None),
    }
}

impl FieldControl for Gtk4Control {
    fn value(&self) -> (String, Option<String>) {
        value_of(&self.kind)
    }

    fn set_invalid(&self, reason: Option<&str>, help: &str) {
        let w = self.kind.main_widget();
        // The reason is the tooltip and, for screen readers (GTK 4.8 does not pass tooltips
        // on), the accessible description; the invalid state tells them the field is in error.
        match reason {
            Some(r) => {
                w.add_css_class("error");
                w.set_tooltip_text(Some(r));
                crate::a11y::describe(&w, r);
                crate::a11y::set_invalid(&w, true);
            }
            None => {
                w.remove_css_class("error");
                w.set_tooltip_text((!help.is_empty()).then_some(help));
                crate::a11y::describe(&w, help);
                crate::a11y::set_invalid(&w, false);
            }
        }
    }

    fn set_shown(&self, shown: bool) {
        self.label.set_visible(shown);
        self.widget.set_visible(shown);
    }
}

impl Page for Gtk4Page {
    fn widget(&self) -> glib::Object {
        self.root.clone().upcast()
    }

    fn values(&self) -> BTreeMap<String, String> {
        rows::values(&self.rows)
    }

    fn mark(&self, invalid: &[Invalid]) {
        rows::mark(&self.rows, invalid);
        if invalid.is_empty() {
            self.problems.set_visible(false);
            self.problems.set_text("");
        } else {
            self.problems.set_text(&model::error_text(invalid));
            self.problems.set_visible(true);
        }
    }
}

impl Drop for Gtk4Page {
    fn drop(&mut self) {
        self.advanced.destroy();
    }
}

/// The GObject type name of this library's editor object.
pub const EDITOR_TYPE_NAME: &str = "NMIkeEditorGtk4";

/// A new page for the fields' `values`; `on_change` runs when the user edits one.
pub fn new_page(
    values: &BTreeMap<String, String>,
    on_change: Box<dyn Fn()>,
) -> Box<dyn crate::editor::Page> {
    Box::new(Gtk4Page::new(values, on_change))
}
