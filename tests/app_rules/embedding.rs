//! Two chats embedded on one page: every id is unique, and every reference by id
//! (`for`, `aria-describedby`, `aria-controls`, `aria-labelledby`) stays inside its own chat.

use crate::support::*;
use leptos::prelude::*;
use std::collections::HashSet;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use wirechat::{ChatOptions, ChatRoom};

/// Attributes that name other elements by id, space-separated.
const ID_REFERENCES: [&str; 4] = [
    "for",
    "aria-describedby",
    "aria-controls",
    "aria-labelledby",
];

#[wasm_bindgen_test]
async fn two_chat_rooms_on_one_page_keep_their_ids_apart() {
    let page = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&page).unwrap();
    let page: web_sys::HtmlElement = page.unchecked_into();
    // Nothing listens on port 9: both chats stay offline, which leaves their markup whole.
    let _handle = leptos::mount::mount_to(page.clone(), || {
        view! {
            <div class="first-chat">
                <ChatRoom options=ChatOptions::new("ws://127.0.0.1:9/ws", "lobby", "alice")/>
            </div>
            <div class="second-chat">
                <ChatRoom options=ChatOptions::new("ws://127.0.0.1:9/ws", "support", "bob")/>
            </div>
        }
    });
    wait_for(&page, ".second-chat [id]").await;

    let chats = [find(&page, ".first-chat"), find(&page, ".second-chat")];
    let mut seen = HashSet::new();
    for element in find_all(&page, "[id]") {
        assert!(
            seen.insert(element.id()),
            "id {:?} appears twice",
            element.id()
        );
    }
    let mut references = 0;
    for chat in &chats {
        for attribute in ID_REFERENCES {
            for element in find_all(chat, &format!("[{attribute}]")) {
                let ids = element.get_attribute(attribute).unwrap();
                for id in ids.split_whitespace() {
                    let target = document()
                        .get_element_by_id(id)
                        .unwrap_or_else(|| panic!("{attribute}={id:?} names no element"));
                    assert!(
                        chat.contains(Some(&target)),
                        "{attribute}={id:?} names an element of the other chat"
                    );
                    references += 1;
                }
            }
        }
    }
    assert!(
        references >= 6,
        "each chat refers by id at least three times"
    );
    page.remove();
}
