use crate::chat::{ChatHandle, MessageView};
use crate::glue::time::{iso_time, short_time};
use leptos::html;
use leptos::prelude::*;
use wirechat_session::Delivery;

/// How close to the bottom (px) still counts as "reading the newest messages".
const STICK_THRESHOLD_PX: i32 = 48;

/// The room's messages as an ARIA log. Names and texts are text nodes, never HTML.
#[component]
pub fn MessageList() -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let list = NodeRef::<html::Div>::new();
    // Follow new messages only while the reader is at the bottom.
    let stick = StoredValue::new(true);
    let on_scroll = move |_| {
        if let Some(el) = list.get_untracked() {
            let gap = el.scroll_height() - el.scroll_top() - el.client_height();
            stick.set_value(gap <= STICK_THRESHOLD_PX);
        }
    };
    Effect::new(move |_| {
        chat.messages.track();
        if stick.get_value() {
            if let Some(el) = list.get_untracked() {
                request_animation_frame(move || el.set_scroll_top(el.scroll_height()));
            }
        }
    });
    view! {
        <div
            class="message-list"
            role="log"
            aria-label="Messages"
            aria-live="polite"
            tabindex="0"
            node_ref=list
            on:scroll=on_scroll
        >
            <Show when=move || chat.messages.with(Vec::is_empty)>
                <p class="empty">"No messages yet. Say hello!"</p>
            </Show>
            <For
                each=move || chat.messages.get()
                key=|m| (m.id.clone(), m.delivery)
                children=move |m| view! { <MessageRow message=m/> }
            />
        </div>
    }
}

/// One message: sender, time, text and, for own messages, delivery state.
#[component]
fn MessageRow(message: MessageView) -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let own = message.delivery.is_some();
    let failed = message.delivery == Some(Delivery::Failed);
    let delete_id = message.id.clone();
    let retry_id = message.id.clone();
    view! {
        <article class="msg" class:own=own role="article" data-id=message.id>
            <div class="msg-meta">
                <span class="msg-from">{message.from}</span>
                <time class="msg-time" datetime=iso_time(message.ts)>{short_time(message.ts)}</time>
                {message.delivery.map(delivery_badge)}
            </div>
            <p class="msg-text">{message.text}</p>
            {failed.then(|| view! {
                <div class="msg-actions">
                    <button type="button" on:click=move |_| chat.retry_message(&retry_id)>"Retry"</button>
                    <button type="button" on:click=move |_| chat.delete_message(&delete_id)>"Delete"</button>
                </div>
            })}
        </article>
    }
}

fn delivery_badge(delivery: Delivery) -> impl IntoView {
    let (class, symbol, label) = match delivery {
        Delivery::Pending => ("pending", "…", "Sending"),
        Delivery::Sent => ("sent", "✓", "Sent"),
        Delivery::Delivered => ("delivered", "✓✓", "Delivered"),
        Delivery::Failed => ("failed", "!", "Not delivered"),
    };
    view! {
        <span class=format!("msg-state {class}") role="img" aria-label=label title=label>{symbol}</span>
    }
}
