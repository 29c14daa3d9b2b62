// The chat page: the join screen, then the room. Wires the session (protocol, reconnection,
// pending messages) to the views. No framework and no build step: the files in web/ are
// served as they are, by the gateway at / or from an S3 bucket.

import { nameFromToken, resolveWebsocketUrl } from "./config.mjs";
import { MessageList } from "./messages-view.mjs";
import { ChatSession } from "./session.mjs";
import { loadSession, saveSession } from "./storage.mjs";
import { dayKey } from "./format.mjs";
import {
  codePoints,
  DEFAULT_ROOM,
  messageText,
  nameProblem,
  roomProblem,
  TEXT_MAX,
  textProblem,
} from "./validation.mjs";
import { Notices, PresenceList, StatusIndicator } from "./widgets.mjs";

const $ = (id) => document.getElementById(id);

const ERROR_TEXT = {
  InvalidJson: "The server could not read a request",
  UnknownAction: "The server does not know a request",
  InvalidMessage: "The server refused a request",
  NotConnected: "The server lost this connection; reconnecting",
  InternalError: "Something went wrong on the server; try again in a moment",
};

const websocketUrl = resolveWebsocketUrl();
// A server with an authorizer (CHAT_AUTH_SECRET) wants ?token=; the name then is the token's.
const token = new URLSearchParams(window.location.search).get("token");
let session = null;
let unseen = 0;

// -- join screen ------------------------------------------------------------------------------

function prefill() {
  const params = new URLSearchParams(window.location.search);
  const saved = loadSession();
  const name = (token && nameFromToken(token)) ?? params.get("name") ?? saved?.name ?? "";
  const room = params.get("room") ?? saved?.room ?? DEFAULT_ROOM;
  $("name-input").value = name;
  $("room-input").value = room;
  // A reload of a tab that had joined goes straight back to the room.
  if (saved !== null && saved.name === name && saved.room === room) return true;
  if (nameProblem(name) !== null) $("name-input").focus();
  else if (roomProblem(room) !== null) $("room-input").focus();
  else $("join-button").focus();
  return false;
}

function checkField(input, problem, errorElement) {
  const message = problem(input.value);
  errorElement.textContent = message ?? "";
  input.setAttribute("aria-invalid", String(message !== null));
  return message === null;
}

function joinFromForm(event) {
  event.preventDefault();
  const nameOk = checkField($("name-input"), nameProblem, $("name-error"));
  const roomOk = checkField($("room-input"), roomProblem, $("room-error"));
  if (!nameOk) $("name-input").focus();
  else if (!roomOk) $("room-input").focus();
  else join($("name-input").value, $("room-input").value);
}

// -- the room ---------------------------------------------------------------------------------

async function join(name, room) {
  if (session !== null || $("join-button").disabled) return; // a second Enter while joining
  $("join-button").disabled = true;
  const url = await websocketUrl;
  $("join-button").disabled = false;
  saveSession({ name, room });
  const address = new URL(window.location.href);
  address.searchParams.delete("name");
  address.searchParams.set("room", room);
  history.replaceState(null, "", address);

  $("room-name").textContent = room;
  document.title = `#${room} · chatserver`;
  $("join-screen").hidden = true;
  $("chat-screen").hidden = false;
  $("skip-link").hidden = false;
  notices.clear();
  presence.show([], name);

  session = new ChatSession({ websocketUrl: url, name, room, token });
  list.reset();
  session.addEventListener("change", (event) => {
    list.render(session, event.detail.reason);
    if (event.detail.reason === "message" && !event.detail.entry.own) noteUnseen(1);
  });
  session.addEventListener("loading", () => list.render(session, "loading"));
  session.addEventListener("presence", (event) => presence.show(event.detail.online, name));
  session.addEventListener("status", (event) => {
    status.show(event.detail.state, event.detail.retryAt);
    $("chat-screen").dataset.connection = event.detail.state;
  });
  session.addEventListener("identity", (event) => {
    $("connection-status").dataset.connectionId = event.detail.connectionId ?? "";
  });
  session.addEventListener("notice", (event) => showNotice(event.detail));
  list.render(session, "join");
  status.show(session.state);
  session.start();
  $("message-input").focus();
}

