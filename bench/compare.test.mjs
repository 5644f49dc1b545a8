// Checks of the comparison's own counting, run first by `make compare` (a second or two):
//
//   node --test bench/compare.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, connect } from "node:net";
import { RequestCounter, startProxy } from "./lib/compare/proxy.mjs";

test("requests are counted across chunk boundaries, with bodies skipped", () => {
  const counter = new RequestCounter();
  const wire = Buffer.from(
    "POST /poll/x HTTP/1.1\r\nHost: a\r\nContent-Length: 29\r\n\r\n" +
      "GET /fake HTTP/1.1\r\n\r\n{\"a\":1}" + // a body that looks like a request
      "GET /poll/x?cursor=1 HTTP/1.1\r\nHost: a\r\n\r\n",
  );
  for (let i = 0; i < wire.length; i += 7) counter.push(wire.subarray(i, i + 7));
  assert.equal(counter.requests, 2);
});

test("after a WebSocket upgrade the bytes are frames, not requests", () => {
  const counter = new RequestCounter();
  counter.push(Buffer.from("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"));
  counter.push(Buffer.from("GET / HTTP/1.1\r\n\r\n"));
  assert.equal(counter.requests, 1);
});

test("the proxy counts connections and every byte each way", async () => {
  // An echo server that answers each chunk with twice its bytes.
  const echo = createServer((socket) => socket.on("data", (d) => socket.write(Buffer.concat([d, d]))));
  await new Promise((ok) => echo.listen(0, "127.0.0.1", ok));
  const proxy = await startProxy({ host: "127.0.0.1", port: echo.address().port });
  for (let i = 0; i < 2; i += 1) {
    const socket = connect(proxy.port, "127.0.0.1");
    await new Promise((ok) => socket.once("connect", ok));
    socket.write("x".repeat(1000));
    let got = 0;
    await new Promise((ok) => socket.on("data", (d) => { got += d.length; if (got === 2000) ok(); }));
    socket.destroy();
  }
  assert.deepEqual(proxy.counts(), { connections: 2, bytesUp: 2000, bytesDown: 4000, requests: 0 });
  await proxy.close();
  await new Promise((ok) => echo.close(ok));
});
