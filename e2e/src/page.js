// Page-side queries, prepended to every script the harness runs in the browser.
// Elements are found by ARIA role and accessible name, as assistive technology finds them.

// Implicit roles of the elements a chat page is likely to use; an explicit role wins.
const IMPLICIT_ROLES = {
  ARTICLE: "article",
  BUTTON: "button",
  DIALOG: "dialog",
  FORM: "form",
  H1: "heading",
  H2: "heading",
  H3: "heading",
  LI: "listitem",
  MAIN: "main",
  NAV: "navigation",
  OL: "list",
  OUTPUT: "status",
  TEXTAREA: "textbox",
  UL: "list",
};

function roleOf(el) {
  const explicit = (el.getAttribute("role") || "").trim();
  if (explicit) return explicit.split(/\s+/)[0];
  if (el.tagName === "INPUT") {
    const type = (el.getAttribute("type") || "text").toLowerCase();
    if (type === "button" || type === "submit") return "button";
    if (["text", "search", "email", "url", "tel"].includes(type)) return "textbox";
    return "";
  }
  if (el.tagName === "A" && el.hasAttribute("href")) return "link";
  return IMPLICIT_ROLES[el.tagName] || "";
}

// Roles whose accessible name comes from their content when nothing else names them.
const NAMED_BY_CONTENT = ["button", "link", "heading", "listitem", "tab", "menuitem", "option"];

function accessibleName(el) {
  const label = (el.getAttribute("aria-label") || "").trim();
  if (label) return label;
  const labelledBy = (el.getAttribute("aria-labelledby") || "").trim();
  if (labelledBy) {
    return labelledBy
      .split(/\s+/)
      .map((id) => (document.getElementById(id) || {}).textContent || "")
      .join(" ")
      .trim();
  }
  if (el.labels && el.labels.length > 0) {
    return Array.from(el.labels, (l) => l.textContent).join(" ").trim();
  }
  if (NAMED_BY_CONTENT.includes(roleOf(el))) {
    const content = el.textContent.trim();
    if (content) return content;
  }
  return (el.getAttribute("title") || el.getAttribute("placeholder") || "").trim();
}

// Hidden elements are not part of the accessibility tree, so they never match.
function isExposed(el) {
  return !el.closest("[hidden], [aria-hidden='true'], [inert]");
}

function findAllByRole(role, nameContains) {
  return Array.from(document.querySelectorAll("*")).filter(
    (el) => roleOf(el) === role && isExposed(el) && accessibleName(el).includes(nameContains),
  );
}

function findByRole(role, nameContains) {
  return findAllByRole(role, nameContains)[0] || null;
}

// The text of a node as a reader sees it: a <br> is a line break, whatever the CSS.
function plainText(node) {
  if (node.nodeType === Node.TEXT_NODE) return node.data;
  if (node.nodeName === "BR") return "\n";
  return Array.from(node.childNodes, plainText).join("");
}

function messageRows() {
  const log = findByRole("log", "Messages");
  if (!log) return null;
  const rows = Array.from(log.querySelectorAll("*")).filter((el) => roleOf(el) === "article");
  return rows.map((row) => {
    const from = row.querySelector(".msg-from");
    const text = row.querySelector(".msg-text");
    const badge = row.querySelector(".msg-state");
    const delivery = badge ? badge.getAttribute("aria-label") : null;
    if (from && text) return { from: plainText(from), text: plainText(text), delivery };
    return { from: null, text: plainText(row), delivery };
  });
}

// Lists what is on the page, for failure messages.
function describeLandmarks() {
  return findAllByRole("log", "")
    .concat(findAllByRole("status", ""), findAllByRole("textbox", ""), findAllByRole("button", ""))
    .map((el) => `${roleOf(el)} "${accessibleName(el)}"`)
    .join(", ");
}
