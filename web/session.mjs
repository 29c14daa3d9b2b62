// The chat protocol for one user in one room (docs/protocol.md, "Reconnecting"):
//
// 1. After every (re)connect the session *syncs*: it asks for the newest history page and
//    pages back until it reaches the newest message it already had, so that nothing sent
//    meanwhile is missed. Message frames arriving during the sync wait until it is done, since
//    they can only be placed once the history is known to be the same one (see timeline.mjs).
// 2. Then it re-sends the pending messages with their same `clientMessageId`: the server
//    stores each once. A retry of a message already stored produces no frame, so the
//    history fetched in step 1 (or a later check) is where such a message is found.
// 3. Pending messages go out one at a time, the next when the server's copy of the previous
//    one arrived: the server handles a connection's frames concurrently, so messages sent back
//    to back could otherwise be stored (and shown) in another order than they were typed.
// 4. A message still unconfirmed a while after it was sent is looked for in the history and
//    sent again; after several tries it is marked as not delivered, for the user to retry.

import { connectUrl } from "./config.mjs";
import { CONNECTED, ReconnectingSocket } from "./connection.mjs";
import { loadPending, savePending } from "./storage.mjs";
import { CONTINUOUS, compareHistory, GAP, RESET, Timeline } from "./timeline.mjs";

export const PAGE_SIZE = 50;
const CATCH_UP_PAGE_SIZE = 100;
const MAX_CATCH_UP_PAGES = 10;
const HISTORY_TIMEOUT_MS = 15_000;
const SYNC_RETRY_MS = 3_000;
const PENDING_CHECK_MS = 10_000;
const MAX_SEND_ATTEMPTS = 5;
const PRESENCE_RECHECK_MS = 1_500;

export class ChatSession extends EventTarget {
  #socket;
  #generation = 0; // counts connections; work of an older one is dropped
  #live = false; // synced: frames are applied as they come
  #buffered = [];
  #historyQueue = [];
  #historyInFlight = null;
  #sweepTimer = null;
  #loadingOlder = false;
  #inFlight = null; // the pending entry sent and not yet confirmed
  #online = new Set();
  #presenceRecheck = null;

