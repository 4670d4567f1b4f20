// SPDX-License-Identifier: GPL-2.0-or-later
//! The GTK3 page (nm-connection-editor): the same fields, layout and behaviour as the GTK4 page
//! (gnome-editor/src/page_gtk4.rs), with GTK3 widgets (combo boxes instead of drop-downs, an entry with
//! hidden text for passwords). Widgets are named `ike-<key>` (and `ike-<key>-flags`).

use crate::editor::Page;
use crate::model::{self, Field, Invalid, Widget, ADVANCED_SECTIONS, FIELDS, SECRET_FLAGS};
use crate::rows::{self, FieldControl, Row};
use gtk::prelude::*;
use nm_plugin::i18n::tr;
use std::collections::BTreeMap;
use std::rc::Rc;

/// One field's widgets.
#[derive(Clone)]
enum Control {
    Entry(gtk::Entry),
    Password(gtk::Entry, gtk::ComboBoxText),
    Choice(gtk::ComboBoxText, &'static [(&'static str, &'static str)]),
    Switch(gtk::Switch, &'static str, &'static str),
}

impl Control {
    fn main_widget(&self) -> gtk::Widget {
        match self {
            Control::Entry(e) => e.clone().upcast(),
            Control::Password(e, _) => e.clone().upcast(),
            Control::Choice(d, _) => d.clone().upcast(),
            Control::Switch(s, _, _) => s.clone().upcast(),
        }
    }
}

/// The GTK3 page.
pub struct Gtk3Page {
    root: gtk::Box,
    advanced: gtk::Window,
    rows: Rc<Vec<Row<Gtk3Control>>>,
}

/// A field's widgets with its label and the widget in the grid (shown and hidden together).
struct Gtk3Control {
    kind: Control,
    label: gtk::Label,
    widget: gtk::Widget,
}

fn dropdown(choices: &'static [(&'static str, &'static str)], value: &str) -> gtk::ComboBoxText {
    let d = gtk::ComboBoxText::new();
    for (v, l) in choices {
        d.append(Some(v), tr(l));
    }
    let v = if choices.iter().any(|(c, _)| *c == value) {
        value
    } else {
        choices.first().map_or("", |(c, _)| *c)
    };
    d.set_active_id(Some(v));
    d
}

fn mark_error(w: &gtk::Widget, on: bool) {
    let ctx = w.style_context();
    if on {
        ctx.add_class("error");
    } else {
        ctx.remove_class("error");
    }
}

/// Builds the widgets of `field` showing `values`; returns the control and the widget to put
/// into the grid.
fn build(
    field: &'static Field,
    values: &BTreeMap<String, String>,
    changed: &Rc<dyn Fn()>,
) -> (Control, gtk::Widget) {
    let name = format!("ike-{}", field.key);
    let value = values.get(field.key).cloned().unwrap_or_default();
    let help = model::help(field);
    let ch = Rc::clone(changed);
    let (control, widget): (Control, gtk::Widget) = match field.widget {
        Widget::Text | Widget::Number | Widget::File => {
            let e = gtk::Entry::new();
            e.set_text(&value);
            if let Some(d) = nm_plugin::settings::schema::key(field.key).and_then(|k| k.default) {
                e.set_placeholder_text(Some(d));
            }
            e.set_hexpand(true);
            if field.widget == Widget::Number {
                e.set_input_purpose(gtk::InputPurpose::Digits);
            }
            e.connect_changed(move |e| {
                mark_error(e.upcast_ref(), false);
                ch();
            });
            let w: gtk::Widget = if field.widget == Widget::File {
                let b = gtk::Box::new(gtk::Orientation::Horizontal, 6);
                b.pack_start(&e, true, true, 0);
                let choose = gtk::Button::with_label(tr("Choose…"));
                choose.set_widget_name(&format!("{name}-choose"));
                let target = e.clone();
                let title = model::label(field);
                choose.connect_clicked(move |btn| {
                    let parent = btn
                        .toplevel()
                        .and_then(|w| w.downcast::<gtk::Window>().ok());
                    let dialog = gtk::FileChooserNative::new(
                        Some(title),
                        parent.as_ref(),
                        gtk::FileChooserAction::Open,
                        Some(tr("_Open")),
                        Some(tr("_Cancel")),
                    );
                    let target = target.clone();
                    dialog.connect_response(move |d, resp| {
                        if resp == gtk::ResponseType::Accept {
                            if let Some(p) = d.file().and_then(|f| f.path()) {
                                target.set_text(&p.to_string_lossy());
                            }
                        }
                        d.destroy();
                    });
                    dialog.show();
                });
                b.pack_start(&choose, false, false, 0);
                b.upcast()
            } else {
                e.clone().upcast()
            };
            (Control::Entry(e), w)
        }
        Widget::Password => {
            let e = gtk::Entry::new();
            e.set_visibility(false);
            e.set_input_purpose(gtk::InputPurpose::Password);
            e.set_text(&value);
            e.set_hexpand(true);
            let ch2 = Rc::clone(&ch);
            e.connect_changed(move |e| {
                mark_error(e.upcast_ref(), false);
                ch2();
            });
            let fv = values
                .get(&format!("{}-flags", field.key))
                .map_or("1", String::as_str);
            let flags = dropdown(SECRET_FLAGS, fv);
            flags.set_widget_name(&format!("{name}-flags"));
            flags.connect_changed(move |_| ch());
            let b = gtk::Box::new(gtk::Orientation::Horizontal, 6);
            b.pack_start(&e, true, true, 0);
            b.pack_start(&flags, false, false, 0);
            (Control::Password(e, flags), b.upcast())
        }
        Widget::Choice(choices) => {
            let d = dropdown(choices, &value);
            d.connect_changed(move |_| ch());
            (Control::Choice(d.clone(), choices), d.upcast())
        }
        Widget::Switch(on, off) => {
            let s = gtk::Switch::new();
            s.set_active(value != off);
            s.set_halign(gtk::Align::Start);
            s.connect_active_notify(move |_| ch());
            (Control::Switch(s.clone(), on, off), s.upcast())
        }
    };
    let main = control.main_widget();
    main.set_widget_name(&name);
    if !help.is_empty() {
        main.set_tooltip_text(Some(&help));
    }
    (control, widget)
}

fn grid() -> gtk::Grid {
    let g = gtk::Grid::new();
    g.set_row_spacing(6);
    g.set_column_spacing(12);
    g.set_margin_top(12);
    g.set_margin_bottom(12);
    g.set_margin_start(12);
    g.set_margin_end(12);
    g
}

impl Gtk3Page {
    /// The page for a profile with the field texts `values`; `on_change` is called on every
    /// edit (the editor emits `changed`).
    pub fn new(values: &BTreeMap<String, String>, on_change: Box<dyn Fn()>) -> Self {
        if !gtk::is_initialized_main_thread() {
            // SAFETY: the host (nm-connection-editor, a test host) initialised GTK on this, its
            // main thread, before asking libnm for our editor.
            unsafe { gtk::set_initialized() };
        }
        let changed: Rc<dyn Fn()> = Rc::from(on_change);
        let root = gtk::Box::new(gtk::Orientation::Vertical, 6);
        root.set_widget_name("ike-page");
        let main = grid();
        // The Advanced dialog: one tab per section, the tabs listed on the left.
        let sections = gtk::Notebook::new();
        sections.set_widget_name("ike-advanced-sections");
        sections.set_tab_pos(gtk::PositionType::Left);
        let mut grids = vec![(model::Section::General, main.clone(), 0)];
        for s in ADVANCED_SECTIONS {
            let g = grid();
            g.set_widget_name(&format!("ike-section-{}", s.id()));
            let tab = gtk::Label::new(Some(s.label()));
            tab.set_xalign(0.0);
            sections.append_page(&g, Some(&tab));
            grids.push((*s, g, 0));
        }
        let mut rows = Vec::new();
        for fl in FIELDS {
            let (control, widget) = build(fl, values, &changed);
            let label = gtk::Label::new(Some(model::label(fl)));
            label.set_xalign(0.0);
            // Every section is in `grids` (the fields' test checks the table's sections).
            if let Some((_, g, row)) = grids.iter_mut().find(|(s, _, _)| *s == fl.section) {
                g.attach(&label, 0, *row, 1, 1);
                g.attach(&widget, 1, *row, 1, 1);
                *row += 1;
            }
            rows.push(Row {
                field: fl,
                control: Gtk3Control {
                    kind: control,
                    label,
                    widget,
                },
            });
        }
        let heading = gtk::Label::new(None);
        heading.set_markup(&format!(
            "<b>{}</b>",
            glib::markup_escape_text(model::Section::General.label())
        ));
        heading.set_xalign(0.0);
        heading.set_margin_start(12);
        heading.set_margin_top(12);
        root.pack_start(&heading, false, false, 0);
        root.pack_start(&main, false, false, 0);
        let advanced_button = gtk::Button::with_label(tr("Advanced…"));
        advanced_button.set_widget_name("ike-advanced");
        advanced_button.set_halign(gtk::Align::End);
        root.pack_start(&advanced_button, false, false, 0);

        let advanced = gtk::Window::new(gtk::WindowType::Toplevel);
        advanced.set_widget_name("ike-advanced-dialog");
        advanced.set_title(tr("IPsec Advanced Options"));
        advanced.set_modal(true);
        advanced.connect_delete_event(|w, _| {
            w.hide();
            glib::Propagation::Stop
        });
        let content = gtk::Box::new(gtk::Orientation::Vertical, 6);
        content.pack_start(&sections, true, true, 0);
        let close = gtk::Button::with_label(tr("Close"));
        close.set_halign(gtk::Align::End);
        close.set_margin_end(12);
        close.set_margin_bottom(12);
        let dlg = advanced.clone();
        close.connect_clicked(move |_| dlg.set_visible(false));
        content.pack_start(&close, false, false, 0);
        advanced.add(&content);
        content.show_all();
        let dlg = advanced.clone();
        advanced_button.connect_clicked(move |b| {
            let parent = b.toplevel().and_then(|w| w.downcast::<gtk::Window>().ok());
            dlg.set_transient_for(parent.as_ref());
            dlg.present();
        });
        root.show_all();

        let page = Gtk3Page {
            root,
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
            d.connect_changed(move |_| rows::apply_visibility(&all));
        }
        page
    }
}

fn value_of(control: &Control) -> (String, Option<String>) {
    match control {
        Control::Entry(e) => (e.text().to_string(), None),
        Control::Password(e, f) => (
            e.text().to_string(),
            Some(
                f.active_id()
                    .map_or_else(|| "1".to_string(), |s| s.to_string()),
            ),
        ),
        Control::Choice(d, choices) => (
            d.active_id().map_or_else(
                || choices.first().map_or("", |(v, _)| *v).to_string(),
                |s| s.to_string(),
            ),
            None,
        ),
        Control::Switch(s, on, off) => ((if s.is_active() { *on } else { *off }).to_string(), None),
    }
}

impl FieldControl for Gtk3Control {
    fn value(&self) -> (String, Option<String>) {
        value_of(&self.kind)
    }

