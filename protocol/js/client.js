// Parole's websocket client, shared by the visitor widget and the counsellor console.
//
// The pure parts (client ids, backoff, seq tracking, the outbox of unacknowledged
// sends, when to send `typing`) need no DOM and are unit-tested under Node
// (tests/js/). ParoleSocket ties them to a WebSocket: it says `hello` on every
// (re)connect, re-sends what was not acknowledged, and reconnects with capped,
// jittered exponential backoff. While the server says its service is unavailable
// (a `service` frame), it holds what the page sends and re-sends it once the
// service is back.

export const PROTOCOL_VERSIONS = [1];

/** Close codes the server uses (see protocol/messages.py `Close`). */
export const CLOSE = Object.freeze({
  POLICY: 1008,
  TOO_BIG: 1009,
  VERSION: 4002,
  SLOW: 4008,
  REPLACED: 4009,
});

/** A random id for `client_id` fields: 24 hex characters (96 bits). */
export function newClientId(random = globalThis.crypto) {
  const bytes = new Uint8Array(12);
  random.getRandomValues(bytes);
  let id = "";
  for (const b of bytes) id += b.toString(16).padStart(2, "0");
  return id;
}

/**
 * Exponential backoff with "equal jitter": the n-th delay lies in
 * [d/2, d) where d = min(cap, base * 2^n). Never zero, never above cap.
 */
export class Backoff {
  constructor({ base = 500, cap = 30000, random = Math.random } = {}) {
    this.base = base;
    this.cap = cap;
    this.random = random;
    this.attempt = 0;
  }

