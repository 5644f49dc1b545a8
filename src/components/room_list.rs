//! The joined rooms with their unread counts (marked `@` when one mentions the reader),
//! leaving a room, and joining another by name.

use crate::chat::ChatHandle;
use crate::i18n::{use_lang, Tr};
use leptos::html;
use leptos::prelude::*;
use wirechat_protocol::{check_room_name, LabelProblem};

/// The joined rooms with unread counts, and a form to join another.
#[component]
pub fn RoomList(
    /// Called after a room was picked, so a drawer can close.
    #[prop(optional)]
    on_pick: Option<Callback<()>>,
) -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let lang = use_lang();
    let picked = move || {
        if let Some(cb) = on_pick {
            cb.run(());
        }
    };
    view! {
        <nav class="room-list" aria-label=move || Tr::rooms(lang.get())>
            <h2 class="sidebar-heading">{move || Tr::rooms(lang.get())}</h2>
            <ul>
                <For
                    each=move || chat.rooms.get()
                    key=|r| (r.name.clone(), r.unread, r.mentions)
                    children=move |room| {
                        let name = room.name.clone();
                        let switch_to = room.name.clone();
                        let leave = room.name.clone();
                        let is_current = {
                            let name = name.clone();
                            Signal::derive(move || chat.room.with(|r| *r == name))
                        };
                        let only_room = move || chat.rooms.with(|r| r.len() <= 1);
                        let unread = room.unread;
                        let mentions = room.mentions;
                        let badge_label = move || {
                            let lang = lang.get();
                            let count = Tr::unread(lang, unread);
                            if mentions > 0 {
                                format!("{count}, {}", Tr::unread_mentions(lang, mentions))
                            } else {
                                count
                            }
                        };
                        let leave_label = {
                            let name = name.clone();
                            move || Tr::leave_room(lang.get(), &name)
                        };
                        view! {
                            <li class="room-item" class:current=is_current>
                                <button
                                    type="button"
                                    class="room-button"
                                    aria-current=move || is_current.get().then_some("page")
                                    on:click=move |_| {
                                        chat.switch_room(&switch_to);
                                        picked();
                                    }
                                >
                                    <span class="room-hash" aria-hidden="true">"#"</span>
                                    <bdi class="room-label">{name.clone()}</bdi>
                                    {(unread > 0).then(|| view! {
                                        <span class="unread" class:mentioned={mentions > 0} aria-label=badge_label>
                                            {(mentions > 0).then_some("@")}
                                            {unread}
                                        </span>
                                    })}
                                </button>
                                <Show when=move || !only_room()>
                                    <button
                                        type="button"
                                        class="leave-room"
                                        aria-label=leave_label.clone()
                                        title=leave_label.clone()
                                        on:click={
                                            let leave = leave.clone();
                                            move |_| chat.leave_room(&leave)
                                        }
                                    >"×"</button>
                                </Show>
                            </li>
                        }
                    }
                />
            </ul>
            <JoinRoomForm on_join=Callback::new(move |_| picked())/>
        </nav>
    }
}

/// A field and button to join (and switch to) a room by name.
#[component]
fn JoinRoomForm(on_join: Callback<()>) -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let lang = use_lang();
    let input = NodeRef::<html::Input>::new();
    let (error, set_error) = signal(None::<LabelProblem>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(el) = input.get_untracked() else {
            return;
        };
        let name = el.value().trim().trim_start_matches('#').to_owned();
        match check_room_name(&name) {
            Ok(()) => {
                chat.join_room(&name);
                el.set_value("");
                set_error.set(None);
                on_join.run(());
            }
            Err(reason) => set_error.set(Some(reason)),
        }
    };
    view! {
        <form class="join-room" on:submit=submit>
            <input
                node_ref=input
                type="text"
                maxlength="64"
                aria-label=move || Tr::room_to_join(lang.get())
                placeholder=move || Tr::room_to_join(lang.get())
            />
            <button type="submit">{move || Tr::join(lang.get())}</button>
            <p class="error" role="alert">{move || error.get().map(|p| Tr::room_problem(lang.get(), p))}</p>
        </form>
    }
}
