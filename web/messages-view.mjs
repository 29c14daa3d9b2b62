// The message list: one element per message in timeline order, with day separators, a
// divider where the server's history restarted, and consecutive messages of one sender
// grouped. Elements are kept and moved, never rebuilt, so a pending message turns into its
// stored copy in place. Scrolling: the newest stays in view while the reader is at the bottom;
// otherwise the first visible message stays exactly where it was (older history inserted above
// causes no jump) and a "new messages" button counts what arrived below.

import {
  appendText,
  dayKey,
  dayLabel,
  fullTimeLabel,
  initials,
  nameHue,
  timeLabel,
} from "./format.mjs";

const GROUP_WITHIN_MS = 5 * 60_000;
const BOTTOM_SLACK_PX = 48;
const LOAD_OLDER_WITHIN_PX = 400;

export class MessageList {
  #nodes = new Map(); // entry key -> element
  #pendingNodes = new Map(); // clientMessageId -> element of an own message
  #separators = new Map(); // separator key -> element
  #signatures = new WeakMap(); // element -> what it was last rendered from
  #stuck = true;
  #unread = 0;
  #rendered = false;

  /**
   * @param {object} parts scroller (scrolls), list (the log), edge (top notice),
   *   empty (empty state), jump (new-messages button), jumpCount (its counter)
   * @param {object} handlers onNearTop() to page older messages in, onRetry(clientMessageId)
   */
  constructor(parts, handlers) {
    Object.assign(this, parts);
    this.handlers = handlers;
    this.scroller.addEventListener("scroll", () => this.#scrolled(), { passive: true });
    this.jump.addEventListener("click", () => this.scrollToBottom(true));
    new ResizeObserver(() => {
      if (this.#stuck) this.scrollToBottom();
    }).observe(this.scroller);
  }

  /** Forget every element: a new session starts with an empty list. */
  reset() {
    this.#nodes.clear();
    this.#pendingNodes.clear();
    this.#separators.clear();
    this.list.replaceChildren();
    this.#rendered = false;
    this.#stuck = true;
    this.#setUnread(0);
  }

  get unread() {
    return this.#unread;
  }

  /** Bring the list in line with `session.timeline`; `reason` says why (see session.mjs). */
  render(session, reason) {
    const timeline = session.timeline;
    const entries = timeline.entries();
    const atBottom = this.#isAtBottom();
    const anchor = atBottom ? null : this.#visibleAnchor();
    const before = new Set(this.#nodes.keys());

    const desired = [];
    let previous = null;
    let appendedFromOthers = 0;
    for (const entry of entries) {
      const date = new Date(entry.sentAt);
      const previousDate = previous === null ? null : new Date(previous.sentAt);
      const newEpoch =
        previous !== null &&
        previous.epoch !== null &&
        entry.epoch !== null &&
        previous.epoch !== entry.epoch;
      const newDay = previous === null || dayKey(previousDate) !== dayKey(date) || newEpoch;
      if (newEpoch) {
        const label = "The server's history restarted here";
        desired.push(this.#separator(`epoch:${entry.epoch}`, "epoch-divider", label));
      }
      if (newDay) {
        const key = `day:${entry.epoch}:${dayKey(date)}`;
        desired.push(this.#separator(key, "day-separator", dayLabel(date)));
      }
      const continued =
        !newDay &&
        previous.sender === entry.sender &&
        date - previousDate < GROUP_WITHIN_MS;
      const node = this.#nodeFor(entry);
      this.#update(node, entry, date, continued);
      if (!before.has(entry.key) && !entry.own && reason === "message") appendedFromOthers += 1;
      before.delete(entry.key);
      desired.push(node);
      previous = entry;
    }
    for (const gone of before) this.#nodes.delete(gone);

    let cursor = this.list.firstChild;
    for (const node of desired) {
      if (node === cursor) {
        cursor = cursor.nextSibling;
      } else {
        this.list.insertBefore(node, cursor);
      }
    }
    while (cursor !== null) {
      const next = cursor.nextSibling;
      cursor.remove();
      cursor = next;
    }

    this.#renderEdge(session, entries.length);
    if (!this.#rendered || reason === "sent" || reason === "restore" || atBottom) {
      this.scrollToBottom();
    } else if (anchor !== null) {
      this.scroller.scrollTop += anchor.node.getBoundingClientRect().top - anchor.top;
      if (appendedFromOthers > 0) this.#setUnread(this.#unread + appendedFromOthers);
    }
    this.#rendered = entries.length > 0 || timeline.synced;
    this.#maybeLoadOlder(session);
  }

  /** Show the newest message (smoothly when the reader asked for it). */
  scrollToBottom(smooth = false) {
    const behavior = smooth ? "smooth" : "instant";
    this.scroller.scrollTo({ top: this.scroller.scrollHeight, behavior });
    this.#stuck = true;
    this.#setUnread(0);
  }

  #scrolled() {
    this.#stuck = this.#isAtBottom();
    if (this.#stuck) this.#setUnread(0);
    if (this.scroller.scrollTop < LOAD_OLDER_WITHIN_PX) this.handlers.onNearTop();
  }

  #maybeLoadOlder(session) {
    if (session.timeline.canLoadOlder() && this.scroller.scrollTop < LOAD_OLDER_WITHIN_PX) {
      queueMicrotask(() => this.handlers.onNearTop());
    }
  }

  #isAtBottom() {
    const { scrollHeight, scrollTop, clientHeight } = this.scroller;
    return scrollHeight - scrollTop - clientHeight < BOTTOM_SLACK_PX;
  }

  /** The first message in view and its position, to keep it still across a render.
   *  (Separators are no anchors: a day's separator moves up when older messages of that day
   *  come in.) */
  #visibleAnchor() {
    const top = this.scroller.getBoundingClientRect().top;
    for (const node of this.list.querySelectorAll(".message")) {
      const box = node.getBoundingClientRect();
      if (box.bottom > top) return { node, top: box.top };
    }
    return null;
  }

  #setUnread(count) {
    this.#unread = count;
    this.jump.hidden = count === 0;
    this.jumpCount.textContent = count === 1 ? "1 new message" : `${count} new messages`;
  }

  #renderEdge(session, count) {
    const timeline = session.timeline;
    this.empty.hidden = count > 0 || !timeline.synced;
    if (!timeline.synced && count === 0) {
      this.edge.textContent = "Loading messages…";
    } else if (timeline.canLoadOlder()) {
      this.edge.textContent = session.loadingOlder
        ? "Loading earlier messages…"
        : "Scroll up for earlier messages";
    } else {
      this.edge.textContent = count > 0 ? `This is the beginning of #${session.room}.` : "";
    }
    this.list.setAttribute("aria-busy", String(session.loadingOlder || !timeline.synced));
  }

