// What survives a reload of the tab (sessionStorage: per tab, gone when it closes): the room the
// user joined, and the messages they typed that the server has not confirmed yet, so that a
// reload neither asks to join again nor loses a message (it is re-sent with its same id).

const SESSION_KEY = "chatserver:session";

function read(key) {
  try {
    const raw = sessionStorage.getItem(key);
    return raw === null ? null : JSON.parse(raw);
  } catch {
    return null;
  }
}

function write(key, value) {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, JSON.stringify(value));
  } catch (error) {
    console.warn("sessionStorage is not available", error);
  }
}

/** The {name, room} this tab joined last, or null. */
export function loadSession() {
  const session = read(SESSION_KEY);
  if (session && typeof session.name === "string" && typeof session.room === "string") {
    return { name: session.name, room: session.room };
  }
  return null;
}

export function saveSession(session) {
  write(SESSION_KEY, session);
}

function pendingKey(name, room) {
  return `chatserver:pending:${room}:${name}`;
}

/** Unconfirmed messages of `name` in `room`: [{clientMessageId, text, createdAt}]. */
export function loadPending(name, room) {
  const pending = read(pendingKey(name, room));
  if (!Array.isArray(pending)) return [];
  return pending.filter(
    (p) => p && typeof p.clientMessageId === "string" && typeof p.text === "string",
  );
}

export function savePending(name, room, entries) {
  const pending = entries.map(({ clientMessageId, text, sentAt }) => ({
    clientMessageId,
    text,
    createdAt: sentAt,
  }));
  write(pendingKey(name, room), pending.length > 0 ? pending : null);
}
