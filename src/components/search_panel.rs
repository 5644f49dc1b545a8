//! Searching the room shown: the header's search button and the panel it opens. The query
//! goes to the server (`search`); choosing a result shows that message in the list, in
//! context, loading older history when it is not held.

use crate::chat::ChatHandle;
use crate::glue::time::{iso_time, short_time};
use crate::i18n::{use_lang, Tr};
use leptos::either::Either;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wirechat_protocol::ChatMessage;

/// The header's button that opens and closes the search panel; shown only when the server
/// answers searches.
#[component]
pub fn SearchToggle(
    /// Whether the panel is open.
    open: RwSignal<bool>,
    /// The id of the panel, for `aria-controls`.
    panel_id: String,
) -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let lang = use_lang();
    view! {
        <Show when=move || chat.search.with(|s| s.available)>
            <button
                type="button"
                class="icon-button search-toggle"
                aria-controls=panel_id.clone()
                aria-expanded=move || open.get().to_string()
                aria-label=move || Tr::search_messages(lang.get())
                title=move || Tr::search_messages(lang.get())
                on:click=move |_| open.update(|o| *o = !*o)
            >
                <span aria-hidden="true">"🔍"</span>
            </button>
        </Show>
    }
}

/// The search panel: a search field, what the server found (sender, time and text with
/// the words found marked), and a button per result that shows it in the list.
#[component]
pub fn SearchPanel(
    /// Whether the panel is open; Escape and the close button close it.
    open: RwSignal<bool>,
    /// The id of the panel.
    panel_id: String,
) -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let lang = use_lang();
    let query = RwSignal::new(String::new());
    let field = NodeRef::<leptos::html::Input>::new();
    // The field takes focus as the panel opens, so typing can start at once.
    Effect::new(move |_| {
        if let Some(field) = field.get() {
            let _ = field.focus();
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        chat.search(&query.get_untracked());
    };
    let toggle_selector = format!("[aria-controls=\"{panel_id}\"]");
    // Closing hands keyboard focus back to the button that opened the panel.
    let close = move || {
        open.set(false);
        if let Some(toggle) = document()
            .query_selector(&toggle_selector)
            .ok()
            .flatten()
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = toggle.focus();
        }
    };
    let close = StoredValue::new(close);
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            close.with_value(|close| close());
        }
    };
    let status = move || {
        let lang = lang.get();
        chat.search.with(|s| {
            if !s.available {
                return Some(Tr::search_unavailable(lang).to_owned());
            }
            if s.revealing {
                return Some(Tr::finding_message(lang).to_owned());
            }
            let last = s.last.as_ref()?;
            Some(match &last.found {
                None => Tr::searching(lang).to_owned(),
                Some(found) if found.is_empty() => Tr::no_results(lang).to_owned(),
                Some(found) => Tr::results_found(lang, found.len()),
            })
        })
    };
    // Newest first: the one most likely wanted is on top.
    let results = move || {
        chat.search.with(|s| {
            let last = s.last.as_ref()?;
            let words = words_of(&last.q);
            let found = last.found.as_ref()?;
            Some(
                found
                    .iter()
                    .rev()
                    .map(|msg| view! { <SearchResult msg=msg.clone() words=words.clone() open/> })
                    .collect_view(),
            )
        })
    };
    view! {
        <Show when=move || open.get()>
            <section
                class="search-panel"
                id=panel_id.clone()
                aria-label=move || Tr::search_messages(lang.get())
                on:keydown=on_keydown
            >
                <form role="search" on:submit=on_submit>
                    <label>
                        <span class="visually-hidden">{move || Tr::search_field(lang.get())}</span>
                        <input
                            type="search"
                            node_ref=field
                            maxlength="256"
                            placeholder=move || Tr::search_field(lang.get())
                            prop:value=move || query.get()
                            on:input=move |ev| query.set(event_target_value(&ev))
                        />
                    </label>
                    <button type="submit">{move || Tr::search_go(lang.get())}</button>
                    <button
                        type="button"
                        class="icon-button"
                        aria-label=move || Tr::close_search(lang.get())
                        on:click=move |_| close.with_value(|close| close())
                    >"×"</button>
                </form>
                <p class="search-status" role="status">{status}</p>
                <ul class="search-results">{results}</ul>
            </section>
        </Show>
    }
}

/// One result: who, when and the text, as a button that shows the message in the list.
#[component]
fn SearchResult(msg: ChatMessage, words: Vec<String>, open: RwSignal<bool>) -> impl IntoView {
    let chat = expect_context::<ChatHandle>();
    let ts = msg.ts;
    let (id, seq) = (msg.id.clone(), msg.seq);
    let pieces = marked(&msg.text, &words)
        .into_iter()
        .map(|(text, hit)| {
            if hit {
                Either::Left(view! { <mark>{text}</mark> })
            } else {
                Either::Right(text)
            }
        })
        .collect_view();
    view! {
        <li>
            <button
                type="button"
                class="search-result"
                on:click=move |_| {
                    chat.show_message(&id, seq);
                    // On a narrow screen the panel would cover the message.
                    if is_narrow() {
                        open.set(false);
                    }
                }
            >
                <span class="msg-meta">
                    <bdi class="msg-from">{msg.from.clone()}</bdi>
                    " "
                    <time class="msg-time" datetime=iso_time(ts)>{short_time(ts)}</time>
                </span>
                <span class="msg-text" dir="auto">{pieces}</span>
            </button>
        </li>
    }
}

/// Whether the page is as narrow as a phone's.
fn is_narrow() -> bool {
    window()
        .inner_width()
        .ok()
        .and_then(|w| w.as_f64())
        .is_some_and(|w| w < 640.0)
}

/// The words of a query, lower-cased, as the server matches them (letters and digits).
fn words_of(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(str::to_lowercase)
        .collect()
}

/// `text` cut into pieces, each marked when it is one of `words` (case aside).
fn marked(text: &str, words: &[String]) -> Vec<(String, bool)> {
    let mut pieces: Vec<(String, bool)> = Vec::new();
    let mut push = |piece: &str, hit: bool| match pieces.last_mut() {
        Some((last, last_hit)) if *last_hit == hit => last.push_str(piece),
        _ => pieces.push((piece.to_owned(), hit)),
    };
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        match words.iter().find_map(|w| match_len(rest, w)) {
            Some(len) => {
                push(&rest[..len], true);
                rest = &rest[len..];
            }
            None => {
                push(&rest[..c.len_utf8()], false);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    pieces
}

/// The length in bytes of the start of `text` that is `word` (lower-cased) case aside.
fn match_len(text: &str, word: &str) -> Option<usize> {
    let mut wanted = word.chars().peekable();
    for (at, c) in text.char_indices() {
        if wanted.peek().is_none() {
            return Some(at);
        }
        for lower in c.to_lowercase() {
            if wanted.next() != Some(lower) {
                return None;
            }
        }
    }
    wanted.peek().is_none().then_some(text.len())
}
