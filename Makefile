# The two commands of the Quick start are `make run` and `make test`; both install what is
# missing first (scripts/setup.sh), so they work on a fresh machine.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export CHROMEDRIVER ?= /usr/bin/chromedriver
export CARGO_TERM_COLOR ?= never

# Panic locations in the wasm name source files. Those of dependencies would carry the
# absolute path of the registry (under this machine's home directory) and those of the
# workspace its checkout directory: remapped, the bundle's bytes do not depend on where it
# is built, and are shorter (docs/PERFORMANCE.md, "Bundle size savings"). For wasm32 alone,
# so native builds keep their paths; cargo adds these to the `rustflags` of
# .cargo/config.toml. Every target below (`dist`, `run`, `dev`, `lint`, the browser tests)
# builds with them, so none rebuilds what another built.
CARGO_HOME_DIR := $(or $(CARGO_HOME),$(HOME)/.cargo)
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS := \
	--remap-path-prefix=$(CARGO_HOME_DIR)/registry/src=crates --remap-path-prefix=$(CURDIR)=.

# The WebDriver of each browser engine. wasm-bindgen-test-runner takes the first of
# GECKODRIVER, SAFARIDRIVER and CHROMEDRIVER that is set, so each engine's target below
# clears the others; WebKitWebDriver stands in for safaridriver.
GECKODRIVER ?= $(HOME)/.cargo/bin/geckodriver
WEBKITWEBDRIVER ?= /usr/bin/WebKitWebDriver
ONE_DRIVER := env -u GECKODRIVER -u SAFARIDRIVER -u CHROMEDRIVER
# WebKitGTK has no headless mode: its browser gets a virtual display.
ON_A_DISPLAY := xvfb-run -a

BIND ?= 127.0.0.1:8080

.PHONY: run test setup setup-browser dist size server dev lint test-native bench compare \
	test-browser test-browser-firefox test-browser-webkit test-e2e test-e2e-firefox test-e2e-webkit

## Build the app and serve it, with the reference server, on http://$(BIND)/
run: setup dist
	cargo run --profile server -p wirechat-server -- --bind $(BIND) --dist dist

## Everything: formatting, lints (native and wasm32), native tests, browser tests in three engines,
## the download size, end-to-end tests (all in Chromium, the core scenarios in Firefox and WebKit)
## Each step is timed, and the times are printed again at the end, so a slow run shows where
## its time went. (`size` builds `dist` first. Building it beside the lints was tried: on two
## cores both steps together took 570 s against 548 s one after the other.)
TEST_STEPS := setup-browser lint test-native test-browser test-browser-firefox \
	test-browser-webkit size test-e2e test-e2e-firefox test-e2e-webkit
test:
	@times=""; \
	for step in $(TEST_STEPS); do \
		start=$$(date +%s); \
		$(MAKE) --no-print-directory $$step || exit $$?; \
		times="$$times$$step: $$(( $$(date +%s) - start )) s"$$'\n'; \
		echo "== $$step took $$(( $$(date +%s) - start )) s"; \
	done; \
	printf '== make test, step by step:\n%s' "$$times"

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

## The reference server alone (for `trunk serve`, which proxies /ws, /sse and /poll to it)
server:
	cargo run --profile server -p wirechat-server -- --bind $(BIND)

## The dev loop: trunk serve on http://127.0.0.1:8081/ with /ws, /sse and /poll proxied to
## `make server`
dev: setup
	trunk serve

## The app (package wirechat) runs only in browsers, so it is linted for wasm32 alone: a native
## lint of it would check the whole Leptos tree a second time, for a target it never runs on.
lint:
	cargo fmt --all --check
	cargo clippy --workspace --exclude wirechat --all-targets -- -D warnings
	cargo clippy -p wirechat --target wasm32-unknown-unknown --all-targets -- -D warnings

# The app's own tests run in browsers (below); its documentation examples are the files in
# examples/, which the lint builds for wasm32. The benchmark's own helpers are tested here too.
#
# The server's tests are built on their own: together with the session's, the session's
# property-test features would reach the server's dependencies too, and its binary would
# differ from the one the end-to-end tests need (SERVER_FOR_E2E), which then took another
# minute to build.
test-native:
	cargo test -p wirechat-server
	cargo test --workspace --exclude wirechat --exclude wirechat-e2e --exclude wirechat-server
	node --test bench/compare.test.mjs bench/scale.test.mjs

## Browser tests (wasm-bindgen-test), one target per engine: every test binary in Chromium,
## the ones where engines differ in Firefox and WebKit (BROWSER_CORE below).
##
## Each test binary starts a browser of its own (Firefox takes 10 to 20 s to start on two
## busy cores), so the tests are grouped into few binaries: `engines` holds what engines do
## differently (the composer's keys and IME events, rendering and the basics, the message
## list's layout and scrolling, isolation of right-to-left names, pageshow and online
## events), `crash` the panic notice (a panic ends its page, so it has a page of its own), and
## `app_rules` the app's own rules, which no engine changes and which run in Chromium only.
##
## wasm-bindgen-test-runner kills the driver right after closing the window, so a browser
## still shutting down leaves its profile behind in TMPDIR (chromedriver's is about 77 MB);
## each run gets a TMPDIR of its own, removed afterwards whatever the outcome.
WASM_TEST := cargo test -p wirechat --target wasm32-unknown-unknown
# The runner gives each test binary 20 s unless told otherwise; the message list alone takes
# longer in WebKit, whose animation frames, on which the app renders, come 200 ms and more apart.
export WASM_BINDGEN_TEST_TIMEOUT ?= 300
BROWSER_CORE := --test engines --test crash
OWN_TMPDIR := scratch=$$(mktemp -d -t wirechat-browser-tests-XXXXXX) && \
	trap 'rm -rf "$$scratch"' EXIT && TMPDIR=$$scratch

