// The four ways a client reaches the server, each spoken directly (no browser), behind one
// shape: `open(base, onFrame)` resolves to `{ send(frame), close() }` once `hello` came,
// and every later frame the server sends goes to `onFrame`.
//
// The HTTP transports use one keep-alive agent per client, as a browser keeps its
// connections to one origin, so the counts show what each transport costs and not what a
// careless client would.

import http from "node:http";
import WebSocket from "ws";

/** Sends `body` (a string, or nothing) and resolves to `{ status, text }`. */
function request(agent, url, method, body) {
  return new Promise((ok, fail) => {
    // A stated length, so the body is sent as is and not in chunks (as browsers send them).
    const headers = method === "GET" ? {} : { "content-type": "text/plain", "content-length": Buffer.byteLength(body ?? "") };
    const req = http.request(url, { method, agent, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => { text += d; });
      res.on("end", () => ok({ status: res.statusCode, text }));
      res.on("error", fail);
    });
    req.on("error", fail);
    req.end(body);
  });
}

/** Fails unless the answer has the expected status. */
function expect(answer, status, what) {
  if (answer.status !== status) throw new Error(`${what}: HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
  return answer;
}

/** Hands frames to `onFrame`, except the first `hello`, which resolves `hello`. */
function frameSink(onFrame) {
  let helloSeen = false;
  let resolveHello;
  const hello = new Promise((ok) => { resolveHello = ok; });
  return {
    hello,
    take(frame) {
      if (!helloSeen && frame.type === "hello") {
        helloSeen = true;
        resolveHello(frame);
      } else {
        onFrame(frame);
      }
    },
  };
}

/** WebSocket: one upgrade, then frames both ways on the same connection. */
async function openWebSocket(base, onFrame) {
  const sink = frameSink(onFrame);
  const ws = new WebSocket(`ws://${base}/ws`, "chat", { perMessageDeflate: false });
  ws.on("message", (data) => sink.take(JSON.parse(data)));
  await new Promise((ok, fail) => { ws.once("open", ok); ws.once("error", fail); });
  await sink.hello;
  return {
    send: async (frame) => ws.send(JSON.stringify(frame)),
    close: () => new Promise((ok) => { ws.once("close", ok); ws.close(1000); }),
  };
}

/** Server-sent events: one long GET carries frames down; each frame goes up as a POST. */
async function openSse(base, onFrame) {
  const sink = frameSink(onFrame);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  let postUrl;
  let linked;
  const link = new Promise((ok) => { linked = ok; });
  const stream = http.get(`http://${base}/sse`, { agent, headers: { accept: "text/event-stream" } });
  stream.on("response", (res) => {
    if (res.statusCode !== 200) throw new Error(`GET /sse: HTTP ${res.statusCode}`);
    res.setEncoding("utf8");
    let pending = "";
    res.on("data", (chunk) => {
      pending += chunk;
      let end;
      while ((end = pending.indexOf("\n\n")) >= 0) {
        const event = pending.slice(0, end);
        pending = pending.slice(end + 2);
        let type = "message";
        const data = [];
        for (const line of event.split("\n")) {
          if (line.startsWith("event:")) type = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        }
        if (data.length === 0) continue; // a keep-alive comment
        const payload = JSON.parse(data.join("\n"));
        if (type === "link") {
          postUrl = `http://${base}${payload.post}`;
          linked();
        } else if (type === "message") {
          sink.take(payload);
        }
      }
    });
  });
  stream.on("error", () => {}); // closing the stream aborts it
  await link;
  await sink.hello;
  return {
    send: async (frame) => expect(await request(agent, postUrl, "POST", JSON.stringify(frame)), 204, "POST /sse/{id}"),
    close: async () => {
      stream.destroy();
      agent.destroy();
    },
  };
}

/**
 * Polling: `POST /poll` opens, `GET /poll/{id}?cursor=N&wait=S` takes frames, `POST
 * /poll/{id}` sends. Long polling asks with the server's full wait and asks again at once;
 * short polling asks with `wait=0` every `intervalMs`.
 */
function openPolling({ wait, intervalMs }) {
  return async (base, onFrame) => {
    const sink = frameSink(onFrame);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const opened = JSON.parse(expect(await request(agent, `http://${base}/poll`, "POST"), 200, "POST /poll").text);
    const url = `http://${base}/poll/${opened.id}`;
    for (const frame of opened.frames) sink.take(frame);
    let cursor = opened.cursor;
    let running = true;
    const loop = (async () => {
      while (running) {
        const asked = Date.now();
        const query = wait === undefined ? `cursor=${cursor}` : `cursor=${cursor}&wait=${wait}`;
        const answer = await request(agent, `${url}?${query}`, "GET").catch(() => null);
        if (!running || answer === null) break;
        const body = JSON.parse(expect(answer, 200, "GET /poll/{id}").text);
        cursor = body.cursor;
        for (const frame of body.frames) sink.take(frame);
        if (body.close) break;
        // Short polling asks on a fixed beat, whatever the answer took.
        if (intervalMs) await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - asked))));
      }
    })();
    await sink.hello;
    return {
      send: async (frame) => expect(await request(agent, url, "POST", JSON.stringify(frame)), 204, "POST /poll/{id}"),
      close: async () => {
        running = false;
        agent.destroy();
        await loop;
      },
    };
  };
}

/** The transports compared, in the order of the table. */
export const TRANSPORTS = [
  { key: "websocket", label: "WebSocket", open: openWebSocket },
  { key: "sse", label: "SSE", open: openSse },
  { key: "long-polling", label: "Long polling", open: openPolling({}) },
  { key: "short-polling", label: "Short polling (1 s)", open: openPolling({ wait: 0, intervalMs: 1000 }) },
];
