// Ending a benchmark's `ws` clients.
import WebSocket from "ws";

/** Closes every socket and resolves once all are closed. */
export async function closeAll(sockets) {
  await Promise.all(sockets.map((ws) => new Promise((r) => {
    if (ws.readyState === WebSocket.CLOSED) return r();
    ws.once("close", r);
    ws.close();
  })));
}
