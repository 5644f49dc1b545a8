//! A name's avatar: initials on the name's colour.

use crate::identity::{colour_slot, initials};
use leptos::prelude::*;

/// A round badge with a name's initials in the name's colour. Decorative: the name itself
/// is always written next to it.
#[component]
pub fn Avatar(
    /// The display name.
    name: String,
) -> impl IntoView {
    let class = format!("avatar c{}", colour_slot(&name));
    view! { <bdi class=class aria-hidden="true">{initials(&name)}</bdi> }
}
