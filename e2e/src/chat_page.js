// Queries of the chat page's parts, added after page.js for the helpers in chat_page.rs.
// Landmarks are found by role, not by name, so the helpers work in every UI language.

// The sidebar's room buttons: the first button of each item in the navigation landmark.
function roomButtons() {
  const nav = findAllByRole("navigation", "")[0];
  if (!nav) return [];
  return Array.from(nav.querySelectorAll("li"))
    .filter(isExposed)
    .map((item) => Array.from(item.querySelectorAll("button")).find(isExposed))
    .filter(Boolean);
}

// One room button as data: the room's name without its "#", whether it is the current
// room, and its unread badge.
function roomEntry(button) {
  const badge = button.querySelector(".unread");
  const label = Array.from(button.childNodes)
    .filter((node) => node !== badge)
    .map((node) => node.textContent)
    .join("")
    .trim()
    .replace(/^#\s*/, "");
  return {
    name: label,
    current: button.getAttribute("aria-current") === "page",
    unread: badge ? badge.textContent.trim() : null,
    unreadLabel: badge ? badge.getAttribute("aria-label") : null,
  };
}

function roomButton(name) {
  return roomButtons().find((button) => roomEntry(button).name === name) || null;
}

function messageLog() {
  return findAllByRole("log", "")[0] || null;
}

// Where a row is: its message id (from the enclosing slot), text and distance in px from
// the top of the log's visible area.
function rowPlace(row, logTop) {
  const slot = row.closest("[data-id]");
  const text = row.querySelector(".msg-text");
  return {
    id: slot ? slot.getAttribute("data-id") : null,
    text: text ? plainText(text) : plainText(row),
    offset: row.getBoundingClientRect().top - logTop,
  };
}

// The log's scroll geometry and which rows are rendered and visible.
function logView() {
  const log = messageLog();
  if (!log) return null;
  const box = log.getBoundingClientRect();
  const rows = Array.from(log.querySelectorAll("*")).filter((el) => roleOf(el) === "article");
  const visible = rows.filter((row) => {
    const r = row.getBoundingClientRect();
    return r.bottom > box.top + 1 && r.top < box.bottom - 1;
  });
  const place = (row) => (row ? rowPlace(row, box.top) : null);
  return {
    scrollTop: log.scrollTop,
    scrollHeight: log.scrollHeight,
    clientHeight: log.clientHeight,
    rendered: rows.length,
    firstRendered: place(rows[0]),
    lastRendered: place(rows[rows.length - 1]),
    firstVisible: place(visible[0]),
    lastVisible: place(visible[visible.length - 1]),
  };
}

// What has keyboard focus, described the way a screen reader would announce it.
function focusedControl() {
  const el = document.activeElement;
  if (!el || el === document.body) return { role: "", name: "", tag: el ? el.tagName : "", inNavigation: false };
  const nav = findAllByRole("navigation", "")[0];
  return {
    role: roleOf(el) || (el.tagName === "SELECT" ? "combobox" : ""),
    name: accessibleName(el),
    tag: el.tagName,
    inNavigation: Boolean(nav && nav.contains(el)),
  };
}

// The rendered row of message `id`, or null when it is not in the DOM.
function placeOf(id) {
  const log = messageLog();
  if (!log) return null;
  const slot = Array.from(log.querySelectorAll("[data-id]")).find((s) => s.getAttribute("data-id") === id);
  if (!slot) return null;
  const row = Array.from(slot.querySelectorAll("*")).find((el) => roleOf(el) === "article") || slot;
  return rowPlace(row, log.getBoundingClientRect().top);
}

// The anchors in the row whose text is exactly `text`, or null when no row shows it.
function messageLinks(text) {
  const log = messageLog();
  if (!log) return null;
  const row = Array.from(log.querySelectorAll("*"))
    .filter((el) => roleOf(el) === "article")
    .find((el) => {
      const body = el.querySelector(".msg-text");
      return body && plainText(body) === text;
    });
  if (!row) return null;
  return Array.from(row.querySelectorAll("a")).map((a) => ({
    href: a.getAttribute("href"),
    rel: a.getAttribute("rel"),
    target: a.getAttribute("target"),
    text: a.textContent,
  }));
}
