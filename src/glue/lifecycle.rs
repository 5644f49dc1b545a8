//! The browser's own view of the network and of the page: `online`/`offline`, the tab
//! becoming visible again, the page coming back from the back/forward cache. Each becomes
//! a session [`Input`]; the session decides what to do.

use crate::glue::page;
use leptos::ev;
use leptos::prelude::*;
use wirechat_session::Input;

/// Feeds the browser's network and page-lifecycle events to `dispatch` until the calling
/// owner is cleaned up.
pub fn watch_page_lifecycle(dispatch: impl Fn(Input) + Clone + 'static) {
    let online = {
        let dispatch = dispatch.clone();
        window_event_listener(ev::online, move |_| dispatch(Input::Online))
    };
    let offline = {
        let dispatch = dispatch.clone();
        window_event_listener(ev::offline, move |_| dispatch(Input::Offline))
    };
    let visible = {
        let dispatch = dispatch.clone();
        window_event_listener(
            ev::Custom::<web_sys::Event>::new("visibilitychange"),
            move |_| {
                if !document().hidden() {
                    dispatch(Input::Visible);
                }
            },
        )
    };
    // A page restored from the back/forward cache gets `pageshow`, not
    // `visibilitychange`; while it was frozen it heard no `online` either, so the network
    // is read again before the session is told the page is back.
    let restored = window_event_listener(
        ev::Custom::<web_sys::PageTransitionEvent>::new("pageshow"),
        move |event| {
            if event.persisted() {
                dispatch(if page::is_online() {
                    Input::Online
                } else {
                    Input::Offline
                });
                dispatch(Input::Visible);
            }
        },
    );
    on_cleanup(move || {
        online.remove();
        offline.remove();
        visible.remove();
        restored.remove();
    });
}
