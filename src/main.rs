//! Mounts the app. Everything else lives in the library.

fn main() {
    // First, so that even a panic while mounting shows the notice instead of a blank page.
    wirechat::glue::crash::install_panic_hook();
    leptos::mount::mount_to_body(wirechat::App);
}
