// One WebSocket to the chat that comes back by itself: on any drop it reconnects with
// exponential backoff and jitter, and reports its state as `connected`, `reconnecting` or
// `offline` (the browser says it is offline, or several attempts in a row failed; it keeps
// trying, less often). Frames arrive parsed; what to do after a (re)connect is the session's.

export const CONNECTED = "connected";
export const RECONNECTING = "reconnecting";
export const OFFLINE = "offline";

export const DEFAULTS = Object.freeze({
  firstDelayMs: 500,
  maxDelayMs: 10_000,
  offlineAfterFailures: 4,
  // The server closes after 10 idle minutes counted from the client's last frame.
  keepaliveAfterMs: 4 * 60_000,
  // A keepalive that gets no frame back within this is a dead connection.
  deadAfterMs: 15_000,
  // A connection that lasted less than this does not reset the backoff.
  stableAfterMs: 5_000,
});

/** Milliseconds to wait before attempt number `failures` (0 = first retry), with jitter. */
export function backoffDelay(failures, options = DEFAULTS, random = Math.random) {
  const ceiling = Math.min(options.maxDelayMs, options.firstDelayMs * 2 ** failures);
  return Math.round(ceiling * (0.5 + random() / 2));
}

export class ReconnectingSocket extends EventTarget {
  #url;
  #options;
  #socket = null;
  #state = RECONNECTING;
  #failures = 0;
  #retryTimer = null;
  #retryAt = null;
  #openedAt = 0;
  #lastSentAt = 0;
  #probeSentAt = 0;
  #watchdog = null;
  #stopped = false;
  #everOpened = false;

  constructor(url, options = {}) {
    super();
    this.#url = url;
    this.#options = { ...DEFAULTS, ...options };
    this.onOnline = () => (this.isOpen ? this.probe() : this.retryNow());
    // The browser's idea of "offline" can be wrong for the server at hand (a LAN or loopback
    // address): an open connection is only asked whether it still answers.
    this.onOffline = () => (this.isOpen ? this.probe() : this.#setState(OFFLINE, true));
    this.onVisible = () => {
      if (document.visibilityState === "visible") this.retryNow();
    };
  }

  get state() {
    return this.#state;
  }

  /** When the next attempt is due (ms since the epoch), or null. */
  get retryAt() {
    return this.#retryAt;
  }

  get isOpen() {
    return this.#socket !== null && this.#socket.readyState === WebSocket.OPEN;
  }

  start() {
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    document.addEventListener("visibilitychange", this.onVisible);
    this.#watchdog = setInterval(() => this.#checkAlive(), 5_000);
    this.#connect(true);
  }

  /** Close for good (the user left); no reconnect. */
  stop() {
    this.#stopped = true;
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    document.removeEventListener("visibilitychange", this.onVisible);
    clearInterval(this.#watchdog);
    clearTimeout(this.#retryTimer);
    if (this.#socket !== null) this.#socket.close(1000, "left");
    this.#socket = null;
  }

  /** Send `frame` as JSON if the socket is open; false when it is not (nothing is queued). */
  send(frame) {
    if (!this.isOpen) return false;
    this.#socket.send(JSON.stringify(frame));
    this.#lastSentAt = Date.now();
    return true;
  }

  /** Drop the current connection and open a new one (the server forgot this one). */
  reconnect() {
    if (this.#stopped || this.#socket === null) return;
    const socket = this.#socket;
    socket.close(4001, "reconnecting");
    this.#closed(socket, { code: 4001, reason: "reconnecting" });
  }

  /** Skip the backoff wait: try now, if not connected or already trying. */
  retryNow() {
    if (this.#stopped || this.#socket !== null) return;
    clearTimeout(this.#retryTimer);
    this.#connect(navigator.onLine !== false);
  }

  /** Open a socket; `announce` shows `reconnecting` even after the state turned `offline`. */
  #connect(announce = false) {
    this.#retryTimer = null;
    this.#retryAt = null;
    if (this.#state !== OFFLINE || announce) this.#setState(RECONNECTING, true);
    let socket;
    try {
      socket = new WebSocket(this.#url);
    } catch (error) {
      console.error("cannot open the WebSocket", error);
      this.#scheduleRetry();
      return;
    }
    this.#socket = socket;
    socket.addEventListener("open", () => this.#opened(socket));
    socket.addEventListener("message", (event) => this.#received(socket, event));
    socket.addEventListener("close", (event) => this.#closed(socket, event));
  }

  #opened(socket) {
    if (socket !== this.#socket) return;
    const reconnect = this.#everOpened;
    this.#everOpened = true;
    this.#openedAt = Date.now();
    this.#lastSentAt = this.#openedAt;
    this.#probeSentAt = 0;
    this.#setState(CONNECTED);
    this.dispatchEvent(new CustomEvent("open", { detail: { reconnect } }));
  }

  #received(socket, event) {
    if (socket !== this.#socket) return;
    this.#probeSentAt = 0;
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      console.warn("ignored a frame that is not JSON", event.data);
      return;
    }
    if (frame !== null && typeof frame === "object") {
      this.dispatchEvent(new CustomEvent("frame", { detail: frame }));
    }
  }

  #closed(socket, event) {
    if (socket !== this.#socket) return;
    this.#socket = null;
    const lasted = this.#openedAt ? Date.now() - this.#openedAt : 0;
    if (this.#openedAt && lasted >= this.#options.stableAfterMs) this.#failures = 0;
    this.#openedAt = 0;
    this.dispatchEvent(
      new CustomEvent("close", { detail: { code: event.code, reason: event.reason } }),
    );
    if (!this.#stopped) this.#scheduleRetry();
  }

  #scheduleRetry() {
    const delay = backoffDelay(this.#failures, this.#options);
    this.#failures += 1;
    const offline =
      navigator.onLine === false || this.#failures >= this.#options.offlineAfterFailures;
    this.#retryAt = Date.now() + delay;
    this.#setState(offline ? OFFLINE : RECONNECTING, true);
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  /** Keep an idle connection alive, and drop one whose probe got no answer. */
  #checkAlive() {
    if (!this.isOpen) return;
    const now = Date.now();
    if (this.#probeSentAt && now - this.#probeSentAt > this.#options.deadAfterMs) {
      console.warn("the connection stopped answering; reconnecting");
      const socket = this.#socket;
      socket.close(4000, "no answer");
      this.#closed(socket, { code: 1006, reason: "no answer" });
      return;
    }
    if (now - this.#lastSentAt > this.#options.keepaliveAfterMs) this.probe();
  }

  /** Ask the server something (`whoami`): no frame back within `deadAfterMs` means dead. */
  probe() {
    if (this.#probeSentAt === 0 && this.send({ action: "whoami" })) {
      this.#probeSentAt = Date.now();
    }
  }

  #setState(state, force = false) {
    if (state === this.#state && !force) return;
    this.#state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, retryAt: this.#retryAt } }));
  }
}
