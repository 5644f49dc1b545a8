//! Runs a [`Session`] in the browser: feeds it events, carries out its commands.
//!
//! A transport may report events while the driver is calling it (an in-memory transport
//! that answers a `send` at once, say). So the driver never holds a borrow while it calls
//! out: it takes the commands out of the session first, and inputs that arrive while
//! commands are being carried out wait in a queue and are handled, in order, right after.

use crate::chat::TokenProvider;
use crate::glue::page::{self, now_ms};
use crate::glue::tab_outbox::TabOutbox;
use crate::transport::{Connection, TransportEvent, TransportKind, TransportSet};
use leptos::prelude::{request_animation_frame, set_timeout_with_handle, TimeoutHandle};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use std::time::Duration;
use wirechat_protocol::close_code;
use wirechat_session::{Command, Input, Session};

/// Where a driver connects.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The configured (first) WebSocket URL. The session names the server of each attempt
    /// in [`Command::Connect`]; this one keys what is kept across reloads.
    pub url: String,
    /// Subprotocols to offer.
    pub protocols: Vec<String>,
}

/// Above this many bytes waiting in the socket's buffer, frames queue here instead, so a burst
/// of sends cannot grow the browser's buffer without bound.
const HIGH_WATER_BYTES: u32 = 256 * 1024;

/// How soon a hidden tab's UI hears of changes (it gets no animation frames).
const HIDDEN_NOTIFY_DELAY: Duration = Duration::from_millis(100);

/// How often a queued burst checks whether the socket's buffer has drained.
const DRAIN_EVERY: Duration = Duration::from_millis(25);

/// A change to the session at a given time, returning the commands it asks for.
type Change = Box<dyn FnOnce(&mut Session, u64) -> Vec<Command>>;

/// Owns the session, the live connection and the one pending timer.
pub struct Driver {
    session: RefCell<Session>,
    endpoint: Endpoint,
    transports: TransportSet,
    // Shared so a send can go out with no borrow held, even if the send ends up replacing
    // the connection.
    connection: RefCell<Option<Rc<dyn Connection>>>,
    /// Changes that arrived while commands were being carried out.
    inbox: RefCell<VecDeque<Change>>,
    /// Commands are being carried out further up the stack.
    busy: Cell<bool>,
    // Events from a connection that has since been replaced carry an old generation and
    // are ignored, so a late `close` of a dead socket cannot disturb the new one.
    generation: Cell<u64>,
    timer: RefCell<Option<TimeoutHandle>>,
    /// Where unconfirmed messages survive a reload, shared safely with other tabs.
    saved_outbox: Rc<TabOutbox>,
    on_change: Box<dyn Fn(&Session)>,
    /// Frames held back while the socket's buffer is above [`HIGH_WATER_BYTES`].
    backlog: RefCell<VecDeque<String>>,
    draining: Cell<bool>,
    /// A UI notification is scheduled for the next frame.
    notify_pending: Cell<bool>,
    /// Where sign-in tokens come from.
    tokens: Option<TokenProvider>,
    /// The WebSocket opened beside a fallback to see whether one gets through.
    probe: RefCell<Option<Box<dyn Connection>>>,
    probe_generation: Cell<u64>,
    /// The server of the current connection (failover may have moved it off the first).
    server_url: RefCell<String>,
}

impl Driver {
    /// A driver for `session`; `on_change` runs after every input so the UI can re-read.
    pub fn new(
        session: Session,
        endpoint: Endpoint,
        tokens: Option<TokenProvider>,
        transports: TransportSet,
        on_change: Box<dyn Fn(&Session)>,
    ) -> Rc<Self> {
        // Keyed by the configured (first) URL, not the node in use: messages left unconfirmed
        // on a node that died must be found again by the page that fails over, or reloads,
        // whichever node it reaches then. The nodes of one list share their rooms, so any of
        // them accepts the retry (and recognises a copy it stored already by its id).
        let saved_outbox = TabOutbox::new(&endpoint.url);
        let server_url = RefCell::new(endpoint.url.clone());
        Rc::new(Self {
            session: RefCell::new(session),
            endpoint,
            transports,
            connection: RefCell::new(None),
            inbox: RefCell::new(VecDeque::new()),
            busy: Cell::new(false),
            generation: Cell::new(0),
            timer: RefCell::new(None),
            saved_outbox,
            on_change,
            backlog: RefCell::new(VecDeque::new()),
            draining: Cell::new(false),
            notify_pending: Cell::new(false),
            tokens,
            probe: RefCell::new(None),
            probe_generation: Cell::new(0),
            server_url,
        })
    }

