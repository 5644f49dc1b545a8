//! Shared pieces of the browser tests: an in-memory transport standing in for the network,
//! a fresh mount point per test, and small DOM helpers.

#![allow(dead_code)]

use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wirechat::transport::{Connection, EventSink, Transport, TransportEvent};
use wirechat::{use_chat_with, ChatLayout, ChatOptions};

#[derive(Default)]
struct LoopState {
    sink: Option<EventSink>,
    sent: Vec<String>,
    /// What the socket reports as `bufferedAmount`.
    buffered: u32,
    /// How many connections the client opened.
    connects: usize,
}

/// The far end of the socket, driven by the test: it records what the client sends and
/// delivers whatever frames the test pushes.
#[derive(Clone, Default)]
pub struct Loopback(Rc<RefCell<LoopState>>);

impl Loopback {
    /// Delivers `text` to the client as a text frame.
    pub fn push(&self, text: &str) {
        let sink = self.0.borrow().sink.clone().expect("client connected");
        sink(TransportEvent::Text(text.to_owned()));
    }

    /// Delivers a binary frame.
    pub fn push_binary(&self) {
        let sink = self.0.borrow().sink.clone().expect("client connected");
        sink(TransportEvent::Binary);
    }

    /// Closes the connection from the far end, as a network that drops it does (1006).
    pub fn drop_connection(&self) {
        self.close(1006, "");
    }

    /// Closes the connection from the far end with `code` and `reason`.
    pub fn close(&self, code: u16, reason: &str) {
        let sink = self.0.borrow().sink.clone().expect("client connected");
        sink(TransportEvent::Closed {
            code,
            reason: reason.to_owned(),
        });
    }

    /// How many connections the client has opened so far.
    pub fn connects(&self) -> usize {
        self.0.borrow().connects
    }

    /// Pretends `bytes` wait in the socket's send buffer.
    pub fn set_buffered(&self, bytes: u32) {
        self.0.borrow_mut().buffered = bytes;
    }

    /// Frames the client has sent so far.
    pub fn sent(&self) -> Vec<String> {
        self.0.borrow().sent.clone()
    }

    /// Sent frames of type `msg`, decoded.
    pub fn sent_messages(&self) -> Vec<wirechat_protocol::ChatMessage> {
        self.sent()
            .iter()
            .filter_map(|t| match wirechat_protocol::decode(t) {
                Ok(wirechat_protocol::Frame::Msg(m)) => Some(m),
                _ => None,
            })
            .collect()
    }
}

struct LoopConnection(Rc<RefCell<LoopState>>);

impl Transport for Loopback {
    fn connect(
        &self,
        _url: &str,
        _protocols: &[String],
        events: EventSink,
    ) -> Result<Box<dyn Connection>, String> {
        {
            let mut state = self.0.borrow_mut();
            state.sink = Some(events.clone());
            state.connects += 1;
        }
        // Like a real socket, it opens a moment later, not inside `connect`.
        wasm_bindgen_futures::spawn_local(async move {
            events(TransportEvent::Opened {
                protocol: String::new(),
            })
        });
        Ok(Box::new(LoopConnection(self.0.clone())))
    }
}

impl Connection for LoopConnection {
    fn send(&self, text: &str) -> Result<(), String> {
        self.0.borrow_mut().sent.push(text.to_owned());
        Ok(())
    }
    fn close(&self, _code: u16, _reason: &str) {}
    fn buffered_amount(&self) -> u32 {
        self.0.borrow().buffered
    }
}

/// A mounted chat: the DOM root and the far end of its transport.
pub struct Mounted {
    pub root: web_sys::HtmlElement,
    pub server: Loopback,
    _handle: Box<dyn std::any::Any>,
}

impl Drop for Mounted {
    fn drop(&mut self) {
        self.root.remove();
    }
}

/// Mounts `<ChatLayout/>` for alice in the lobby into a fresh element, connected to a
/// loopback whose server has said hello.
pub async fn mount_chat() -> Mounted {
    mount(None, Some(HELLO), lobby_options()).await
}

