// Injected into every page the benchmark opens, before any of the page's own scripts, so the
// app and the baseline are observed in exactly the same way. Everything is exposed on
// `window.__bench`; times are `performance.now()` of the page unless said otherwise.
//
// - WebSocket is wrapped to note when each socket opened and closed (with its code), how many
//   frames arrived, and when the first frame carrying an armed tag was dispatched to the page.
// - A MutationObserver looks for watched tokens (text between ⟦ and ⟧) in added nodes and
//   changed text; an IntersectionObserver then reports the rendering update in which the
//   element holding the token intersects the viewport: that frame is when it became visible.
// - The same MutationObserver notes when an element with role="status" first says "Connected".
// - PerformanceObservers collect long tasks and paint timings; `TrunkApplicationStarted`
//   hands over the wasm exports (for the size of linear memory).
(() => {
  if (window.__bench) return;
  const now = () => performance.now();
  const TOKEN = /\u27e6([^\u27e7]{1,80})\u27e7/g;

  const bench = {
    sockets: [],
    framesReceived: 0,
    firstFrameTag: null,
    firstFrameAt: null,
    longTasks: [],
    paints: {},
    connectedAt: null,
    wasmStartedAt: null,
    wasmExports: null,
    watched: new Map(),
  };
  window.__bench = bench;

  const NativeWebSocket = window.WebSocket;
  if (NativeWebSocket) {
    class ObservedWebSocket extends NativeWebSocket {
      constructor(...args) {
        super(...args);
        const record = { url: String(args[0]), createdAt: now(), openAt: null, closeAt: null, code: null, frames: 0, closedByPage: null };
        this.benchRecord = record;
        bench.sockets.push(record);
        this.addEventListener("open", () => {
          record.openAt = now();
        });
        this.addEventListener("close", (event) => {
          // Chromium fires a second close event (code 1000) at a socket that is already
          // closed when the page calls close() on it; the first one tells what happened.
          if (record.closeAt !== null) return;
          record.closeAt = now();
          record.code = event.code;
        });
        // Added in the constructor, so it runs before any listener the page adds.
        this.addEventListener("message", (event) => {
          record.frames++;
          bench.framesReceived++;
          if (
            bench.firstFrameAt === null &&
            bench.firstFrameTag !== null &&
            typeof event.data === "string" &&
            event.data.includes(bench.firstFrameTag)
          ) {
            bench.firstFrameAt = now();
          }
        });
      }

      // Notes when the page itself closes the socket, and why, before the close event tells
      // the code of the whole exchange.
      close(...args) {
        // Only a close of a socket that is still open counts: gloo-net also calls close()
        // when it drops a socket the server has already closed.
        if (this.benchRecord.closedByPage === null && this.readyState <= NativeWebSocket.OPEN) {
          this.benchRecord.closedByPage = { at: now(), code: args[0] ?? null, reason: args[1] ?? null };
        }
        return super.close(...args);
      }
    }
    window.WebSocket = ObservedWebSocket;
  }

  const observe = (type, onEntry) => {
    try {
      new PerformanceObserver((list) => list.getEntries().forEach(onEntry)).observe({ type, buffered: true });
    } catch {
      // Entry type not supported here: the figure stays empty.
    }
  };
  observe("longtask", (e) => bench.longTasks.push([e.startTime, e.duration]));
  observe("paint", (e) => {
    bench.paints[e.name] = e.startTime;
  });

  addEventListener("TrunkApplicationStarted", (event) => {
    bench.wasmStartedAt = now();
    bench.wasmExports = (event.detail && event.detail.wasm) || null;
  });

  // Watched tokens: token -> { domAt, visibleAt, waiters }.
  const elementTokens = new Map();
  const visibility = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting || entry.intersectionRatio <= 0) continue;
        const tokens = elementTokens.get(entry.target) || [];
        elementTokens.delete(entry.target);
        visibility.unobserve(entry.target);
        for (const token of tokens) {
          const record = bench.watched.get(token);
          if (record && record.visibleAt === null) {
            record.visibleAt = entry.time;
            for (const resolve of record.waiters) resolve();
            record.waiters = [];
          }
        }
      }
    },
    { threshold: [0, 0.01, 0.5, 1] },
  );

  const scanText = (textNode, at) => {
    const data = textNode.data;
    if (data.indexOf("\u27e6") < 0) return;
    TOKEN.lastIndex = 0;
    let match;
    while ((match = TOKEN.exec(data)) !== null) {
      const record = bench.watched.get(match[1]);
      if (!record || record.visibleAt !== null) continue;
      if (record.domAt === null) record.domAt = at;
      // A row may be replaced before it is ever painted (a re-keyed row, say): the newest
      // element holding the token is watched too.
      const element = textNode.parentElement;
      if (!element) continue;
      const tokens = elementTokens.get(element);
      if (tokens) {
        if (!tokens.includes(match[1])) tokens.push(match[1]);
      } else {
        elementTokens.set(element, [match[1]]);
        visibility.observe(element);
      }
    }
  };

  const scanNode = (node, at) => {
    if (node.nodeType === Node.TEXT_NODE) {
      scanText(node, at);
    } else if (node.nodeType === Node.ELEMENT_NODE || node.nodeType === Node.DOCUMENT_FRAGMENT_NODE) {
      if (node.textContent.indexOf("\u27e6") < 0) return;
      const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
      for (let text = walker.nextNode(); text !== null; text = walker.nextNode()) scanText(text, at);
    }
  };

  const checkConnected = (at) => {
    for (const el of document.querySelectorAll('[role="status"]')) {
      if (el.textContent.includes("Connected")) {
        bench.connectedAt = at;
        return;
      }
    }
  };

  const mutations = new MutationObserver((records) => {
    const at = now();
    if (bench.watched.size > 0) {
      for (const record of records) {
        if (record.type === "characterData") {
          scanText(record.target, at);
        } else {
          for (const node of record.addedNodes) scanNode(node, at);
        }
      }
    }
    if (bench.connectedAt === null) checkConnected(at);
  });
  mutations.observe(document, { childList: true, subtree: true, characterData: true });

  // Starts watching for these tokens (without the brackets).
  bench.watch = (tokens) => {
    for (const token of tokens) {
      if (!bench.watched.has(token)) bench.watched.set(token, { domAt: null, visibleAt: null, waiters: [] });
    }
  };

  // Resolves once `token` is visible, or after `timeoutMs`; tells which.
  bench.whenVisible = (token, timeoutMs) =>
    new Promise((resolve) => {
      const record = bench.watched.get(token);
      if (record.visibleAt !== null) return resolve(true);
      const timer = setTimeout(() => resolve(false), timeoutMs);
      record.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });

  // The first frame whose text contains `tag` will set `firstFrameAt`.
  // Returns the frames received so far.
  bench.armFirstFrame = (tag) => {
    bench.firstFrameTag = tag;
    bench.firstFrameAt = null;
    return bench.framesReceived;
  };

  // Frames received so far, and whether a socket is open now.
  bench.progress = () => ({
    frames: bench.framesReceived,
    open: bench.sockets.some((s) => s.openAt !== null && s.closeAt === null),
    closed: bench.sockets.filter((s) => s.closeAt !== null).length,
  });

  // What became of the watched tokens, as plain data.
  bench.results = (tokens) =>
    tokens.map((token) => {
      const record = bench.watched.get(token);
      return record ? { token, domAt: record.domAt, visibleAt: record.visibleAt } : { token, domAt: null, visibleAt: null };
    });

  // Long tasks that overlap `from..to`: how many, and their summed duration.
  bench.longTasksBetween = (from, to) => {
    let count = 0;
    let total = 0;
    let longest = 0;
    for (const [start, duration] of bench.longTasks) {
      if (start < to && start + duration > from) {
        count++;
        total += duration;
        longest = Math.max(longest, duration);
      }
    }
    return { count, total, longest };
  };

  // Nodes in the document, elements among them, and elements matching `rowSelector`.
  bench.domCounts = (rowSelector) => {
    let nodes = 0;
    const walker = document.createTreeWalker(document, NodeFilter.SHOW_ALL);
    while (walker.nextNode() !== null) nodes++;
    return {
      nodes,
      elements: document.getElementsByTagName("*").length,
      rows: document.querySelectorAll(rowSelector).length,
    };
  };

  // Bytes of the app's wasm linear memory, or null for a page without wasm.
  bench.wasmMemoryBytes = () => {
    const memory = bench.wasmExports && bench.wasmExports.memory;
    return memory ? memory.buffer.byteLength : null;
  };

  // Types `text` into the composer and presses Enter, as the input and keydown events a user
  // causes. Returns the time of the Enter on the shared clock (timeOrigin + now).
  bench.sendThroughUi = (selector, text) => {
    const field = document.querySelector(selector);
    if (!field) throw new Error(`no composer matches ${selector}`);
    field.focus();
    field.value = text;
    field.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertText", data: text }));
    const sentAt = performance.timeOrigin + now();
    const init = { key: "Enter", code: "Enter", keyCode: 13, which: 13, bubbles: true, cancelable: true };
    field.dispatchEvent(new KeyboardEvent("keydown", init));
    field.dispatchEvent(new KeyboardEvent("keyup", init));
    return sentAt;
  };

  // Sends `count` messages through the UI, one every `intervalMs` on a fixed schedule,
  // each text carrying its token `prefix-i`. Resolves with the send times (shared clock).
  bench.sendSeries = (selector, prefix, count, intervalMs) =>
    new Promise((resolve, reject) => {
      const sentAt = [];
      const start = now();
      const next = () => {
        try {
          const i = sentAt.length;
          sentAt.push(bench.sendThroughUi(selector, `\u27e6${prefix}-${i}\u27e7 message ${i} of the latency run`));
          if (sentAt.length === count) return resolve(sentAt);
          setTimeout(next, Math.max(0, start + (i + 1) * intervalMs - now()));
        } catch (err) {
          reject(err);
        }
      };
      next();
    });

  // Milliseconds between this page's wall clock and its shared clock (timeOrigin + now):
  // compared across pages, it tells whether their shared clocks agree.
  bench.clockOffset = () => Date.now() - (performance.timeOrigin + now());
})();
