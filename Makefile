# The two commands of the Quick start are `make run` and `make test`; both install what is
# missing first (scripts/setup.sh), so they work on a fresh machine.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export CHROMEDRIVER ?= /usr/bin/chromedriver
export CARGO_TERM_COLOR ?= never

# The WebDriver of each browser engine. wasm-bindgen-test-runner takes the first of
# GECKODRIVER, SAFARIDRIVER and CHROMEDRIVER that is set, so each engine's target below
# clears the others; WebKitWebDriver stands in for safaridriver.
GECKODRIVER ?= $(HOME)/.cargo/bin/geckodriver
WEBKITWEBDRIVER ?= /usr/bin/WebKitWebDriver
ONE_DRIVER := env -u GECKODRIVER -u SAFARIDRIVER -u CHROMEDRIVER
# WebKitGTK has no headless mode: its browser gets a virtual display.
ON_A_DISPLAY := xvfb-run -a

BIND ?= 127.0.0.1:8080

.PHONY: run test setup setup-browser dist size server dev lint test-native bench \
	test-browser test-browser-firefox test-browser-webkit test-e2e test-e2e-firefox test-e2e-webkit

## Build the app and serve it, with the reference server, on http://$(BIND)/
run: setup dist
	cargo run --profile server -p wirechat-server -- --bind $(BIND) --dist dist

## Everything: formatting, lints (native and wasm32), native tests, browser tests in three engines,
## the download size, end-to-end tests (all in Chromium, the core scenarios in Firefox and WebKit)
test: setup-browser lint test-native test-browser test-browser-firefox test-browser-webkit \
	dist size test-e2e test-e2e-firefox test-e2e-webkit

setup:
	@scripts/setup.sh

setup-browser:
	@scripts/setup.sh --browser

## The release build for static hosting: writes dist/
dist: setup
	trunk build --release

## The download of the release build (brotli 11) against the budget in size-budget.json
size: dist
	node scripts/size.mjs dist

## The reference server alone (for `trunk serve`, which proxies /ws to it)
server:
	cargo run --profile server -p wirechat-server -- --bind $(BIND)

## The dev loop: trunk serve on http://127.0.0.1:8081/ with /ws proxied to `make server`
dev: setup
	trunk serve

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p wirechat --target wasm32-unknown-unknown --all-targets -- -D warnings

test-native:
	cargo test --workspace --exclude wirechat --exclude wirechat-e2e
	cargo test -p wirechat --doc

## Browser tests (wasm-bindgen-test), one target per engine: Chromium, Firefox, WebKit
test-browser:
	$(ONE_DRIVER) CHROMEDRIVER=$(CHROMEDRIVER) cargo test -p wirechat --target wasm32-unknown-unknown

test-browser-firefox:
	$(ONE_DRIVER) GECKODRIVER=$(GECKODRIVER) cargo test -p wirechat --target wasm32-unknown-unknown

test-browser-webkit:
	$(ONE_DRIVER) SAFARIDRIVER=$(WEBKITWEBDRIVER) $(ON_A_DISPLAY) cargo test -p wirechat --target wasm32-unknown-unknown

## End-to-end tests: the whole suite in Chromium, the core scenarios (chat, relays, faults,
## hostile input) in Firefox and WebKit. The fault tests kill and restart the real server
## binary, so it is built first.
SERVER_BIN := WIRECHAT_SERVER_BIN=$(CURDIR)/target/debug/wirechat-server
E2E := cargo test -p wirechat-e2e
E2E_CORE := --test harness --test chat --test relays --test faults --test hostile
E2E_FLAGS := -- --test-threads=1 --nocapture

test-e2e:
	cargo build -p wirechat-server
	$(SERVER_BIN) WIRECHAT_BROWSER=chromium $(E2E) $(E2E_FLAGS)

test-e2e-firefox:
	cargo build -p wirechat-server
	$(SERVER_BIN) WIRECHAT_BROWSER=firefox $(E2E) $(E2E_CORE) $(E2E_FLAGS)

test-e2e-webkit:
	cargo build -p wirechat-server
	$(SERVER_BIN) WIRECHAT_BROWSER=webkit $(ON_A_DISPLAY) $(E2E) $(E2E_CORE) $(E2E_FLAGS)

## The performance benchmark (not part of `test`): the release app against the vanilla JS
## baseline in bench/, in headless Chromium, then the server under load (bench/server.mjs);
## writes docs/PERFORMANCE.md, docs/performance.json and docs/server-performance.json
bench: setup-browser dist
	cargo build --profile server -p wirechat-server
	node bench/run.mjs --dist dist --server $(CURDIR)/target/server/wirechat-server --out docs
	node bench/server.mjs --server $(CURDIR)/target/server/wirechat-server --out docs