/// Mounts like [`mount_chat`], with `options` for the chat.
pub async fn mount_chat_with(options: ChatOptions) -> Mounted {
    mount(None, Some(HELLO), options).await
}

/// The options of [`mount_chat`]: alice in the lobby of the loopback server.
pub fn lobby_options() -> ChatOptions {
    ChatOptions::new("ws://loopback.test/ws", "lobby", "alice")
}

/// Mounts like [`mount_chat`], with `hello` as the server's first frame, or none at all
/// (a plain relay).
pub async fn mount_chat_greeted_by(hello: Option<&str>) -> Mounted {
    mount(None, hello, lobby_options()).await
}

/// The hello of a server with every feature the UI uses.
pub const HELLO: &str = r#"{"type":"hello","server":"test","epoch":"e1","features":["history","ack","presence","typing"]}"#;

/// Mounts `<ChatLayout/>` for a chat with `options` into a fresh element (`height_px` high when
/// given), as a first visit: no saved outbox or drafts from an earlier test.
async fn mount(height_px: Option<u32>, hello: Option<&str>, options: ChatOptions) -> Mounted {
    web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .clear()
        .unwrap();
    let root = document().create_element("div").unwrap();
    if let Some(height_px) = height_px {
        root.set_attribute("style", &format!("height: {height_px}px; display: flex"))
            .unwrap();
    }
    document().body().unwrap().append_child(&root).unwrap();
    let root: web_sys::HtmlElement = root.unchecked_into();
    let server = Loopback::default();
    let transport = server.clone();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let chat = use_chat_with(options, Box::new(transport));
        provide_context(chat);
        view! { <ChatLayout/> }
    });
    settle().await;
    if let Some(hello) = hello {
        server.push(hello);
    }
    settle().await;
    Mounted {
        root,
        server,
        _handle: Box::new(handle),
    }
}

/// Waits `ms` milliseconds of real time.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Waits for the engine's next animation frame, or half a second when it gives none (a
/// hidden page gets no frames).
async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let window = web_sys::window().unwrap();
        // Whichever comes first resolves; the second call is ignored.
        window.request_animation_frame(&resolve).unwrap();
        window
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 500)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Lets pending tasks, effects and animation frames run, for a test that shows that nothing
/// happens. The app renders on animation frames, which some engines give far more slowly
/// than others (WebKit on a virtual display: 200 ms and more), so this waits for frames
/// rather than a fixed time. Anything expected to appear is waited for with [`wait_until`]
/// or [`wait_for`] instead.
pub async fn settle() {
    next_frame().await;
    next_frame().await;
    sleep(50).await;
}

/// The first element under `root` matching `selector`.
pub fn find(root: &web_sys::HtmlElement, selector: &str) -> web_sys::HtmlElement {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no element matches {selector}"))
        .unchecked_into()
}

/// All elements under `root` matching `selector`.
pub fn find_all(root: &web_sys::HtmlElement, selector: &str) -> Vec<web_sys::HtmlElement> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i))
        .map(|n| n.unchecked_into())
        .collect()
}

/// The composer's Send button, found by its text.
pub fn send_button(root: &web_sys::HtmlElement) -> web_sys::HtmlElement {
    find_all(root, "button")
        .into_iter()
        .find(|b| b.text_content().as_deref() == Some("Send"))
        .expect("a Send button")
}

