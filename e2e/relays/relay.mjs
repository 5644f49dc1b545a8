// A plain WebSocket relay that knows nothing of wirechat: it passes every frame on verbatim,
// text as text and binary as binary, the way a generic third-party chat relay would.
//
//   node e2e/relays/relay.mjs --mode broadcast|noself|echo [--port 0] [--max-seconds 300]
//                             [--subprotocols first|decline]
//
// broadcast: to every client, the sender included; noself: to every client but the sender;
// echo: back to the sender only. It listens on 127.0.0.1 and prints `listening <port>` once
// ready, then `connection <n>` for each client that connects and `frame <type>` for each text
// frame that is a JSON object with a string `type` (so tests can count what peers said). It exits when its standard
// input closes (its parent went away) or after --max-seconds, whichever comes first.
// --subprotocols: `first` (the ws package's default) selects the first subprotocol a client
// offers; `decline` selects none, like servers that know nothing of subprotocols.

import { WebSocket, WebSocketServer } from "ws";

const MODES = ["broadcast", "noself", "echo"];

function parseArgs(argv) {
  const options = { mode: null, port: 0, maxSeconds: 300, subprotocols: "first" };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) fail(`${flag} needs a value`);
    if (flag === "--mode") options.mode = value;
    else if (flag === "--port") options.port = Number(value);
    else if (flag === "--max-seconds") options.maxSeconds = Number(value);
    else if (flag === "--subprotocols") options.subprotocols = value;
    else fail(`unknown option ${flag}`);
  }
  if (!MODES.includes(options.mode)) fail(`--mode must be one of ${MODES.join(", ")}`);
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    fail("--port must be a port number (0 picks a free one)");
  }
  if (!(options.maxSeconds > 0)) fail("--max-seconds must be positive");
  if (!["first", "decline"].includes(options.subprotocols)) {
    fail("--subprotocols must be first or decline");
  }
  return options;
}

function fail(message) {
  process.stderr.write(`relay: ${message}\n`);
  process.exit(2);
}

// Who receives a frame from `sender` in each mode.
const RECIPIENTS = {
  broadcast: (clients) => clients,
  noself: (clients, sender) => clients.filter((client) => client !== sender),
  echo: (_clients, sender) => [sender],
};

const options = parseArgs(process.argv.slice(2));
const recipients = RECIPIENTS[options.mode];
// 16 MiB: far above anything a chat sends, so the relay never decides what is too large.
const server = new WebSocketServer({
  host: "127.0.0.1",
  port: options.port,
  maxPayload: 16 << 20,
  ...(options.subprotocols === "decline" ? { handleProtocols: () => false } : {}),
});
let connections = 0;

server.on("listening", () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});

server.on("connection", (socket) => {
  connections += 1;
  process.stdout.write(`connection ${connections}\n`);
  socket.on("message", (data, isBinary) => {
    if (!isBinary) reportType(data);
    const open = [...server.clients].filter((client) => client.readyState === WebSocket.OPEN);
    for (const client of recipients(open, socket)) {
      client.send(data, { binary: isBinary });
    }
  });
  socket.on("error", () => socket.terminate());
});

server.on("error", (error) => fail(error.message));

function reportType(data) {
  let type;
  try {
    type = JSON.parse(data.toString()).type;
  } catch {
    return;
  }
  if (typeof type === "string" && /^[a-z_]{1,32}$/.test(type)) {
    process.stdout.write(`frame ${type}\n`);
  }
}

function stop() {
  for (const client of server.clients) client.terminate();
  server.close();
  process.exit(0);
}

process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.resume();
setTimeout(stop, options.maxSeconds * 1000).unref();