  #separator(key, className, label) {
    let node = this.#separators.get(key);
    if (node === undefined) {
      node = document.createElement("div");
      node.className = className;
      node.setAttribute("role", "separator");
      const text = document.createElement("span");
      node.append(text);
      this.#separators.set(key, node);
    }
    if (node.firstChild.textContent !== label) {
      node.setAttribute("aria-label", label);
      node.firstChild.textContent = label;
    }
    return node;
  }

  #nodeFor(entry) {
    let node = this.#nodes.get(entry.key);
    if (node === undefined && entry.own && entry.clientMessageId !== null) {
      node = this.#pendingNodes.get(entry.clientMessageId);
    }
    if (node === undefined) node = this.#create(entry);
    this.#nodes.set(entry.key, node);
    if (entry.pending) this.#pendingNodes.set(entry.clientMessageId, node);
    else if (entry.clientMessageId !== null) this.#pendingNodes.delete(entry.clientMessageId);
    return node;
  }

  #create(entry) {
    const node = document.createElement("article");
    node.className = "message";
    node.dataset.sender = entry.sender;
    if (entry.own) node.classList.add("own");

    const avatar = document.createElement("div");
    avatar.className = "avatar";
    avatar.setAttribute("aria-hidden", "true");
    avatar.style.setProperty("--hue", String(nameHue(entry.sender)));
    avatar.textContent = initials(entry.sender);

    const body = document.createElement("div");
    body.className = "bubble";
    const meta = document.createElement("div");
    meta.className = "meta";
    const sender = document.createElement("span");
    sender.className = "sender";
    sender.dataset.testid = "message-sender";
    sender.textContent = entry.own ? "You" : entry.sender;
    const time = document.createElement("time");
    meta.append(sender, " ", time);
    const text = document.createElement("div");
    text.className = "text";
    text.dataset.testid = "message-text";
    appendText(text, entry.text);
    const state = document.createElement("div");
    state.className = "delivery";
    body.append(meta, text, state);
    node.append(avatar, body);
    return node;
  }

  #update(node, entry, date, continued) {
    // Most renders change nothing in most elements: touch only those that changed.
    const signature = [entry.key, entry.pending, entry.failed, continued].join("|");
    if (this.#signatures.get(node) === signature) return;
    this.#signatures.set(node, signature);
    node.classList.toggle("continued", continued);
    node.classList.toggle("pending", entry.pending);
    node.classList.toggle("failed", Boolean(entry.failed));
    node.dataset.state = entry.pending ? (entry.failed ? "failed" : "pending") : "stored";
    if (entry.messageId === null) delete node.dataset.messageId;
    else node.dataset.messageId = entry.messageId;
    if (entry.clientMessageId === null) delete node.dataset.clientMessageId;
    else node.dataset.clientMessageId = entry.clientMessageId;
    if (entry.epoch === null) delete node.dataset.epoch;
    else node.dataset.epoch = String(entry.epoch);

    const time = node.querySelector("time");
    if (time.dateTime !== entry.sentAt) {
      time.dateTime = entry.sentAt;
      time.textContent = timeLabel(date);
      time.title = fullTimeLabel(date);
    }
    // A grouped message shows no time of its own; hovering it tells.
    node.querySelector(".bubble").title = continued ? fullTimeLabel(date) : "";
    const delivery = node.querySelector(".delivery");
    delivery.replaceChildren();
    if (entry.pending && entry.failed) {
      delivery.append("Not delivered. ");
      const retry = document.createElement("button");
      retry.type = "button";
      retry.className = "link-button";
      retry.textContent = "Try again";
      retry.addEventListener("click", () => this.handlers.onRetry(entry.clientMessageId));
      delivery.append(retry);
    } else if (entry.pending) {
      delivery.textContent = "Sending…";
    }
  }
}