function leave() {
  if (session !== null) session.leave();
  session = null;
  status.show("offline");
  $("connection-status").dataset.connectionId = "";
  saveSession(null);
  $("chat-screen").hidden = true;
  $("skip-link").hidden = true;
  $("join-screen").hidden = false;
  list.reset();
  document.title = "chatserver";
  $("join-button").focus();
}

function showNotice({ level, code, message }) {
  const prefix = code ? ERROR_TEXT[code] : undefined;
  const text = prefix ? `${prefix}${message ? `: ${message}` : "."}` : message;
  notices.show({ level, code, message: text });
  if (code === "NotConnected") session?.reconnect();
}

function noteUnseen(count) {
  if (document.visibilityState === "visible") return;
  unseen += count;
  document.title = `(${unseen}) #${session.room} · chatserver`;
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && session !== null) {
    unseen = 0;
    document.title = `#${session.room} · chatserver`;
  }
});

// -- composer ---------------------------------------------------------------------------------

const input = $("message-input");

function updateComposer() {
  const text = messageText(input.value);
  const length = codePoints(text);
  $("send-button").disabled = text.trim() === "";
  const error = length > TEXT_MAX ? textProblem(text) : "";
  $("composer-error").textContent = error;
  input.setAttribute("aria-invalid", String(error !== ""));
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, window.innerHeight * 0.4)}px`;
}

function send(event) {
  event?.preventDefault();
  if (session === null) return;
  const text = messageText(input.value);
  const problem = textProblem(text);
  if (problem !== null) {
    $("composer-error").textContent = problem;
    return;
  }
  session.send(text);
  input.value = "";
  updateComposer();
  input.focus();
}

input.addEventListener("input", updateComposer);
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
    send(event);
  }
});
$("composer").addEventListener("submit", send);

// -- people panel (a sidebar on wide screens, a drop-down on phones) ---------------------------

function showPeople(open) {
  $("people-button").setAttribute("aria-expanded", String(open));
  $("people-panel").classList.toggle("open", open);
}

$("people-button").addEventListener("click", () => {
  showPeople($("people-button").getAttribute("aria-expanded") !== "true");
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && $("people-panel").classList.contains("open")) {
    showPeople(false);
    $("people-button").focus();
  }
});
document.addEventListener("click", (event) => {
  const panel = $("people-panel");
  const inside = panel.contains(event.target) || $("people-button").contains(event.target);
  if (!inside && panel.classList.contains("open")) showPeople(false);
});

// -- start ------------------------------------------------------------------------------------

const notices = new Notices($("notices"));
const list = new MessageList(
  {
    scroller: $("scroller"),
    list: $("messages"),
    edge: $("history-edge"),
    empty: $("empty-state"),
    jump: $("jump-button"),
    jumpCount: $("jump-count"),
  },
  {
    onNearTop: () => session?.loadOlder(),
    onRetry: (clientMessageId) => session?.retry(clientMessageId),
  },
);
const presence = new PresenceList($("presence"), [$("people-count"), $("people-count-chip")]);
const status = new StatusIndicator(
  $("connection-status"),
  $("connection-label"),
  $("retry-button"),
  () => session?.retryNow(),
);

$("join-form").addEventListener("submit", joinFromForm);
$("leave-button").addEventListener("click", leave);
for (const [id, problem, error] of [
  ["name-input", nameProblem, "name-error"],
  ["room-input", roomProblem, "room-error"],
]) {
  $(id).addEventListener("blur", () => {
    if ($(id).value !== "") checkField($(id), problem, $(error));
  });
  // Once a field was marked wrong, it is re-checked as the user types, so the message goes
  // away as soon as it is fixed (and not on blur, which would move the Join button mid-click).
  $(id).addEventListener("input", () => {
    if ($(id).getAttribute("aria-invalid") === "true") checkField($(id), problem, $(error));
  });
}

// Day labels ("Today") go stale at midnight.
let today = dayKey(new Date());
setInterval(() => {
  if (dayKey(new Date()) !== today && session !== null) {
    today = dayKey(new Date());
    list.render(session, "clock");
  }
}, 60_000);

if (prefill()) join($("name-input").value, $("room-input").value);
document.documentElement.dataset.ready = "true";