test-browser:
	$(OWN_TMPDIR) $(ONE_DRIVER) CHROMEDRIVER=$(CHROMEDRIVER) $(WASM_TEST)

test-browser-firefox:
	$(OWN_TMPDIR) $(ONE_DRIVER) GECKODRIVER=$(GECKODRIVER) $(WASM_TEST) $(BROWSER_CORE)

test-browser-webkit:
	$(OWN_TMPDIR) $(ONE_DRIVER) SAFARIDRIVER=$(WEBKITWEBDRIVER) $(ON_A_DISPLAY) $(WASM_TEST) \
		$(BROWSER_CORE)

## End-to-end tests: the whole suite in Chromium, the core scenarios in Firefox and WebKit.
## The fault tests kill and restart the real server binary, so it is built first, as
## `cargo test -p wirechat-server` builds it (with its tests' features): after
## `test-native`, nothing is left to build.
##
## The core is one scenario of each kind rather than every variant, so both engines together
## take about five minutes: the page helpers (harness), chat between rooms (chat), the Enter
## that ends an IME composition (chat), a broadcast relay (relays), messages written offline
## surviving a reload, which is the browser's storage (faults), hostile frames (hostile), and
## a chat over each fallback transport, the engine's EventSource and fetch (transports).
## Relay variants, chaos and the other fault scenarios are engine-independent protocol work
## and run in Chromium. The suite is one test binary with a module per subject; libtest takes
## the names below as substring filters of `module::test`.
SERVER_BIN := WIRECHAT_SERVER_BIN=$(CURDIR)/target/debug/wirechat-server
SERVER_FOR_E2E := cargo build -p wirechat-server --tests
E2E := cargo test -p wirechat-e2e
E2E_CORE_NAMES := harness::the_helpers_read_and_drive_a_page_by_role \
	chat::messages_reach_everyone_in_the_room_and_no_one_outside_it \
	chat::the_enter_that_ends_a_composition_never_sends_and_the_next_enter_does \
	relays::a_broadcast_relay_keeps_rooms_apart_and_confirms_own_messages \
	faults::messages_written_offline_survive_a_reload_and_arrive_once \
	hostile::hostile_frames_are_dropped_or_shown_as_text_and_the_chat_goes_on \
	transports::a_chat_works_end_to_end_over_
# Two runner threads: the tests take turns on the browsers themselves (e2e/src/browser_slot.rs),
# most alone and two light ones, which mostly wait on the app's timers, at once. Firefox and
# WebKit run no light test, so their core scenarios still run one at a time.
E2E_FLAGS := -- --test-threads=2 --nocapture

test-e2e:
	$(SERVER_FOR_E2E)
	$(SERVER_BIN) WIRECHAT_BROWSER=chromium $(E2E) --lib --test e2e $(E2E_FLAGS)

test-e2e-firefox:
	$(SERVER_FOR_E2E)
	$(SERVER_BIN) WIRECHAT_BROWSER=firefox $(E2E) --test e2e $(E2E_FLAGS) $(E2E_CORE_NAMES)

test-e2e-webkit:
	$(SERVER_FOR_E2E)
	$(SERVER_BIN) WIRECHAT_BROWSER=webkit $(ON_A_DISPLAY) $(E2E) --test e2e $(E2E_FLAGS) \
		$(E2E_CORE_NAMES)

## The performance benchmark (not part of `test`): the release app against the vanilla JS
## baseline in bench/, in headless Chromium, then the server under load (bench/server.mjs),
## then one node against three on a redis-server of its own (bench/scale.mjs); writes
## docs/PERFORMANCE.md, docs/performance.json, docs/server-performance.json and
## docs/scale-performance.json, then compares the transports (`compare` below)
bench: setup-browser dist
	node --test bench/scale.test.mjs
	cargo build --profile server -p wirechat-server
	node bench/run.mjs --dist dist --server $(CURDIR)/target/server/wirechat-server --out docs
	node bench/server.mjs --server $(CURDIR)/target/server/wirechat-server --out docs
	node bench/scale.mjs --server $(CURDIR)/target/server/wirechat-server --out docs
	node bench/compare.mjs --server $(CURDIR)/target/server/wirechat-server --out docs

## The transports compared (also the end of `bench`; about two minutes): one workload
## over WebSocket, SSE, long polling and short polling, counted at a TCP proxy and at the
## server; writes docs/TRANSPORTS.md, docs/transports.json and docs/transports.svg
compare: setup
	node --test bench/compare.test.mjs
	cargo build --profile server -p wirechat-server
	node bench/compare.mjs --server $(CURDIR)/target/server/wirechat-server --out docs
