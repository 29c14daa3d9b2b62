// The messages of one room as this page knows them: stored ones (the server's copies) in
// `messageId` order, then the user's pending ones in the order typed. A stored copy replaces
// the pending one with its `clientMessageId`; a message id already known is ignored, so
// nothing shows twice however often a frame or a history page repeats it.
//
// An *epoch* is one continuous history of the room on the server. When the server's history
// no longer contains what the page had (an in-memory emulator restarted), the page starts a
// new epoch: message ids restart there, so ids are only compared within an epoch.

/** What a history page says about the newest message the page already had. */
export const CONTINUOUS = "continuous"; // the page holds it, unchanged: merge
export const GAP = "gap"; // every message of the page is newer: fetch the page before
export const RESET = "reset"; // the server no longer has it: its history restarted

/** Compare `page` (a history frame) with `known`, the newest stored message (or null). */
export function compareHistory(known, page) {
  if (known === null) return CONTINUOUS;
  const messages = page.messages;
  const same = messages.find((m) => m.messageId === known.messageId);
  if (same !== undefined) {
    const unchanged =
      same.sentAt === known.sentAt && same.sender === known.sender && same.text === known.text;
    return unchanged ? CONTINUOUS : RESET;
  }
  if (messages.length > 0 && messages[0].messageId > known.messageId && page.hasMore) return GAP;
  return RESET;
}

function compareKeys(a, b) {
  if (a.epoch !== b.epoch) return a.epoch - b.epoch;
  return a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0;
}

export class Timeline {
  /** @param {string} me the user's name: own messages and pending matches are theirs */
  constructor(me) {
    this.me = me;
    this.epoch = 0;
    /** Older messages exist on the server before the oldest of the current epoch. */
    this.hasMore = false;
    /** The current epoch's history has been fetched at least once. */
    this.synced = false;
    this.stored = []; // sorted by (epoch, messageId)
    this.pending = []; // in the order typed
    this.#keys = new Set();
  }

  #keys;

  /** Every entry in display order. */
  entries() {
    return this.stored.concat(this.pending);
  }

  /** The newest stored message of the current epoch, or null. */
  newest() {
    const last = this.stored.at(-1);
    return last !== undefined && last.epoch === this.epoch ? last : null;
  }

  /** The oldest stored message of the current epoch, or null. */
  oldest() {
    const first = this.stored.find((entry) => entry.epoch === this.epoch);
    return first ?? null;
  }

  /** Older history can be paged in above what is shown. */
  canLoadOlder() {
    const first = this.stored[0];
    return this.hasMore && (first === undefined || first.epoch === this.epoch);
  }

  /** Add a server `message` frame; returns the new entry, or null if it was known. */
  addStored(frame) {
    const key = `${this.epoch}:${frame.messageId}`;
    if (this.#keys.has(key)) return null;
    this.#keys.add(key);
    const own = frame.sender === this.me;
    const entry = {
      key,
      epoch: this.epoch,
      messageId: frame.messageId,
      clientMessageId: frame.clientMessageId ?? null,
      sender: frame.sender,
      text: frame.text,
      sentAt: frame.sentAt,
      own,
      pending: false,
    };
    if (own && entry.clientMessageId !== null) {
      const index = this.pending.findIndex((p) => p.clientMessageId === entry.clientMessageId);
      if (index >= 0) this.pending.splice(index, 1);
    }
    let low = 0;
    let high = this.stored.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (compareKeys(this.stored[middle], entry) < 0) low = middle + 1;
      else high = middle;
    }
    this.stored.splice(low, 0, entry);
    return entry;
  }

  /** Add the user's own message, not yet stored; returns its entry. */
  addPending(text, clientMessageId = newClientMessageId(), createdAt = new Date().toISOString()) {
    const entry = {
      key: `pending:${clientMessageId}`,
      epoch: null,
      messageId: null,
      clientMessageId,
      sender: this.me,
      text,
      sentAt: createdAt,
      own: true,
      pending: true,
      attempts: 0,
      lastAttemptAt: 0,
    };
    this.pending.push(entry);
    return entry;
  }

  /** The server's history restarted: a new epoch, keeping or dropping what is shown. */
  restart({ keepShown }) {
    this.epoch += 1;
    this.hasMore = false;
    this.synced = false;
    if (!keepShown) {
      this.stored = [];
      this.#keys.clear();
    }
  }
}

/** A fresh id for a message (the protocol allows 1 to 64 characters). */
export function newClientMessageId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