    /// Starts connecting, and takes over the messages that closed or reloaded pages left
    /// unconfirmed, now and whenever another tab goes away.
    pub fn start(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        self.saved_outbox.start(Rc::new(move |messages| {
            if let Some(driver) = weak.upgrade() {
                driver.apply(|session, now| session.adopt_unconfirmed(now, messages));
            }
        }));
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
        self.apply(|session, now| session.handle(now, input));
    }

    /// Runs `change` on the session at the current time and carries out its commands; if
    /// commands are being carried out already, after those.
    fn apply(self: &Rc<Self>, change: impl FnOnce(&mut Session, u64) -> Vec<Command> + 'static) {
        self.inbox.borrow_mut().push_back(Box::new(change));
        self.carry_out(|_| {});
    }

    /// Runs `act`, which may call out to the transport, then every change that queued up
    /// meanwhile. Nested calls (from events the transport reports at once) only queue.
    fn carry_out(self: &Rc<Self>, act: impl FnOnce(&Rc<Self>)) {
        if self.busy.replace(true) {
            act(self);
            return;
        }
        act(self);
        let mut changed = false;
        loop {
            let Some(change) = self.inbox.borrow_mut().pop_front() else {
                break;
            };
            // The session's borrow ends with this statement, before any command runs.
            let commands = change(&mut self.session.borrow_mut(), now_ms());
            for command in commands {
                self.run(command);
            }
            changed = true;
        }
        self.busy.set(false);
        if changed {
            self.persist_outbox(&self.session.borrow());
            self.schedule_notify();
        }
    }

    /// Tells the UI about changes at most once per animation frame: a burst of frames is
    /// applied to the session as it arrives, but rendered once per frame instead of once per
    /// message. Hidden tabs get no animation frames, so there a short timer stands in (the
    /// page still updates its title and notifications).
    fn schedule_notify(self: &Rc<Self>) {
        if self.notify_pending.replace(true) {
            return;
        }
        let weak = Rc::downgrade(self);
        let notify = move || {
            if let Some(driver) = weak.upgrade() {
                driver.notify_pending.set(false);
                (driver.on_change)(&driver.session.borrow());
            }
        };
        if super::notify::page_hidden() {
            let _ = set_timeout_with_handle(notify, HIDDEN_NOTIFY_DELAY);
        } else {
            request_animation_frame(notify);
        }
    }

    fn run(self: &Rc<Self>, command: Command) {
        match command {
            Command::Connect {
                url,
                offer_protocols,
                transport,
            } => {
                self.end_probe();
                self.connect(&url, offer_protocols, transport);
            }
            Command::Send(text) => {
                self.backlog.borrow_mut().push_back(text);
                self.drain();
            }
            Command::Close { code, reason } => {
                self.generation.set(self.generation.get() + 1);
                self.backlog.borrow_mut().clear();
                let connection = self.connection.borrow_mut().take();
                if let Some(conn) = connection {
                    conn.close(code, &reason);
                }
            }
            Command::WakeAt(at) => self.wake_at(at),
            Command::NeedToken => self.fetch_token(),
            Command::KeepResume(resume) => super::token::keep_resume(&self.endpoint.url, &resume),
            Command::Probe => self.probe(),
            Command::EndProbe => self.end_probe(),
            Command::RememberTransport(kind) => {
                super::transport_memory::remember(&self.endpoint.url, kind, now_ms())
            }
        }
    }

    /// Opens a WebSocket beside the connection, and reports its first frame or its end.
    fn probe(self: &Rc<Self>) {
        self.end_probe();
        let generation = self.probe_generation.get();
        let weak = Rc::downgrade(self);
        let events = Rc::new(move |event: TransportEvent| {
            let Some(driver) = weak.upgrade() else {
                return;
            };
            if driver.probe_generation.get() != generation {
                return;
            }
            let input = match event {
                TransportEvent::Text(text) => Input::ProbeFrame(text),
                TransportEvent::Closed { .. } | TransportEvent::Binary => Input::ProbeClosed,
                TransportEvent::Opened { .. } => return,
            };
            // Only the first answer counts.
            driver.probe_generation.set(generation + 1);
            driver.dispatch(input);
        });
        let url = self.server_url.borrow().clone();
        let probe = self
            .transports
            .websocket
            .connect(&url, &self.endpoint.protocols, events);
        match probe {
            Ok(probe) => *self.probe.borrow_mut() = Some(probe),
            Err(_) => self.dispatch(Input::ProbeClosed),
        }
    }

