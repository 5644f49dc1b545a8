// A minimal chat client on the wirechat wire format (PROTOCOL.md), without a framework:
// the reference point the Leptos app is measured against.
//
// `?server=ws://host/ws&room=lobby&name=alice`. It joins one room, shows each message id
// once, writes the DOM at most once per animation frame, keeps the newest MAX_ROWS rows, and
// sends on Enter (shown at once, confirmed by the server's echo of the same id).
"use strict";

const MAX_ROWS = 400;
// Scrolled this close to the bottom (px) still follows new messages.
const STICK_PX = 48;

const params = new URLSearchParams(location.search);
const defaultServer = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
const server = params.get("server") || defaultServer;
const room = params.get("room") || "lobby";
const name = params.get("name") || "guest";

const statusEl = document.getElementById("status");
const log = document.getElementById("log");
const form = document.getElementById("composer");
const input = document.getElementById("text");
document.getElementById("room").textContent = `#${room}`;

const seen = new Set();
let queued = [];
let frameRequested = false;
let socket = null;

function show(msg) {
  if (typeof msg.id !== "string" || seen.has(msg.id)) return;
  seen.add(msg.id);
  queued.push(msg);
  if (!frameRequested) {
    frameRequested = true;
    requestAnimationFrame(flush);
  }
}

function flush() {
  frameRequested = false;
  // Rows that would be dropped in this same frame are never built.
  const batch = queued.length > MAX_ROWS ? queued.slice(-MAX_ROWS) : queued;
  queued = [];
  const stick = log.scrollHeight - log.scrollTop - log.clientHeight <= STICK_PX;
  const rows = document.createDocumentFragment();
  for (const msg of batch) rows.append(row(msg));
  log.append(rows);
  for (let excess = log.childElementCount - MAX_ROWS; excess > 0; excess--) {
    log.firstElementChild.remove();
  }
  if (stick) log.scrollTop = log.scrollHeight;
}

function row(msg) {
  const li = document.createElement("li");
  const from = document.createElement("b");
  from.textContent = String(msg.from);
  const text = document.createElement("span");
  text.textContent = String(msg.text);
  li.append(from, text);
  return li;
}

function connect() {
  socket = new WebSocket(server);
  socket.onopen = () => {
    statusEl.textContent = "Connected";
    socket.send(JSON.stringify({ type: "join", room, name }));
  };
  socket.onclose = (event) => {
    statusEl.textContent = `Disconnected (${event.code})`;
  };
  socket.onmessage = (event) => {
    if (typeof event.data !== "string") return;
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (frame === null || typeof frame !== "object") return;
    if (frame.type === "msg" && frame.room === room) {
      show(frame);
    } else if (frame.type === "history" && frame.room === room && Array.isArray(frame.msgs)) {
      for (const msg of frame.msgs) show(msg);
    }
  };
}

function newId() {
  return `b${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

function send() {
  const text = input.value;
  if (!text.trim() || socket === null || socket.readyState !== WebSocket.OPEN) return;
  const msg = { type: "msg", id: newId(), room, from: name, text, ts: Date.now() };
  socket.send(JSON.stringify(msg));
  show(msg);
  input.value = "";
}

input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  send();
});

connect();
