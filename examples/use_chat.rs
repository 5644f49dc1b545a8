//! A view of its own over the chat's state, with `use_chat`.
use leptos::prelude::*;
use wirechat::{use_chat, ChatOptions};

#[component]
fn Lobby() -> impl IntoView {
    let chat = use_chat(ChatOptions::new("wss://chat.example/ws", "lobby", "alice"));
    view! {
        <p>{move || chat.messages.get().len()} " messages"</p>
        <button on:click=move |_| { chat.send("Hello"); }>"Say hello"</button>
    }
}

fn main() {
    leptos::mount::mount_to_body(Lobby);
}