    /// Closes the probe, if any; its later events are ignored.
    fn end_probe(&self) {
        self.probe_generation.set(self.probe_generation.get() + 1);
        let probe = self.probe.borrow_mut().take();
        drop(probe);
    }

    /// Asks the token provider, and hands its answer to the session when it comes.
    fn fetch_token(self: &Rc<Self>) {
        let Some(tokens) = self.tokens.clone() else {
            self.dispatch(Input::Token(Err(String::new())));
            return;
        };
        let weak = Rc::downgrade(self);
        leptos::task::spawn_local(async move {
            let answer = tokens.token().await;
            if let Some(driver) = weak.upgrade() {
                driver.dispatch(Input::Token(answer));
            }
        });
    }

    /// Writes queued frames while the socket's buffer is below the high-water mark, and
    /// polls again later if it is not.
    fn drain(self: &Rc<Self>) {
        loop {
            // Looked up again for every frame: a send may have replaced the connection.
            let connection = self.connection.borrow().clone();
            let Some(conn) = connection else {
                // Nothing to write to: whatever matters is in the outbox and is resent on open.
                self.backlog.borrow_mut().clear();
                return;
            };
            if conn.buffered_amount() >= HIGH_WATER_BYTES {
                break;
            }
            let Some(text) = self.backlog.borrow_mut().pop_front() else {
                break;
            };
            // A failed send means the socket is going away; its close event follows and the
            // outbox resends on the next socket.
            let _ = conn.send(&text);
        }
        if !self.backlog.borrow().is_empty() && !self.draining.replace(true) {
            let weak = Rc::downgrade(self);
            let _ = set_timeout_with_handle(
                move || {
                    if let Some(driver) = weak.upgrade() {
                        driver.draining.set(false);
                        driver.carry_out(|driver| driver.drain());
                    }
                },
                DRAIN_EVERY,
            );
        }
    }

    /// Opens a connection to `url` (the endpoint's when empty) over `kind`, offering the
    /// endpoint's subprotocols if `offer_protocols` (the session decides when to leave them
    /// out).
    fn connect(self: &Rc<Self>, url: &str, offer_protocols: bool, kind: TransportKind) {
        let url = if url.is_empty() {
            self.endpoint.url.clone()
        } else {
            url.to_owned()
        };
        // A probe for a WebSocket goes to the server this connection uses.
        self.server_url.replace(url.clone());
        let generation = self.generation.get() + 1;
        self.generation.set(generation);
        self.backlog.borrow_mut().clear();
        // Dropping the old connection closes it.
        let old = self.connection.borrow_mut().take();
        drop(old);
        let protocols: &[String] = if offer_protocols {
            &self.endpoint.protocols
        } else {
            &[]
        };
        let weak = Rc::downgrade(self);
        let events = Rc::new(move |event: TransportEvent| {
            let Some(driver) = weak.upgrade() else {
                return;
            };
            let weak = Rc::downgrade(&driver);
            driver.apply(move |session, now| {
                // Checked when handled, not when queued: a connection replaced while this
                // event waited in the queue is as stale as one replaced before it came.
                let current = weak
                    .upgrade()
                    .is_some_and(|driver| driver.generation.get() == generation);
                if current {
                    session.handle(now, to_input(event))
                } else {
                    Vec::new()
                }
            });
        });
        let attempt = match self.transports.get(kind) {
            Some(transport) => transport.connect(&url, protocols, events),
            None => Err("this app has no such transport".to_owned()),
        };
        match attempt {
            Ok(conn) => *self.connection.borrow_mut() = Some(Rc::from(conn)),
            // Handled once the commands now being carried out are done.
            Err(reason) => self.dispatch(Input::Closed {
                code: close_code::ABNORMAL,
                reason,
            }),
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
        self.saved_outbox.save(session.unconfirmed());
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
