// The small parts around the message list: the connection status, who is online, and notices.

import { initials, nameHue } from "./format.mjs";

const STATUS_LABELS = {
  connected: "Connected",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

/** The connection indicator: `data-state` is connected, reconnecting or offline. */
export class StatusIndicator {
  #timer = null;

  constructor(element, label, retryButton, onRetry) {
    this.element = element;
    this.label = label;
    this.retryButton = retryButton;
    retryButton.addEventListener("click", onRetry);
  }

  show(state, retryAt = null) {
    clearInterval(this.#timer);
    this.element.dataset.state = state;
    const tick = () => {
      let text = STATUS_LABELS[state] ?? state;
      if (state === "offline" && retryAt !== null) {
        const seconds = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
        text = seconds > 0 ? `Offline · retrying in ${seconds} s` : "Offline · retrying…";
      }
      this.label.textContent = text;
    };
    tick();
    if (state === "offline" && retryAt !== null) this.#timer = setInterval(tick, 1000);
    this.retryButton.hidden = state !== "offline";
  }
}

/** Who is online in the room: one list item per user, the reader first. */
export class PresenceList {
  constructor(list, counters) {
    this.list = list;
    this.counters = counters;
  }

  show(online, me) {
    const names = [...online].sort((a, b) => (a === me ? -1 : b === me ? 1 : a.localeCompare(b)));
    const items = names.map((name) => {
      const item = document.createElement("li");
      item.className = "person";
      item.dataset.user = name;
      const avatar = document.createElement("span");
      avatar.className = "avatar small";
      avatar.setAttribute("aria-hidden", "true");
      avatar.style.setProperty("--hue", String(nameHue(name)));
      avatar.textContent = initials(name);
      const label = document.createElement("span");
      label.className = "person-name";
      label.textContent = name;
      item.append(avatar, label);
      if (name === me) {
        const you = document.createElement("span");
        you.className = "you";
        you.textContent = "(you)";
        item.append(" ", you);
      }
      return item;
    });
    this.list.replaceChildren(...items);
    for (const counter of this.counters) counter.textContent = String(names.length);
  }
}

/** Notices from the server or about the connection: readable, dismissable, fading. */
export class Notices {
  constructor(container) {
    this.container = container;
  }

  show({ level = "info", code, message }, { timeoutMs = 8_000 } = {}) {
    const notice = document.createElement("div");
    notice.className = `notice ${level}`;
    notice.setAttribute("role", level === "error" ? "alert" : "status");
    const text = document.createElement("p");
    text.textContent = message || "Something went wrong.";
    if (code) {
      const detail = document.createElement("span");
      detail.className = "code";
      detail.textContent = ` (${code})`;
      text.append(detail);
    }
    const close = document.createElement("button");
    close.type = "button";
    close.className = "icon-button";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", () => notice.remove());
    notice.append(text, close);
    this.container.append(notice);
    while (this.container.children.length > 4) this.container.firstElementChild.remove();
    if (timeoutMs > 0) setTimeout(() => notice.remove(), timeoutMs);
    return notice;
  }

  clear() {
    this.container.replaceChildren();
  }
}
