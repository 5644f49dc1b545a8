//! The actions on one message: a menu opened from its "…" button (shown on hover and focus,
//! and reachable with Tab like every item in it) or by a long press, and the bar of
//! reactions under it.

use crate::chat::{ChatHandle, MessageView, ReactionView};
use crate::components::message_actions::{use_message_actions, Drafting};
use crate::i18n::{use_lang, Tr};
use leptos::prelude::*;

/// The emoji the menu offers for a reaction.
pub const QUICK_EMOJI: [&str; 6] = ["👍", "❤️", "😂", "🎉", "😮", "😢"];

/// What the menu shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuState {
    /// Only the "…" button.
    Closed,
    /// The items.
    Open,
    /// "Delete this message?" with Delete and Cancel.
    ConfirmDelete,
}

/// The "…" button of a message and the menu it opens: reply, react, edit and delete (the
/// user's own messages, delete after a confirmation), copy link.
#[component]
pub fn MessageMenu(
    /// The message the actions are about.
    message: MessageView,
    /// What the menu shows; the row opens it on a long press.
    state: RwSignal<MenuState>,
) -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let actions = use_message_actions();
    let lang = use_lang();
    let id = StoredValue::new(message.id.clone());
    let reply = {
        let (from, text) = (message.from.clone(), message.text.clone());
        move |_| {
            actions.drafting.set(Drafting::Reply {
                id: id.get_value(),
                from: from.clone(),
                text: text.clone(),
            });
            state.set(MenuState::Closed);
            focus_composer();
        }
    };
    let edit = {
        let text = message.text.clone();
        move |_| {
            actions.drafting.set(Drafting::Edit {
                id: id.get_value(),
                text: text.clone(),
            });
            state.set(MenuState::Closed);
            focus_composer();
        }
    };
    let copy_link = move |_| {
        copy_to_clipboard(&crate::glue::message_link::link_to(&id.get_value()));
        state.set(MenuState::Closed);
    };
    let editable = message.editable;
    let reacted: Vec<String> = message
        .reactions
        .iter()
        .filter(|r| r.mine)
        .map(|r| r.emoji.clone())
        .collect();
    // Set by `place_panel` each time the panel opens.
    let upward = RwSignal::new(false);
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" && state.get_untracked() != MenuState::Closed {
            ev.stop_propagation();
            state.set(MenuState::Closed);
        }
    };
    view! {
        <div class="msg-menu" on:keydown=on_keydown>
            <button
                type="button"
                class="msg-menu-toggle"
                aria-haspopup="menu"
                aria-expanded=move || (state.get() != MenuState::Closed).to_string()
                aria-label=move || Tr::message_actions(lang.get())
                title=move || Tr::message_actions(lang.get())
                on:click=move |_| state.update(|s| *s = if *s == MenuState::Closed { MenuState::Open } else { MenuState::Closed })
            >"⋯"</button>
            <Show when=move || state.get() == MenuState::Open>
                <div role="menu" class="msg-menu-items" class:up=move || upward.get() use:place_panel=upward aria-label=move || Tr::message_actions(lang.get())>
                    <button type="button" role="menuitem" on:click=reply.clone()>{move || Tr::reply(lang.get())}</button>
                    {QUICK_EMOJI.iter().map(|emoji| {
                        let on = !reacted.iter().any(|e| e == emoji);
                        view! {
                            <button
                                type="button"
                                role="menuitem"
                                class="msg-menu-emoji"
                                aria-label=move || Tr::react_with(lang.get(), emoji)
                                on:click=move |_| {
                                    chat.react(&id.get_value(), emoji, on);
                                    state.set(MenuState::Closed);
                                }
                            >{*emoji}</button>
                        }
                    }).collect_view()}
                    {editable.then(|| view! {
                        <button type="button" role="menuitem" on:click=edit.clone()>{move || Tr::edit(lang.get())}</button>
                        <button type="button" role="menuitem" on:click=move |_| state.set(MenuState::ConfirmDelete)>
                            {move || Tr::delete(lang.get())}
                        </button>
                    })}
                    <button type="button" role="menuitem" on:click=copy_link>{move || Tr::copy_link(lang.get())}</button>
                </div>
            </Show>
            <Show when=move || state.get() == MenuState::ConfirmDelete>
                <div role="alertdialog" class="msg-confirm" class:up=move || upward.get() use:place_panel=upward aria-label=move || Tr::delete_this_message(lang.get())>
                    <p>{move || Tr::delete_this_message(lang.get())}</p>
                    <button type="button" class="danger" on:click=move |_| {
                        chat.delete_message(&id.get_value());
                        state.set(MenuState::Closed);
                    }>{move || Tr::delete(lang.get())}</button>
                    <button type="button" on:click=move |_| state.set(MenuState::Closed)>{move || Tr::cancel(lang.get())}</button>
                </div>
            </Show>
        </div>
    }
}

/// The reactions under a message: each emoji with its count, who reacted in its name (read
/// on hover and on focus), pressed when the user is among them; a click adds or takes back
/// the user's own.
#[component]
pub fn ReactionBar(
    /// The message.
    id: String,
    /// Its reactions.
    reactions: Vec<ReactionView>,
    /// Whether the user can react here.
    actions: bool,
) -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let id = StoredValue::new(id);
    reactions
        .into_iter()
        .map(|r| {
            let who = [
                &r.emoji,
                " ",
                &r.count.to_string(),
                ": ",
                &r.users.join(", "),
            ]
            .concat();
            let (emoji, mine) = (r.emoji.clone(), r.mine);
            view! {
                <button
                    type="button"
                    class="reaction"
                    aria-pressed=mine.to_string()
                    aria-label=who.clone()
                    title=who
                    disabled=!actions
                    on:click=move |_| chat.react(&id.get_value(), &emoji, !mine)
                >
                    <span aria-hidden="true">{r.emoji}" "{r.count}</span>
                </button>
            }
        })
        .collect_view()
        .into_view()
}

/// Opens a menu's `panel` above its "…" button when, below it, the panel would run past the
/// bottom of the scrolling list (the newest messages sit there) and there is more room above:
/// items cut off by the list's edge cannot be reached with a pointer. Runs when the panel is
/// built; it is measured once in the page, still before the browser paints it.
fn place_panel(panel: web_sys::Element, upward: RwSignal<bool>) {
    request_animation_frame(move || {
        let (Ok(Some(button)), Ok(Some(list))) =
            (panel.closest(".msg-menu"), panel.closest(".message-list"))
        else {
            return;
        };
        let (list, button) = (
            list.get_bounding_client_rect(),
            button.get_bounding_client_rect(),
        );
        let below = list.bottom() - button.bottom();
        let above = button.top() - list.top();
        let needed = panel.get_bounding_client_rect().height();
        upward.set(needed > below && above > below);
    });
}

fn copy_to_clipboard(text: &str) {
    if let Some(window) = web_sys::window() {
        // Refused outside secure pages or without permission; nothing to undo then.
        let _ = window.navigator().clipboard().write_text(text);
    }
}

/// Moves the keyboard to the composer, where a reply or an edit is written.
fn focus_composer() {
    use wasm_bindgen::JsCast;
    let textarea = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(".composer textarea").ok().flatten())
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(textarea) = textarea {
        let _ = textarea.focus();
    }
}
