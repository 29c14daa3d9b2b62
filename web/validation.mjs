// The protocol's rules for names, rooms and message text (docs/protocol.md), checked before
// anything is sent: a browser only learns that a refused handshake failed, never why, so the
// join form must say why itself.

export const NAME_MAX = 32;
export const ROOM_MAX = 64;
export const TEXT_MAX = 4000;
export const DEFAULT_ROOM = "general";

const NAME_CHARS = /^[\p{L}\p{N}_ .-]+$/u;
const ROOM = /^[A-Za-z0-9_-]+$/;

/** Length in Unicode code points, as the server counts. */
export function codePoints(text) {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** Why `name` would be refused, or null when it is fine. */
export function nameProblem(name) {
  if (name === "") return "Enter a name.";
  if (codePoints(name) > NAME_MAX) return `A name has at most ${NAME_MAX} characters.`;
  if (!NAME_CHARS.test(name)) return "Use only letters, digits, spaces, '-', '_' and '.'.";
  if (name.trim() !== name) return "A name cannot start or end with a space.";
  return null;
}

/** Why `room` would be refused, or null when it is fine. */
export function roomProblem(room) {
  if (room === "") return "Enter a room.";
  if (room.length > ROOM_MAX) return `A room has at most ${ROOM_MAX} characters.`;
  if (!ROOM.test(room)) return "Use only letters A-Z, digits, '-' and '_' (no spaces).";
  return null;
}

/** The text to send for what was typed: outer blank lines and trailing spaces dropped. */
export function messageText(typed) {
  return typed.replace(/^(?:[ \t]*\r?\n)+/, "").trimEnd();
}

/** Why `text` (already passed through messageText) cannot be sent, or null. */
export function textProblem(text) {
  if (text.trim() === "") return "Type a message first.";
  const length = codePoints(text);
  if (length > TEXT_MAX) {
    return `A message has at most ${TEXT_MAX} characters; this one has ${length}.`;
  }
  return null;
}
