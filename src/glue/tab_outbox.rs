//! This page's saved outbox in storage that every tab of the origin shares, and the
//! adoption of entries that closed or reloaded pages left behind.
//!
//! The rules (keys, format, when an entry may be taken) are [`SavedOutboxes`]; this module
//! only reads and writes `localStorage` and holds Web Locks (`navigator.locks`). Each page
//! holds the lock named after its own key for as long as it lives. For every other entry it
//! sees (at start, or when another tab writes one) it queues a request for that entry's
//! lock: the browser grants it once the owner is gone, to one waiting page at a time. The
//! page that gets it adopts the messages, saves them under its own key and only then
//! removes the old entry, and keeps the lock, so no other page reads the old entry again.

use crate::glue::page;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wirechat_protocol::ChatMessage;
use wirechat_session::{AdoptGuard, SavedOutboxes};

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks`, bound here because web-sys keeps it behind an unstable cfg.
    type LockManager;

    /// `LockManager.request(name, callback)`: the callback runs once the lock is granted,
    /// and the lock is held until the promise it returns settles.
    #[wasm_bindgen(method)]
    fn request(this: &LockManager, name: &str, callback: &js_sys::Function) -> js_sys::Promise;
}

/// What happens to messages taken over from another page.
pub type AdoptMessages = Rc<dyn Fn(Vec<ChatMessage>)>;

/// A window event listener, kept to be removed again.
type Listener = (&'static str, Closure<dyn FnMut(web_sys::Event)>);

/// This page's entry and the adoption of orphaned ones.
pub struct TabOutbox {
    saved: SavedOutboxes,
    own_key: String,
    locks: Option<LockManager>,
    /// Whether this page may write its entry: with locks, only once it holds its own lock,
    /// or another page could take the entry while this one lives.
    ready: Cell<bool>,
    /// What the entry should hold, and what it holds.
    latest: RefCell<Vec<ChatMessage>>,
    written: RefCell<Vec<ChatMessage>>,
    /// Entries whose lock this page has asked for (a few: one per page that went away).
    claimed: RefCell<Vec<String>>,
    /// Settles the promises that keep locks held, to let them go when the page is done.
    releases: RefCell<Vec<js_sys::Function>>,
    listeners: RefCell<Vec<Listener>>,
    adopt: RefCell<Option<AdoptMessages>>,
}

impl TabOutbox {
    /// A fresh entry for this page, for the server at `server_url`.
    pub fn new(server_url: &str) -> Rc<Self> {
        let saved = SavedOutboxes::new(server_url);
        let own_key = saved.key_of(&format!("{:016x}", page::random_u64()));
        Rc::new(Self {
            saved,
            own_key,
            locks: lock_manager(),
            ready: Cell::new(false),
            latest: RefCell::new(Vec::new()),
            written: RefCell::new(Vec::new()),
            claimed: RefCell::new(Vec::new()),
            releases: RefCell::new(Vec::new()),
            listeners: RefCell::new(Vec::new()),
            adopt: RefCell::new(None),
        })
    }

    /// Takes this page's lock, then adopts what closed pages left, now and whenever another
    /// page goes away; `adopt` receives their messages.
    pub fn start(self: &Rc<Self>, adopt: AdoptMessages) {
        *self.adopt.borrow_mut() = Some(adopt);
        self.listen();
        let Some(locks) = &self.locks else {
            self.become_ready();
            return;
        };
        let weak = Rc::downgrade(self);
        let granted = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
            let Some(this) = weak.upgrade() else {
                return JsValue::UNDEFINED;
            };
            this.become_ready();
            this.hold().into()
        });
        let _ = locks.request(&self.own_key, granted.unchecked_ref());
    }

    /// Records what this page has unsent and writes it when it changed.
    pub fn save(&self, messages: Vec<ChatMessage>) {
        *self.latest.borrow_mut() = messages;
        self.write(false);
    }

    fn become_ready(self: &Rc<Self>) {
        self.ready.set(true);
        self.write(false);
        for key in storage_keys() {
            self.consider(&key);
        }
    }

    fn write(&self, released: bool) {
        if !self.ready.get() {
            return;
        }
        let latest = self.latest.borrow();
        if !released && *self.written.borrow() == *latest {
            return;
        }
        match SavedOutboxes::encode(&latest, released) {
            Some(text) => page::save(&self.own_key, &text),
            None => page::forget(&self.own_key),
        }
        *self.written.borrow_mut() = latest.clone();
    }

    /// Looks at one storage key: another page's entry is claimed.
    fn consider(self: &Rc<Self>, key: &str) {
        if !self.ready.get() || !self.saved.is_foreign(key, &self.own_key) {
            return;
        }
        match &self.locks {
            None => self.adopt_from(key, AdoptGuard::NoLocks),
            Some(locks) => {
                let mut claimed = self.claimed.borrow_mut();
                if claimed.iter().any(|k| k == key) {
                    return;
                }
                claimed.push(key.to_owned());
                drop(claimed);
                let weak = Rc::downgrade(self);
                let owned_key = key.to_owned();
                let granted = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
                    let Some(this) = weak.upgrade() else {
                        return JsValue::UNDEFINED;
                    };
                    this.adopt_from(&owned_key, AdoptGuard::LockHeld);
                    // Kept: another page that read this key before its removal reached it
                    // would otherwise take the lock next and adopt the same messages.
                    this.hold().into()
                });
                let _ = locks.request(key, granted.unchecked_ref());
            }
        }
    }

    fn adopt_from(&self, key: &str, guard: AdoptGuard) {
        let Some(entry) = page::load(key).and_then(|text| SavedOutboxes::decode(&text)) else {
            return;
        };
        if !entry.may_adopt(guard) {
            return;
        }
        let adopt = self.adopt.borrow().clone();
        if let Some(adopt) = adopt {
            // Saves this page's entry (through `save`) with the adopted messages in it.
            adopt(entry.messages);
        }
        page::forget(key);
    }

    /// A promise that keeps a lock held until this page lets it go.
    fn hold(&self) -> js_sys::Promise {
        js_sys::Promise::new(&mut |resolve, _reject| self.releases.borrow_mut().push(resolve))
    }

    fn listen(self: &Rc<Self>) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let weak: Weak<Self> = Rc::downgrade(self);
        let on_storage = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            let (Some(this), Some(event)) =
                (weak.upgrade(), event.dyn_ref::<web_sys::StorageEvent>())
            else {
                return;
            };
            if let (Some(key), Some(_)) = (event.key(), event.new_value()) {
                this.consider(&key);
            }
        });
        let weak: Weak<Self> = Rc::downgrade(self);
        // Only pages without locks need to say that they go; with locks, the lock says it.
        let on_pagehide = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            if let Some(this) = weak.upgrade().filter(|t| t.locks.is_none()) {
                this.write(true);
            }
        });
        let weak: Weak<Self> = Rc::downgrade(self);
        let on_pageshow = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            if let Some(this) = weak.upgrade().filter(|t| t.locks.is_none()) {
                // Back from the back/forward cache: this page sends its messages again.
                this.written.borrow_mut().clear();
                this.write(false);
            }
        });
        let mut listeners = self.listeners.borrow_mut();
        for (name, listener) in [
            ("storage", on_storage),
            ("pagehide", on_pagehide),
            ("pageshow", on_pageshow),
        ] {
            let _ =
                window.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
            listeners.push((name, listener));
        }
    }
}

impl Drop for TabOutbox {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            for (name, listener) in self.listeners.borrow().iter() {
                let _ = window
                    .remove_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
            }
        }
        // This page stops sending for this server: its entry, if any, goes to whoever
        // takes the lock next.
        for release in self.releases.borrow_mut().drain(..) {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
    }
}

fn lock_manager() -> Option<LockManager> {
    let navigator = web_sys::window()?.navigator();
    let locks = js_sys::Reflect::get(&navigator, &JsValue::from_str("locks")).ok()?;
    (locks.is_object()).then(|| locks.unchecked_into())
}

/// Every key in `localStorage` (none when storage is unavailable).
fn storage_keys() -> Vec<String> {
    let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) else {
        return Vec::new();
    };
    let count = storage.length().unwrap_or(0);
    (0..count)
        .filter_map(|i| storage.key(i).ok().flatten())
        .collect()
}
