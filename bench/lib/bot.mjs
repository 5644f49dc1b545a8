// A chat participant on a plain WebSocket (the `ws` package): joins a room, sends bursts
// as fast as the server takes them, and counts the echoes the server sends back.
import WebSocket from "ws";

export class Bot {
  // `window`: how many of its messages may be unconfirmed at once.
  constructor(url, room, name, { window = 200 } = {}) {
    this.window = window;
    this.url = url;
    this.room = room;
    this.name = name;
    this.presence = [];
    this.echoTag = null;
    this.echoes = 0;
    this.lastEchoAt = null;
    this.closeCode = null;
    this.errors = [];
    this.allowed = Infinity;
  }

  // Lets a burst send only messages numbered below `n`, until `allow` raises it.
  limit(n) {
    this.allowed = n;
  }

  // Raises the limit to `n` (never lowers it: reports may arrive out of order).
  allow(n) {
    if (n <= this.allowed) return;
    this.allowed = n;
    if (this.onEcho) this.onEcho();
  }

  // Connects, joins and resolves once the server lists everyone in `expected` as present.
  async join(expected, timeoutMs = 15_000) {
    this.ws = new WebSocket(this.url);
    this.ws.on("close", (code) => {
      this.closeCode = code;
      if (this.onClose) this.onClose();
    });
    this.ws.on("error", (err) => this.errors.push(String(err)));
    this.ws.on("message", (data) => this.onFrame(data.toString()));
    await new Promise((resolve, reject) => {
      this.ws.once("open", resolve);
      this.ws.once("error", reject);
    });
    this.ws.send(JSON.stringify({ type: "join", room: this.room, name: this.name }));
    const deadline = Date.now() + timeoutMs;
    while (!expected.every((who) => this.presence.includes(who))) {
      if (Date.now() > deadline) {
        throw new Error(`${expected.join(", ")} not present in ${this.room}: ${this.presence.join(", ")}`);
      }
      await sleep(20);
    }
  }

  onFrame(text) {
    if (this.echoTag !== null && text.includes(this.echoTag)) {
      this.echoes++;
      this.lastEchoAt = performance.now();
      if (this.onEcho) this.onEcho();
      return;
    }
    if (text.includes('"presence"')) {
      const frame = JSON.parse(text);
      if (frame.type === "presence" && frame.room === this.room) this.presence = frame.users;
    }
  }

  // Sends `count` messages made by `text(i)` as fast as the server takes them: a message
  // goes out as soon as fewer than `window` are unconfirmed (the server confirms by echoing it
  // to its sender) and `allow` permits it. The window stays below the server's
  // per-connection queue (256 frames), so the bot itself is never closed as a slow
  // consumer. Resolves when all are sent.
  burst(tag, count, text) {
    this.echoTag = tag;
    this.echoes = 0;
    this.burstStartedAt = performance.now();
    const ts = Date.now();
    let sent = 0;
    return new Promise((resolve, reject) => {
      const pump = () => {
        if (this.ws.readyState !== WebSocket.OPEN) {
          this.onEcho = null;
          this.onClose = null;
          reject(new Error(`bot socket closed (${this.closeCode ?? "closing"})`));
          return;
        }
        while (sent < count && sent - this.echoes < this.window && sent < this.allowed) {
          this.ws.send(
            JSON.stringify({ type: "msg", id: `${tag}-${sent}`, room: this.room, from: this.name, text: text(sent), ts: ts + sent }),
          );
          sent++;
        }
        if (sent === count) {
          this.onEcho = null;
          this.onClose = null;
          this.burstSentAt = performance.now();
          resolve();
        }
      };
      this.onEcho = pump;
      this.onClose = pump;
      pump();
    });
  }

  // Resolves once `count` echoes of the current burst arrived, or after `timeoutMs`.
  async echoed(count, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (this.echoes < count && Date.now() < deadline && this.closeCode === null) await sleep(10);
    return this.echoes >= count;
  }

  close() {
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close();
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