  constructor({ websocketUrl, name, room, token = null, socketOptions = {} }) {
    super();
    this.name = name;
    this.room = room;
    this.timeline = new Timeline(name);
    this.online = [];
    this.connectionId = null;
    for (const saved of loadPending(name, room)) {
      this.timeline.addPending(saved.text, saved.clientMessageId, saved.createdAt);
    }
    this.#socket = new ReconnectingSocket(
      connectUrl(websocketUrl, name, room, token),
      socketOptions,
    );
    this.#socket.addEventListener("open", () => this.#opened());
    this.#socket.addEventListener("close", () => this.#closed());
    this.#socket.addEventListener("frame", (event) => this.#frame(event.detail));
    this.#socket.addEventListener("state", (event) => this.#emit("status", event.detail));
  }

  get state() {
    return this.#socket.state;
  }

  get retryAt() {
    return this.#socket.retryAt;
  }

  get loadingOlder() {
    return this.#loadingOlder;
  }

  start() {
    this.#socket.start();
    this.#sweepTimer = setInterval(() => this.#checkPending(), PENDING_CHECK_MS / 2);
    if (this.timeline.pending.length > 0) this.#emit("change", { reason: "restore" });
  }

  /** Leave the room: close for good. Unsent messages stay saved for this tab, and go out if
   *  the user joins the same room under the same name again. */
  leave() {
    clearInterval(this.#sweepTimer);
    clearTimeout(this.#presenceRecheck);
    this.#socket.stop();
    this.#failHistoryRequests(new Error("left"));
  }

  retryNow() {
    this.#socket.retryNow();
  }

  /** Start over with a new connection (after a NotConnected error). */
  reconnect() {
    this.#socket.reconnect();
  }

  /** Show `text` at once as pending, and send it now or as soon as the connection is back. */
  send(text) {
    const entry = this.timeline.addPending(text);
    this.#persistPending();
    this.#sendNext();
    this.#emit("change", { reason: "sent", entry });
    return entry;
  }

  /** Try a message marked as not delivered again. */
  retry(clientMessageId) {
    const entry = this.timeline.pending.find((p) => p.clientMessageId === clientMessageId);
    if (entry === undefined) return;
    entry.failed = false;
    entry.attempts = 0;
    this.#sendNext();
    this.#emit("change", { reason: "retry", entry });
  }

  /** Page in the messages before the oldest one shown; false when there is nothing to do. */
  async loadOlder() {
    if (this.#loadingOlder || !this.#live || !this.timeline.canLoadOlder()) return false;
    const oldest = this.timeline.oldest();
    const epoch = this.timeline.epoch;
    this.#loadingOlder = true;
    this.#emit("loading", { loading: true });
    try {
      const page = await this.#requestHistory(
        oldest === null ? { limit: PAGE_SIZE } : { limit: PAGE_SIZE, before: oldest.messageId },
      );
      if (epoch !== this.timeline.epoch) return false;
      for (const frame of page.messages) this.timeline.addStored(frame);
      this.timeline.hasMore = page.hasMore;
      this.#emit("change", { reason: "older" });
      return true;
    } catch (error) {
      console.warn("older messages could not be loaded", error);
      return false;
    } finally {
      this.#loadingOlder = false;
      this.#emit("loading", { loading: false });
    }
  }

  // -- connection lifecycle -------------------------------------------------------------------

  #opened() {
    this.#generation += 1;
    this.#live = false;
    this.#buffered = [];
    this.#socket.send({ action: "getPresence" });
    this.#socket.send({ action: "whoami" });
    this.#sync(this.#generation);
  }

  #closed() {
    this.#live = false;
    this.#inFlight = null;
    this.#failHistoryRequests(new Error("the connection closed"));
  }

  async #sync(generation) {
    try {
      const known = this.timeline.newest();
      const pages = [await this.#requestHistory({ limit: PAGE_SIZE })];
      let verdict = compareHistory(known, pages[0]);
      while (verdict === GAP && pages.length < MAX_CATCH_UP_PAGES) {
        const before = pages.at(-1).messages[0].messageId;
        pages.push(await this.#requestHistory({ limit: CATCH_UP_PAGE_SIZE, before }));
        verdict = compareHistory(known, pages.at(-1));
      }
      if (generation !== this.#generation) return;
      const olderExist = pages.at(-1).hasMore;
      if (verdict === RESET) {
        // The server lost its history (an in-memory emulator restarted): what is shown stays,
        // above a divider, unless the new history is long enough to be paged in anyway.
        const keepShown = !olderExist;
        this.timeline.restart({ keepShown });
        const shown = keepShown ? " Messages above the divider are no longer stored there." : "";
        this.#emit("notice", { level: "info", message: `The server's history restarted.${shown}` });
      } else if (verdict === GAP) {
        // Too far behind to fill the gap: start again from the newest messages.
        this.timeline.restart({ keepShown: false });
      }
      for (const page of pages) {
        for (const frame of page.messages) this.timeline.addStored(frame);
      }
      if (verdict !== CONTINUOUS || !this.timeline.synced) this.timeline.hasMore = olderExist;
      this.timeline.synced = true;
      this.#live = true;
      const buffered = this.#buffered;
      this.#buffered = [];
      for (const frame of buffered) this.timeline.addStored(frame);
      this.#inFlight = null;
      this.#persistPending();
      this.#emit("change", { reason: verdict === RESET ? "restart" : "sync" });
      this.#sendNext();
    } catch (error) {
      if (generation !== this.#generation || this.#socket.state !== CONNECTED) return;
      console.warn("history could not be loaded; trying again", error);
      setTimeout(() => {
        if (generation === this.#generation && this.#socket.state === CONNECTED) {
          this.#sync(generation);
        }
      }, SYNC_RETRY_MS);
    }
  }

  // -- frames ---------------------------------------------------------------------------------

  #frame(frame) {
    switch (frame.type) {
      case "message":
        if (frame.room !== this.room) return;
        if (!this.#live) {
          this.#buffered.push(frame);
          return;
        }
        this.#message(frame);
        return;
      case "history":
        this.#history(frame);
        return;
      case "presence":
        this.#presence(frame);
        return;
      case "identity":
        this.connectionId = frame.connectionId ?? null;
        this.#emit("identity", { connectionId: this.connectionId });
        return;
      case "error":
        this.#emit("notice", { level: "error", code: frame.code, message: frame.message });
        return;
      default:
        if (frame.type === undefined && typeof frame.message === "string") {
          // API Gateway's own frame when a route's handler failed or timed out.
          this.#emit("notice", { level: "error", message: `The server said: ${frame.message}` });
        }
    }
  }

  /**
   * Who is online. A `getPresence` answer is a snapshot; an announcement (with `user` and
   * `status`) is applied as a change, since its `online` list was taken when the event was
   * published and announcements of different users may arrive in any order. A little after
   * the last announcement the list is asked for again, so that it settles on the server's.
   */
  #presence(frame) {
    const online = Array.isArray(frame.online) ? frame.online : [];
    if (typeof frame.user !== "string") {
      this.#online = new Set(online);
    } else {
      if (frame.status === "online") this.#online.add(frame.user);
      if (frame.status === "offline") this.#online.delete(frame.user);
      clearTimeout(this.#presenceRecheck);
      this.#presenceRecheck = setTimeout(
        () => this.#socket.send({ action: "getPresence" }),
        PRESENCE_RECHECK_MS,
      );
    }
    // Connected, the user is in the room whatever a lagging index says.
    if (this.#socket.isOpen) this.#online.add(this.name);
    this.online = [...this.#online].sort();
    this.#emit("presence", { online: this.online, user: frame.user, status: frame.status });
  }

  #message(frame) {
    const pendingBefore = this.timeline.pending.length;
    const entry = this.timeline.addStored(frame);
    if (entry === null) return;
    if (this.timeline.pending.length !== pendingBefore) this.#persistPending();
    this.#emit("change", { reason: "message", entry });
    this.#sendNext();
  }

  // -- history requests: one at a time, since answers carry nothing to match them by --------

  #requestHistory(request) {
    return new Promise((resolve, reject) => {
      this.#historyQueue.push({ request, resolve, reject });
      this.#nextHistoryRequest();
    });
  }

  #nextHistoryRequest() {
    if (this.#historyInFlight !== null || this.#historyQueue.length === 0) return;
    const next = this.#historyQueue.shift();
    if (!this.#socket.send({ action: "getHistory", ...next.request })) {
      next.reject(new Error("not connected"));
      this.#nextHistoryRequest();
      return;
    }
    next.timer = setTimeout(() => {
      this.#historyInFlight = null;
      next.reject(new Error("no history answer"));
      this.#nextHistoryRequest();
    }, HISTORY_TIMEOUT_MS);
    this.#historyInFlight = next;
  }

  #history(frame) {
    const waiting = this.#historyInFlight;
    if (waiting === null) return;
    this.#historyInFlight = null;
    clearTimeout(waiting.timer);
    waiting.resolve({
      messages: Array.isArray(frame.messages) ? frame.messages : [],
      hasMore: Boolean(frame.hasMore),
    });
    this.#nextHistoryRequest();
  }

  #failHistoryRequests(error) {
    const failed = this.#historyInFlight === null ? [] : [this.#historyInFlight];
    failed.push(...this.#historyQueue);
    this.#historyInFlight = null;
    this.#historyQueue = [];
    for (const waiting of failed) {
      clearTimeout(waiting.timer);
      waiting.reject(error);
    }
  }

  // -- pending messages -----------------------------------------------------------------------

  /** Send the first pending message, unless one is already on its way. */
  #sendNext() {
    if (!this.#live) return;
    if (this.#inFlight !== null && this.timeline.pending.includes(this.#inFlight)) return;
    this.#inFlight = this.timeline.pending.find((p) => !p.failed) ?? null;
    if (this.#inFlight !== null) this.#sendPending(this.#inFlight);
  }

  #sendPending(entry) {
    const sent = this.#socket.send({
      action: "sendMessage",
      text: entry.text,
      clientMessageId: entry.clientMessageId,
    });
    if (sent) {
      entry.attempts += 1;
      entry.lastAttemptAt = Date.now();
    }
  }

  /** A message unconfirmed for a while: look for it in the history, then send it again. */
  async #checkPending() {
    const entry = this.#inFlight;
    if (!this.#live || entry === null || Date.now() - entry.lastAttemptAt < PENDING_CHECK_MS) {
      return;
    }
    const generation = this.#generation;
    try {
      const page = await this.#requestHistory({ limit: PAGE_SIZE });
      if (generation !== this.#generation) return;
      for (const frame of page.messages) this.timeline.addStored(frame);
    } catch {
      return;
    }
    if (this.timeline.pending.includes(entry) && entry === this.#inFlight) {
      if (entry.attempts >= MAX_SEND_ATTEMPTS) {
        entry.failed = true;
        this.#inFlight = null;
      } else {
        this.#sendPending(entry);
      }
    }
    this.#persistPending();
    this.#emit("change", { reason: "check" });
    this.#sendNext();
  }

  #persistPending() {
    savePending(this.name, this.room, this.timeline.pending);
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