    fn set_invalid(&self, reason: Option<&str>, help: &str) {
        let w = self.kind.main_widget();
        mark_error(&w, reason.is_some());
        match reason {
            Some(r) => w.set_tooltip_text(Some(r)),
            None => w.set_tooltip_text((!help.is_empty()).then_some(help)),
        }
    }

    fn set_shown(&self, shown: bool) {
        // The host's show_all() must not show the fields of the other authentication type.
        self.label.set_no_show_all(true);
        self.widget.set_no_show_all(true);
        self.label.set_visible(shown);
        self.widget.set_visible(shown);
    }
}

impl Page for Gtk3Page {
    fn widget(&self) -> glib::Object {
        self.root.clone().upcast()
    }

    fn values(&self) -> BTreeMap<String, String> {
        rows::values(&self.rows)
    }

    fn mark(&self, invalid: &[Invalid]) {
        rows::mark(&self.rows, invalid);
    }
}

impl Drop for Gtk3Page {
    fn drop(&mut self) {
        // SAFETY: the dialog is ours alone; after this no Rust code uses it (the page, which
        // holds the only other handle, is being dropped).
        unsafe { self.advanced.destroy() };
    }
}

/// The GObject type name of this library's editor object.
pub const EDITOR_TYPE_NAME: &str = "NMIkeEditorGtk3";

/// A new page for the fields' `values`; `on_change` runs when the user edits one.
pub fn new_page(
    values: &BTreeMap<String, String>,
    on_change: Box<dyn Fn()>,
) -> Box<dyn crate::editor::Page> {
    Box::new(Gtk3Page::new(values, on_change))
}
