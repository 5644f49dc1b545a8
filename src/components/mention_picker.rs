//! The composer's list of members to mention: typing `@` and the start of a name offers the
//! room's members who match (those online, then those who wrote its newest messages), as an ARIA combobox's listbox. Up and Down move, Enter or Tab
//! puts `@Name ` in place of what was typed, Escape closes, and a click picks too.

use crate::dom_id::unique_id;
use crate::i18n::{use_lang, Tr};
use leptos::prelude::*;
use wirechat_session::mentions::{completion, mention_query, suggestions};

/// A mention being typed and the members it could be.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Picking {
    /// Byte offset of the `@` in the text.
    at: usize,
    /// Byte offset of the caret (the end of the typed prefix).
    caret: usize,
    /// The members offered, best first.
    options: Vec<String>,
    /// The one Enter would choose.
    active: usize,
}

/// What a key does while the list is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKey {
    /// The key was the list's: the composer must not act on it too.
    Handled,
    /// The list is closed or the key is not one of its keys.
    Ignored,
}

/// The state of the member list, shared by the composer's field and the list.
#[derive(Debug, Clone, Copy)]
pub struct MentionPicker {
    picking: RwSignal<Option<Picking>>,
    listbox_id: StoredValue<String>,
}

impl MentionPicker {
    /// A closed picker with page-unique ids.
    pub fn new() -> Self {
        Self {
            picking: RwSignal::new(None),
            listbox_id: StoredValue::new(unique_id("mention-options")),
        }
    }

    /// The listbox's id, for the field's `aria-controls`.
    pub fn listbox_id(&self) -> String {
        self.listbox_id.get_value()
    }

    /// Whether the list is shown.
    pub fn is_open(&self) -> bool {
        self.picking.with(Option::is_some)
    }

    /// The id of the option Enter would choose, for the field's `aria-activedescendant`.
    pub fn active_id(&self) -> Option<String> {
        self.picking
            .with(|p| p.as_ref().map(|p| self.option_id(p.active)))
    }

    fn option_id(&self, index: usize) -> String {
        format!("{}-{index}", self.listbox_id.get_value())
    }

    /// Follows the text and caret (a UTF-16 offset, as the DOM counts) of the field:
    /// opens, narrows or closes the list. `members` gives the room's people (asked for only
    /// while a mention is being typed), `me` is the user.
    pub fn follow(
        &self,
        text: &str,
        caret_utf16: u32,
        members: impl FnOnce() -> Vec<String>,
        me: &str,
    ) {
        let caret = byte_offset(text, caret_utf16);
        let next = mention_query(text, caret).and_then(|(at, prefix)| {
            let options: Vec<String> = suggestions(prefix, &members(), me)
                .into_iter()
                .map(str::to_owned)
                .collect();
            (!options.is_empty()).then_some(Picking {
                at,
                caret,
                options,
                active: 0,
            })
        });
        self.picking.update(|now| {
            // The same names offered again keep the one the user moved to.
            let active = match (&*now, &next) {
                (Some(old), Some(new)) if old.options == new.options => old.active,
                _ => 0,
            };
            *now = next.map(|p| Picking { active, ..p });
        });
    }

    /// Closes the list.
    pub fn close(&self) {
        if self.picking.with_untracked(Option::is_some) {
            self.picking.set(None);
        }
    }

    /// Handles a keydown in the field; `text` is the field's value. `commit` gets the new
    /// text and caret (UTF-16) when a member was chosen. While an IME composes, nothing is
    /// chosen: the key belongs to the composition.
    pub fn key(
        &self,
        key: &str,
        composing: bool,
        text: &str,
        commit: impl FnOnce(String, u32),
    ) -> PickerKey {
        if composing || !self.picking.with_untracked(Option::is_some) {
            return PickerKey::Ignored;
        }
        match key {
            "ArrowDown" | "ArrowUp" => {
                let down = key == "ArrowDown";
                self.picking.update(|p| {
                    if let Some(p) = p {
                        let n = p.options.len();
                        p.active = if down {
                            (p.active + 1) % n
                        } else {
                            (p.active + n - 1) % n
                        };
                    }
                });
                PickerKey::Handled
            }
            "Enter" | "Tab" => {
                let active = self
                    .picking
                    .with_untracked(|p| p.as_ref().map(|p| p.active));
                if let Some((text, caret)) = active.and_then(|i| self.chosen(text, i)) {
                    commit(text, caret);
                }
                PickerKey::Handled
            }
            "Escape" => {
                self.close();
                PickerKey::Handled
            }
            _ => PickerKey::Ignored,
        }
    }

    /// The text with option `index` in place of the typed `@prefix`, and the caret after it
    /// (UTF-16); closes the list.
    fn chosen(&self, text: &str, index: usize) -> Option<(String, u32)> {
        let picking = self.picking.get_untracked()?;
        let name = picking.options.get(index)?;
        // The text may have changed under the list (a draft restored, a send).
        let before = text.get(..picking.at)?;
        let after = text.get(picking.caret..)?;
        let inserted = completion(name);
        let caret = utf16_len(before) + utf16_len(&inserted);
        self.picking.set(None);
        Some((format!("{before}{inserted}{after}"), caret))
    }

    /// Chooses option `index` by pointer; see [`MentionPicker::key`] for `commit`.
    pub fn pick(&self, text: &str, index: usize, commit: impl FnOnce(String, u32)) {
        if let Some((text, caret)) = self.chosen(text, index) {
            commit(text, caret);
        }
    }
}

impl Default for MentionPicker {
    fn default() -> Self {
        Self::new()
    }
}

/// The listbox of members to mention, shown above the composer's field while a mention is
/// typed; `on_pick` gets the index of an option chosen by pointer. A plain function rather
/// than a component: it has one caller, and a component costs bundle bytes.
pub fn mention_options(
    picker: MentionPicker,
    on_pick: impl Fn(usize) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let lang = use_lang();
    let options = move || {
        picker.picking.with(|p| {
            p.as_ref()
                .map(|p| {
                    p.options
                        .iter()
                        .enumerate()
                        .map(|(i, name)| (i, name.clone(), i == p.active))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    view! {
        <ul
            id=picker.listbox_id()
            class="mention-options"
            role="listbox"
            aria-label=move || Tr::members_to_mention(lang.get())
            hidden=move || !picker.is_open()
        >
            {move || options().into_iter().map(|(i, name, active)| view! {
                <li
                    id=picker.option_id(i)
                    class="mention-option"
                    role="option"
                    aria-selected=active.to_string()
                    // Focus stays in the field, so typing goes on after a pick.
                    on:mousedown=|ev| ev.prevent_default()
                    on:click=move |_| on_pick(i)
                >
                    <bdi>{name}</bdi>
                </li>
            }).collect_view()}
        </ul>
    }
}

/// The byte offset in `text` of UTF-16 offset `units` (clamped to the text, and to the
/// start of a character).
fn byte_offset(text: &str, units: u32) -> usize {
    let mut counted = 0u32;
    for (at, c) in text.char_indices() {
        if counted >= units {
            return at;
        }
        counted += c.len_utf16() as u32;
    }
    text.len()
}

/// How many UTF-16 units `text` takes in the DOM.
fn utf16_len(text: &str) -> u32 {
    text.encode_utf16().count() as u32
}
