//! The whole chat embedded in another Leptos app, as one component.
use leptos::prelude::*;
use wirechat::{ChatOptions, ChatRoom};

#[component]
fn Support() -> impl IntoView {
    view! { <ChatRoom options=ChatOptions::new("wss://chat.example/ws", "support", "alice")/> }
}

fn main() {
    leptos::mount::mount_to_body(Support);
}
