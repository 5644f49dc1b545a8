//! Runs a [`Session`] in the browser: feeds it events, carries out its commands.

use crate::glue::page::{self, now_ms};
use crate::transport::{Connection, Transport, TransportEvent};
use leptos::prelude::{set_timeout_with_handle, TimeoutHandle};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::time::Duration;
use wirechat_protocol::ChatMessage;
use wirechat_session::{Command, Input, Session};

/// Where a driver connects.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// WebSocket URL.
    pub url: String,
    /// Subprotocols to offer.
    pub protocols: Vec<String>,
}

/// Owns the session, the live connection and the one pending timer.
pub struct Driver {
    session: RefCell<Session>,
    endpoint: Endpoint,
    transport: Box<dyn Transport>,
    connection: RefCell<Option<Box<dyn Connection>>>,
    // Events from a connection that has since been replaced carry an old generation and
    // are ignored, so a late `close` of a dead socket cannot disturb the new one.
    generation: Cell<u64>,
    timer: RefCell<Option<TimeoutHandle>>,
    outbox_key: String,
    saved_outbox: RefCell<Vec<ChatMessage>>,
    on_change: Box<dyn Fn(&Session)>,
}

impl Driver {
    /// A driver for `session`; `on_change` runs after every input so the UI can re-read.
    pub fn new(
        session: Session,
        endpoint: Endpoint,
        transport: Box<dyn Transport>,
        on_change: Box<dyn Fn(&Session)>,
    ) -> Rc<Self> {
        let outbox_key = format!("wirechat.outbox:{}", endpoint.url);
        Rc::new(Self {
            session: RefCell::new(session),
            endpoint,
            transport,
            connection: RefCell::new(None),
            generation: Cell::new(0),
            timer: RefCell::new(None),
            outbox_key,
            saved_outbox: RefCell::new(Vec::new()),
            on_change,
        })
    }

    /// Restores messages left unconfirmed by an earlier page, then starts connecting.
    pub fn start(self: &Rc<Self>) {
        let saved = page::load(&self.outbox_key)
            .and_then(|text| serde_json::from_str::<Vec<ChatMessage>>(&text).ok())
            .unwrap_or_default();
        if !saved.is_empty() {
            self.session
                .borrow_mut()
                .restore_unconfirmed(now_ms(), saved.clone());
            *self.saved_outbox.borrow_mut() = saved;
        }
        if !page::is_online() {
            self.dispatch(Input::Offline);
        }
        self.dispatch(Input::Start);
    }

    /// Reads the session.
    pub fn with_session<R>(&self, f: impl FnOnce(&Session) -> R) -> R {
        f(&self.session.borrow())
    }

    /// Feeds one input and carries out what the session asks for.
    pub fn dispatch(self: &Rc<Self>, input: Input) {
        let commands = self.session.borrow_mut().handle(now_ms(), input);
        for command in commands {
            self.run(command);
        }
        let session = self.session.borrow();
        self.persist_outbox(&session);
        (self.on_change)(&session);
    }

    fn run(self: &Rc<Self>, command: Command) {
        match command {
            Command::Connect => self.connect(),
            Command::Send(text) => {
                if let Some(conn) = self.connection.borrow().as_ref() {
                    // A failed send means the socket is going away; its close event follows
                    // and the outbox resends on the next socket.
                    let _ = conn.send(&text);
                }
            }
            Command::Close { code, reason } => {
                self.generation.set(self.generation.get() + 1);
                if let Some(conn) = self.connection.borrow_mut().take() {
                    conn.close(code, &reason);
                }
            }
            Command::WakeAt(at) => self.wake_at(at),
        }
    }

    fn connect(self: &Rc<Self>) {
        let generation = self.generation.get() + 1;
        self.generation.set(generation);
        // Dropping the old connection closes it.
        self.connection.borrow_mut().take();
        let weak = Rc::downgrade(self);
        let events = Rc::new(move |event: TransportEvent| {
            if let Some(driver) = weak.upgrade() {
                if driver.generation.get() == generation {
                    driver.dispatch(to_input(event));
                }
            }
        });
        match self
            .transport
            .connect(&self.endpoint.url, &self.endpoint.protocols, events)
        {
            Ok(conn) => *self.connection.borrow_mut() = Some(conn),
            Err(reason) => {
                // Report the failure from a fresh task: we are inside `dispatch` now.
                let weak = Rc::downgrade(self);
                wasm_bindgen_futures::spawn_local(async move {
                    if let Some(driver) = weak.upgrade() {
                        driver.dispatch(Input::Closed { code: 1006, reason });
                    }
                });
            }
        }
    }

    fn wake_at(self: &Rc<Self>, at: u64) {
        if let Some(handle) = self.timer.borrow_mut().take() {
            handle.clear();
        }
        let delay = Duration::from_millis(at.saturating_sub(now_ms()));
        let weak: Weak<Self> = Rc::downgrade(self);
        let handle = set_timeout_with_handle(
            move || {
                if let Some(driver) = weak.upgrade() {
                    driver.timer.borrow_mut().take();
                    driver.dispatch(Input::Tick);
                }
            },
            delay,
        );
        *self.timer.borrow_mut() = handle.ok();
    }

    fn persist_outbox(&self, session: &Session) {
        let unconfirmed = session.unconfirmed();
        if *self.saved_outbox.borrow() == unconfirmed {
            return;
        }
        if unconfirmed.is_empty() {
            page::forget(&self.outbox_key);
        } else if let Ok(text) = serde_json::to_string(&unconfirmed) {
            page::save(&self.outbox_key, &text);
        }
        *self.saved_outbox.borrow_mut() = unconfirmed;
    }

    /// Closes for good: no reconnect follows, timers stop.
    pub fn shut_down(self: &Rc<Self>) {
        self.dispatch(Input::Stop);
        if let Some(handle) = self.timer.borrow_mut().take() {
            handle.clear();
        }
    }
}

fn to_input(event: TransportEvent) -> Input {
    match event {
        TransportEvent::Opened { protocol } => Input::Opened { protocol },
        TransportEvent::Text(text) => Input::Text(text),
        TransportEvent::Binary => Input::Binary,
        TransportEvent::Closed { code, reason } => Input::Closed { code, reason },
    }
}
