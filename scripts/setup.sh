#!/usr/bin/env bash
# Installs what building (and, with `--browser`, testing) needs, skipping what is already
# there. Everything comes from the package registries: crates.io, npm and Debian.
# Tools go to ~/.cargo/bin (cargo install) and ./node_modules (npm); browsers and Redis from apt.
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=false
[ "${1:-}" = "--browser" ] && want_browser=true

say() { printf '==> %s\n' "$*"; }

# Rust: the wasm target and the lint/format components.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
for component in clippy rustfmt; do
  if ! rustup component list --installed | grep -q "^$component"; then
    rustup component add "$component"
  fi
done

# trunk 0.21.x: 0.22 needs a newer rustc than this toolchain.
if ! trunk --version 2>/dev/null | grep -q '^trunk 0\.21\.'; then
  say "installing trunk 0.21"
  cargo install trunk --version '~0.21' --locked
fi

# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock, and Trunk.toml
# must pin the same, or trunk would try to download its own.
lock_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
pin_version=$(sed -n 's/^wasm_bindgen *= *"\(.*\)"/\1/p' Trunk.toml)
if [ "$lock_version" != "$pin_version" ]; then
  echo "Trunk.toml pins wasm-bindgen $pin_version but Cargo.lock has $lock_version: update Trunk.toml" >&2
  exit 1
fi
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $lock_version"; then
  say "installing wasm-bindgen-cli $lock_version"
  # --locked fails to resolve for this crate; the plain install works.
  cargo install wasm-bindgen-cli --version "=$lock_version" --force
fi

# npm packages: wasm-opt from binaryen (Debian's is too old for current wasm features), and
# the third-party WebSocket relays the end-to-end tests run against. npm leaves its own copy
# of the lock file in node_modules; when that is older than ours, the install is stale.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (binaryen, ws)"
  npm ci --no-audit --no-fund
fi

# Browsers, their drivers and the services the tests start, only when testing:
# Chromium (the default engine), Firefox ESR and WebKitGTK's driver (run under Xvfb, which
# it needs for lack of a headless mode), a Korean font for screenshots, and Redis.
if $want_browser; then
  need_apt=()
  command -v chromium >/dev/null || need_apt+=(chromium)
  command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
  command -v firefox-esr >/dev/null || need_apt+=(firefox-esr)
  command -v WebKitWebDriver >/dev/null || need_apt+=(webkit2gtk-driver)
  command -v xvfb-run >/dev/null || need_apt+=(xvfb)
  command -v redis-server >/dev/null || need_apt+=(redis-server)
  [ -d /usr/share/fonts/truetype/nanum ] || need_apt+=(fonts-nanum)
  if [ ${#need_apt[@]} -gt 0 ]; then
    say "installing ${need_apt[*]}"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_apt[@]}"
  fi
  # Firefox's WebDriver comes from crates.io (Debian does not package it).
  if ! geckodriver --version 2>/dev/null | grep -q '^geckodriver 0\.'; then
    say "installing geckodriver"
    cargo install geckodriver --locked
  fi
fi
exit 0
