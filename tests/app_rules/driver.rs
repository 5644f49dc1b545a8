//! The driver with a transport that reports events at once, from inside the call that
//! caused them, as an in-memory transport may: the events wait their turn, nothing sent in
//! answer to them is lost, and no borrow is held while the transport is called.

use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen_test::*;
use wirechat::glue::driver::{Driver, Endpoint};
use wirechat::transport::{Connection, EventSink, Transport, TransportEvent};
use wirechat_protocol::{decode, encode, feature, Ack, Frame, Hello, History};
use wirechat_session::{Delivery, Input, ServerMode, Session, SessionConfig, Status};

#[derive(Default)]
struct Wire {
    sink: Option<EventSink>,
    sent: Vec<String>,
}

impl Wire {
    /// Reports `event` to the client, with no borrow of the wire held.
    fn report(wire: &RefCell<Wire>, event: TransportEvent) {
        let sink = wire.borrow().sink.clone();
        if let Some(sink) = sink {
            sink(event);
        }
    }
}

/// A server living in the same call stack: it opens, greets and answers every frame before
/// the call that delivered it returns.
#[derive(Clone, Default)]
struct SameStackServer(Rc<RefCell<Wire>>);

impl Transport for SameStackServer {
    fn connect(
        &self,
        _url: &str,
        _protocols: &[String],
        events: EventSink,
    ) -> Result<Box<dyn Connection>, String> {
        self.0.borrow_mut().sink = Some(events);
        Wire::report(
            &self.0,
            TransportEvent::Opened {
                protocol: String::new(),
            },
        );
        let hello = Frame::Hello(Hello {
            server: "same-stack".into(),
            epoch: "e1".into(),
            features: vec![feature::HISTORY.into(), feature::ACK.into()],
            max_text: None,
            handshake: None,
        });
        Wire::report(&self.0, TransportEvent::Text(encode(&hello)));
        Ok(Box::new(SameStackConnection(self.0.clone())))
    }
}

struct SameStackConnection(Rc<RefCell<Wire>>);

impl Connection for SameStackConnection {
    fn send(&self, text: &str) -> Result<(), String> {
        self.0.borrow_mut().sent.push(text.to_owned());
        let answer = match decode(text) {
            Ok(Frame::Join(join)) => Frame::History(History {
                room: join.room,
                msgs: vec![],
                more: false,
                latest: None,
                req: join.req,
                name: None,
                read: None,
            }),
            Ok(Frame::Msg(msg)) => Frame::Ack(Ack {
                id: msg.id,
                room: msg.room,
                seq: Some(1),
            }),
            _ => return Ok(()),
        };
        Wire::report(&self.0, TransportEvent::Text(encode(&answer)));
        Ok(())
    }

    fn close(&self, code: u16, reason: &str) {
        Wire::report(
            &self.0,
            TransportEvent::Closed {
                code,
                reason: reason.to_owned(),
            },
        );
    }

    fn buffered_amount(&self) -> u32 {
        0
    }
}

fn start(server: &SameStackServer) -> Rc<Driver> {
    let config = SessionConfig {
        name: "alice".into(),
        ..SessionConfig::default()
    };
    let driver = Driver::new(
        Session::new(config, 1),
        Endpoint {
            url: "ws://same-stack.invalid/".into(),
            protocols: vec![],
        },
        None,
        wirechat::transport::TransportSet::only(Box::new(server.clone())),
        Box::new(|_| {}),
    );
    driver.start();
    driver
}

fn sent_joins(server: &SameStackServer) -> usize {
    let sent = server.0.borrow().sent.clone();
    sent.iter()
        .filter(|t| matches!(decode(t), Ok(Frame::Join(_))))
        .count()
}

/// Regression: events reported from inside `connect` reached the session before the driver
/// held the connection, so the joins sent in answer to `opened` went nowhere.
#[wasm_bindgen_test]
fn events_reported_at_once_are_handled_after_the_call_that_caused_them() {
    let server = SameStackServer::default();
    let driver = start(&server);
    assert_eq!(sent_joins(&server), 1, "the join reached the server");
    driver.with_session(|s| {
        assert_eq!(s.status(), Status::Connected);
        assert!(matches!(s.mode(), ServerMode::Full(_)));
    });

    // The ack comes back from inside `send`.
    driver.dispatch(Input::Compose {
        id: "m1".into(),
        text: "hello".into(),
    });
    driver.with_session(|s| {
        let entry = s.room("lobby").and_then(|log| log.get("m1")).cloned();
        assert_eq!(entry.and_then(|e| e.delivery), Some(Delivery::Delivered));
    });

    // A new connection while one is open, then a close that reports at once.
    driver.dispatch(Input::RetryNow);
    assert_eq!(sent_joins(&server), 2, "the new connection joined again");
    driver.shut_down();
    driver.with_session(|s| assert!(matches!(s.status(), Status::Closed { .. })));
}
