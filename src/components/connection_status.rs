//! The connection status line: connected, connecting, reconnecting with a countdown and a
//! retry button, offline, and the wait the server imposes on a client that sends too fast.

use crate::chat::ChatHandle;
use crate::glue::page::now_ms;
use crate::i18n::{use_lang, Tr};
use leptos::prelude::*;
use std::time::Duration;
use wirechat_session::Status;

/// The connection state as an ARIA live status. Its text contains "Connected" only while
/// the socket is open; otherwise it says Connecting, Reconnecting in N s, or Offline.
#[component]
pub fn ConnectionStatus() -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let status = Memo::new(move |_| chat.connection.with(|c| c.status.clone()));
    let held_until = Memo::new(move |_| chat.connection.with(|c| c.rate_limited_until));
    let now = use_second_clock(Signal::derive(move || {
        matches!(
            status.get(),
            Status::Reconnecting { .. } | Status::SignInFailed { .. }
        ) || held_until.get().is_some()
    }));
    let lang = use_lang();
    let text = move || {
        let lang = lang.get();
        match status.get() {
            Status::Connecting => Tr::connecting(lang).to_owned(),
            Status::Connected => Tr::connected(lang).to_owned(),
            Status::Reconnecting { at } => {
                Tr::reconnecting_in(lang, at.saturating_sub(now.get()).div_ceil(1000))
            }
            Status::SignInFailed { problem, at } => {
                Tr::sign_in_failed(lang, &problem, at.saturating_sub(now.get()).div_ceil(1000))
            }
            Status::Offline => Tr::offline(lang).to_owned(),
            Status::Closed { reason } => Tr::offline_because(lang, &reason),
        }
    };
    let state = move || match status.get() {
        Status::Connected => "connected",
        Status::Connecting => "connecting",
        Status::Reconnecting { .. } | Status::SignInFailed { .. } => "reconnecting",
        Status::Offline | Status::Closed { .. } => "offline",
    };
    let can_retry = move || {
        matches!(
            status.get(),
            Status::Reconnecting { .. } | Status::SignInFailed { .. } | Status::Closed { .. }
        )
    };
    // The server refused frames for their rate: the messages are not lost, they wait.
    let held_for_secs = move || {
        held_until
            .get()
            .map(|until| until.saturating_sub(now.get()).div_ceil(1000))
            .filter(|&secs| secs > 0)
    };
    let signed_in = move || {
        chat.connection
            .with(|c| c.signed_in_as.clone())
            .map(|name| Tr::signed_in_as(lang.get(), &name))
    };
    view! {
        <div class="connection">
            <span role="status" class="status" data-state=state>{text}</span>
            <span class="signed-in">{signed_in}</span>
            <span role="status" class="rate-limited">
                {move || held_for_secs().map(|secs| Tr::rate_limited_wait(lang.get(), secs))}
            </span>
            <Show when=can_retry>
                <button type="button" class="retry-now" on:click=move |_| chat.retry_now()>
                    {move || Tr::retry_now(lang.get())}
                </button>
            </Show>
        </div>
    }
}

/// The current time in ms, refreshed every second while `active` holds; the interval is
/// cleared when it stops holding and when the component goes away.
fn use_second_clock(active: Signal<bool>) -> ReadSignal<u64> {
    let (now, set_now) = signal(now_ms());
    let handle = StoredValue::new_local(None::<IntervalHandle>);
    let stop = move || {
        handle.update_value(|h| {
            if let Some(h) = h.take() {
                h.clear();
            }
        })
    };
    Effect::new(move |_| {
        stop();
        if active.get() {
            set_now.set(now_ms());
            let h = set_interval_with_handle(move || set_now.set(now_ms()), Duration::from_secs(1));
            handle.set_value(h.ok());
        }
    });
    on_cleanup(stop);
    now
}