/// The composer textarea.
pub fn textarea(root: &web_sys::HtmlElement) -> web_sys::HtmlTextAreaElement {
    find(root, r#"textarea[aria-label="Message"]"#).unchecked_into()
}

/// Fires a keydown on `target` the way a browser does.
pub fn key_down(
    target: &web_sys::HtmlElement,
    key: &str,
    shift: bool,
    composing: bool,
    key_code: u32,
) -> bool {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_shift_key(shift);
    init.set_is_composing(composing);
    init.set_key_code(key_code);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    target.dispatch_event(&event).unwrap()
}

/// Fires a composition event (`compositionstart`, `compositionupdate`, `compositionend`).
pub fn composition(target: &web_sys::HtmlElement, kind: &str, data: &str) {
    let init = web_sys::CompositionEventInit::new();
    init.set_data(data);
    init.set_bubbles(true);
    let event = web_sys::CompositionEvent::new_with_event_init_dict(kind, &init).unwrap();
    target.dispatch_event(&event).unwrap();
}

/// Sets the textarea's value and fires `input`, as typing does.
pub fn type_text(area: &web_sys::HtmlTextAreaElement, value: &str, composing: bool) {
    area.set_value(value);
    let init = web_sys::InputEventInit::new();
    init.set_is_composing(composing);
    init.set_bubbles(true);
    let event = web_sys::InputEvent::new_with_event_init_dict("input", &init).unwrap();
    area.dispatch_event(&event).unwrap();
}

/// Whether an injected `onerror` handler ran (it would set `window.__wirechatInjected`).
pub fn markup_ran() -> bool {
    js_sys::Reflect::get(
        &web_sys::window().unwrap(),
        &JsValue::from_str("__wirechatInjected"),
    )
    .map(|v| v.is_truthy())
    .unwrap_or(false)
}

/// The app's stylesheet, so layout-dependent tests (scrolling, wrapping) see real layout.
const APP_CSS: &str = include_str!("../../style/main.css");

/// Mounts like [`mount_chat`], styled by the app's stylesheet, into an element
/// `height_px` high, so the message list scrolls the same way in every run.
pub async fn mount_styled_chat(height_px: u32) -> Mounted {
    mount_styled_chat_greeted_by(height_px, HELLO).await
}

/// Mounts like [`mount_styled_chat`], with `hello` as the server's first frame.
pub async fn mount_styled_chat_greeted_by(height_px: u32, hello: &str) -> Mounted {
    const STYLE_ID: &str = "wirechat-test-stylesheet";
    if document().get_element_by_id(STYLE_ID).is_none() {
        let style = document().create_element("style").unwrap();
        style.set_id(STYLE_ID);
        style.set_text_content(Some(APP_CSS));
        document().head().unwrap().append_child(&style).unwrap();
    }
    mount(Some(height_px), Some(hello), lobby_options()).await
}

/// How long [`wait_until`] waits for its condition before the test fails.
const WAIT_LIMIT_MS: f64 = 5_000.0;

/// Waits until `ready` holds, checking every few milliseconds; panics with `what` after
/// five seconds.
pub async fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = js_sys::Date::now() + WAIT_LIMIT_MS;
    while !ready() {
        if js_sys::Date::now() > deadline {
            panic!("timed out waiting until {what}");
        }
        sleep(20).await;
    }
}

/// Waits until an element under `root` matches `selector`, and returns the first.
pub async fn wait_for(root: &web_sys::HtmlElement, selector: &str) -> web_sys::HtmlElement {
    wait_until(&format!("an element matches {selector}"), || {
        root.query_selector(selector).ok().flatten().is_some()
    })
    .await;
    find(root, selector)
}

/// Waits until exactly `count` elements under `root` match `selector`, and returns them.
pub async fn wait_for_all(
    root: &web_sys::HtmlElement,
    selector: &str,
    count: usize,
) -> Vec<web_sys::HtmlElement> {
    wait_until(&format!("{count} elements match {selector}"), || {
        find_all(root, selector).len() == count
    })
    .await;
    find_all(root, selector)
}

/// Waits until the text of the first element under `root` matching `selector` is `text`.
pub async fn wait_for_text(root: &web_sys::HtmlElement, selector: &str, text: &str) {
    wait_until(&format!("{selector} reads {text:?}"), || {
        root.query_selector(selector)
            .ok()
            .flatten()
            .and_then(|e| e.text_content())
            .is_some_and(|t| t == text)
    })
    .await;
}

/// Waits until the client has sent `count` messages, and returns them.
pub async fn wait_for_sent(server: &Loopback, count: usize) -> Vec<wirechat_protocol::ChatMessage> {
    wait_until(&format!("{count} messages are sent"), || {
        server.sent_messages().len() >= count
    })
    .await;
    server.sent_messages()
}