  /** The next delay in ms; each call doubles the ceiling until the cap. */
  next() {
    const ceiling = Math.min(this.cap, this.base * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  reset() {
    this.attempt = 0;
  }
}

/**
 * The last event seq shown per conversation. Events are numbered 1, 2, 3...
 * per conversation; `accept` says whether one is new (and records it).
 */
export class SeqTracker {
  constructor(initial = {}) {
    this.seqs = new Map(Object.entries(initial));
  }

  last(conversation) {
    return this.seqs.get(conversation) ?? 0;
  }

  /** True the first time a seq above the last one is seen; false for a repeat. */
  accept(conversation, seq) {
    if (!Number.isInteger(seq) || seq <= this.last(conversation)) return false;
    this.seqs.set(conversation, seq);
    return true;
  }

  forget(conversation) {
    this.seqs.delete(conversation);
  }

  clear() {
    this.seqs.clear();
  }

  /** `{conversation: lastSeq}`, as the console's `hello.last_seq` wants it. */
  toObject() {
    return Object.fromEntries(this.seqs);
  }
}

/**
 * Frames sent but not yet acknowledged, keyed by `client_id`, in sending order.
 * The server echoes every accepted send back as an `event` carrying the same
 * `client_id`; until then the frame is re-sent after each reconnect (the server
 * never stores a client_id twice, so a retry cannot duplicate a message).
 */
export class Outbox {
  constructor() {
    this.frames = new Map();
  }

  /** Remember a frame; it must carry a `client_id`. */
  add(frame) {
    if (!frame || typeof frame.client_id !== "string" || !frame.client_id) {
      throw new TypeError("an outbox frame needs a client_id");
    }
    this.frames.set(frame.client_id, frame);
    return frame;
  }

  has(clientId) {
    return this.frames.has(clientId);
  }

  /** The frame acknowledged by an echo (or refused by an error), removed; or undefined. */
  take(clientId) {
    const frame = this.frames.get(clientId);
    this.frames.delete(clientId);
    return frame;
  }

  /** Frames still waiting for their echo, oldest first. */
  pending() {
    return [...this.frames.values()];
  }

  /** Drop frames matching a predicate (e.g. those of an ended conversation). */
  drop(predicate = () => true) {
    for (const [id, frame] of this.frames) if (predicate(frame)) this.frames.delete(id);
  }

  get size() {
    return this.frames.size;
  }
}

/**
 * When to send `typing` frames while someone types. `update(true)` on each input
 * with text: "typing" goes out at once, then again at most every `refresh` ms while
 * the typing goes on; "stopped" goes out after `idle` ms of quiet, or at
 * `update(false)` (box emptied, message sent), and only if "typing" went out.
 * `send(active)` sends the frame and says whether it went (false: not now).
 */
export class TypingSender {
  constructor(send, options = {}) {
    this.send = send;
    this.refresh = options.refresh ?? 4000;
    this.idle = options.idle ?? 3000;
    this.now = options.now ?? Date.now;
    this.setTimeout = options.setTimeout ?? globalThis.setTimeout.bind(globalThis);
    this.clearTimeout = options.clearTimeout ?? globalThis.clearTimeout.bind(globalThis);
    this.sent = 0; // when "typing" last went out; 0 once "stopped" was sent
    this.timer = null;
  }

  update(active) {
    if (active) {
      this.clearTimeout(this.timer);
      this.timer = this.setTimeout(() => this.update(false), this.idle);
      if (this.sent && this.now() - this.sent < this.refresh) return;
      if (this.send(true)) this.sent = this.now();
    } else if (this.sent) {
      this.reset();
      this.send(false);
    }
  }

  /** Forget any "typing" sent, without saying "stopped" (a new session). */
  reset() {
    this.clearTimeout(this.timer);
    this.timer = null;
    this.sent = 0;
  }
}

/** Parse a server frame: an object with a string `type`, or null. */
export function parseFrame(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) return null;
  return typeof value.type === "string" ? value : null;
}

/** `ws:`/`wss:` URL for a path on the page's own origin. */
export function socketUrl(path, location = globalThis.location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

/**
 * A websocket that reconnects by itself.
 *
 * Options:
 * - `url`: the websocket URL;
 * - `hello()`: returns the `hello` frame to send on each connection (so the
 *   caller adds the resume token and last seqs it knows at that moment);
 * - `onFrame(frame)`: every parsed server frame, after the outbox is updated;
 * - `onState(state, detail)`: "connecting", "open" (after `welcome`), "waiting"
 *   (a reconnect is scheduled; detail = delay ms), "replaced" (4009), "stopped"
 *   (4002, or `stop()`), with `detail` the close code where there is one;
 * - `onAck(frame, event)` / `onRefused(frame, error)`: an outbox frame was echoed
 *   or refused by an `error` whose `ref` names it (`unavailable` and `rate_limited`
 *   do not refuse it: the frame stays pending and goes out again later);
 * - `onService(available)`: the server lost (false) or regained (true) its shared
 *   state (a `service` frame), or a new connection starts over as available (true);
 *   called on changes only, before `onFrame`. While unavailable, `send()` sends
 *   nothing and returns false, and `sendReliable()` only queues: the server would
 *   refuse every frame. Once available again, every pending frame is re-sent (same
 *   `client_id`: the server stores it once);
 * - `onClose(code)`: before a reconnect is scheduled; may return a promise
 *   resolving to false to stop instead (e.g. the console's login expired);
 * - `WebSocket`, `setTimeout`, `clearTimeout`, `backoff`: injectable for tests.
 */
export class ParoleSocket {
  constructor(options) {
    this.url = options.url;
    this.hello = options.hello;
    this.onFrame = options.onFrame ?? (() => {});
    this.onState = options.onState ?? (() => {});
    this.onAck = options.onAck ?? (() => {});
    this.onRefused = options.onRefused ?? (() => {});
    this.onService = options.onService ?? (() => {});
    this.onClose = options.onClose ?? (() => true);
    this.WebSocket = options.WebSocket ?? globalThis.WebSocket;
    this.setTimeout = options.setTimeout ?? globalThis.setTimeout.bind(globalThis);
    this.clearTimeout = options.clearTimeout ?? globalThis.clearTimeout.bind(globalThis);
    this.backoff = options.backoff ?? new Backoff();
    this.retryLimited = options.retryLimited ?? 2000;
    this.outbox = new Outbox();
    this.retries = new Map(); // client_id -> timer of a retry after rate_limited/unavailable
    this.available = true; // false between `service` unavailable and available
    this.ws = null;
    this.ready = false;
    this.stopped = true;
    this.timer = null;
    this.state = "idle";
  }

  _setState(state, detail) {
    this.state = state;
    this.onState(state, detail);
  }

  /** Connect now (cancelling a scheduled retry). Also used to take a session back. */
  connect() {
    this.stopped = false;
    if (this.timer !== null) {
      this.clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.ws) return;
    this.ready = false;
    this._setState("connecting");
    let ws;
    try {
      ws = new this.WebSocket(this.url);
    } catch {
      this._scheduleReconnect(1006);
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws === ws) ws.send(JSON.stringify(this.hello()));
    };
    ws.onmessage = (message) => {
      if (this.ws === ws) this._receive(message.data);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.ready = false;
      this._closed(event.code);
    };
    ws.onerror = () => {}; // a close event always follows
  }

  /** If a reconnect is scheduled, do it now (e.g. the browser came back online). */
  nudge() {
    if (!this.stopped && this.timer !== null) this.connect();
  }

  /** Close for good; no reconnect. */
  stop() {
    this.stopped = true;
    if (this.timer !== null) this.clearTimeout(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    this.ready = false;
    if (ws) ws.close(1000);
    this._setState("stopped");
  }

  /** Send a frame now if the connection is ready and the service available; returns whether it was sent. */
  send(frame) {
    if (!this.ready || !this.ws || !this.available) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Send a frame with a `client_id` until its echo arrives, across reconnects and outages. */
  sendReliable(frame) {
    this.outbox.add(frame);
    this.send(frame);
    return frame;
  }

  /** Re-send every pending frame, oldest first; retries already scheduled are no longer needed. */
  _flush() {
    for (const timer of this.retries.values()) this.clearTimeout(timer);
    this.retries.clear();
    for (const pending of this.outbox.pending()) this.send(pending);
  }

  /** Try one pending frame again later (it was refused as rate limited, or unavailable). */
  _retryLater(ref) {
    if (this.retries.has(ref)) this.clearTimeout(this.retries.get(ref));
    this.retries.set(
      ref,
      this.setTimeout(() => {
        this.retries.delete(ref);
        const again = this.outbox.frames.get(ref);
        if (again) this.send(again); // sends nothing while the service is unavailable
      }, this.retryLimited),
    );
  }

  _forgetRetry(ref) {
    if (!this.retries.has(ref)) return;
    this.clearTimeout(this.retries.get(ref));
    this.retries.delete(ref);
  }

  _receive(data) {
    const frame = parseFrame(data);
    if (frame === null) return;
    if (frame.type === "welcome") {
      this.ready = true;
      this.backoff.reset();
      // A new connection starts over: an outage seen on the old one is not assumed.
      const back = !this.available;
      this.available = true;
      this._setState("open");
      if (back) this.onService(true);
      this.onFrame(frame);
      this._flush();
      return;
    }
    if (frame.type === "service" && typeof frame.available === "boolean") {
      if (frame.available !== this.available) {
        this.available = frame.available;
        // Back: the server has re-sent what we missed (echoes included), so what is
        // still pending was never stored; send it again.
        if (frame.available) this._flush();
        this.onService(frame.available);
      }
    } else if (frame.type === "event" && frame.client_id && this.outbox.has(frame.client_id)) {
      this._forgetRetry(frame.client_id);
      this.onAck(this.outbox.take(frame.client_id), frame);
    } else if (frame.type === "error" && frame.ref && this.outbox.has(frame.ref)) {
      if (frame.code === "unavailable" && !this.available) {
        // Refused during an outage: kept pending, re-sent once `service` says it is back.
      } else if (frame.code === "rate_limited" || frame.code === "unavailable") {
        this._retryLater(frame.ref);
      } else {
        this._forgetRetry(frame.ref);
        this.onRefused(this.outbox.take(frame.ref), frame);
      }
    }
    this.onFrame(frame);
  }

  async _closed(code) {
    if (this.stopped) return;
    if (code === CLOSE.REPLACED) {
      this.stopped = true;
      this._setState("replaced", code);
      return;
    }
    if (code === CLOSE.VERSION) {
      this.stopped = true;
      this._setState("stopped", code);
      return;
    }
    let goOn = true;
    try {
      goOn = (await this.onClose(code)) !== false;
    } catch {
      goOn = true;
    }
    if (!goOn) {
      this.stopped = true;
      this._setState("stopped", code);
      return;
    }
    if (!this.stopped) this._scheduleReconnect(code);
  }

  _scheduleReconnect(code) {
    const delay = this.backoff.next();
    this._setState("waiting", delay);
    this.timer = this.setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }
}
