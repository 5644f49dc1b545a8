#!/usr/bin/env bash
# Installs what building (and, with `--browser`, testing) needs, skipping what is already
# there. Everything comes from the package registries: crates.io, npm and Debian.
# Tools go to ~/.cargo/bin (cargo install) and ./node_modules (npm); browsers and Redis from apt.
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=false
[ "${1:-}" = "--browser" ] && want_browser=true

say() { printf '==> %s\n' "$*"; }

# Under pipefail, `tool --version | grep -q` fails whenever grep stops reading before the
# tool has written everything (the tool dies of SIGPIPE), so outputs are read whole first.
output_of() { "$@" 2>/dev/null || true; }

# Rust: the wasm target and the lint/format components.
if ! grep -qx wasm32-unknown-unknown <<<"$(output_of rustup target list --installed)"; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
installed_components=$(output_of rustup component list --installed)
for component in clippy rustfmt; do
  if ! grep -q "^$component" <<<"$installed_components"; then
    rustup component add "$component"
  fi
done

# trunk 0.21.x: 0.22 needs a newer rustc than this toolchain.
if ! grep -q '^trunk 0\.21\.' <<<"$(output_of trunk --version)"; then
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
if ! grep -qx "wasm-bindgen $lock_version" <<<"$(output_of wasm-bindgen --version)"; then
  say "installing wasm-bindgen-cli $lock_version"
  # --locked fails to resolve for this crate; the plain install works.
  cargo install wasm-bindgen-cli --version "=$lock_version" --force
fi

# npm packages: wasm-opt from binaryen (Debian's is too old for current wasm features),
# terser for the release build's JS (scripts/minify-js.mjs), and the third-party WebSocket
# relays the end-to-end tests run against. npm keeps a copy of what it installed in
# node_modules/.package-lock.json; the install is stale when any package's version there
# differs from package-lock.json. (Comparing contents, not file times: a fresh checkout is
# newer than any install without being different from it.)
npm_stale() {
  node -e '
    const fs = require("fs");
    const versions = (file) => {
      const packages = JSON.parse(fs.readFileSync(file, "utf8")).packages || {};
      return Object.entries(packages)
        .filter(([path]) => path.startsWith("node_modules/"))
        .map(([path, p]) => path + "@" + p.version)
        .sort()
        .join("\n");
    };
    let installed = "";
    try { installed = versions("node_modules/.package-lock.json"); } catch (_) {}
    process.exit(versions("package-lock.json") === installed ? 1 : 0);
  '
}
if npm_stale; then
  # npm ci empties node_modules first; through a symlink that would empty a directory other
  # checkouts share, so a shared install is left to its owner.
  if [ -L node_modules ]; then
    echo "node_modules links to $(readlink node_modules), which does not match package-lock.json:" >&2
    echo "run npm ci there, or remove the link to install here" >&2
    exit 1
  fi
  say "installing npm packages (binaryen, terser, ws, axe-core)"
  npm ci --no-audit --no-fund
fi

# Browsers, their drivers and the services the tests start, only when testing:
# Chromium (the default engine), Firefox ESR and WebKitGTK's driver (run under Xvfb, which
# it needs for lack of a headless mode), Korean and emoji fonts for screenshots, and Redis.
if $want_browser; then
  need_apt=()
  command -v chromium >/dev/null || need_apt+=(chromium)
  command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
  command -v firefox-esr >/dev/null || need_apt+=(firefox-esr)
  command -v WebKitWebDriver >/dev/null || need_apt+=(webkit2gtk-driver)
  command -v xvfb-run >/dev/null || need_apt+=(xvfb)
  command -v redis-server >/dev/null || need_apt+=(redis-server)
  [ -d /usr/share/fonts/truetype/nanum ] || need_apt+=(fonts-nanum)
  [ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || need_apt+=(fonts-noto-color-emoji)
  if [ ${#need_apt[@]} -gt 0 ]; then
    say "installing ${need_apt[*]}"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_apt[@]}"
  fi
  # Firefox's WebDriver comes from crates.io (Debian does not package it).
  if ! grep -q '^geckodriver 0\.' <<<"$(output_of geckodriver --version)"; then
    say "installing geckodriver"
    cargo install geckodriver --locked
  fi
fi
exit 0
