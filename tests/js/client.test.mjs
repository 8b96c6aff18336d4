// Unit tests of protocol/js/client.js under Node (no DOM): `node --test tests/js/`.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  Backoff,
  CLOSE,
  Outbox,
  ParoleSocket,
  SeqTracker,
  TypingSender,
  newClientId,
  parseFrame,
  socketUrl,
} from "../../protocol/js/client.js";

// --- client ids -----------------------------------------------------------------------

test("client ids are 24 hex characters, valid for the protocol, and distinct", () => {
  const ids = new Set();
  for (let i = 0; i < 1000; i++) {
    const id = newClientId();
    assert.match(id, /^[A-Za-z0-9_-]{1,64}$/);
    assert.equal(id.length, 24);
    ids.add(id);
  }
  assert.equal(ids.size, 1000);
});

test("client ids come from getRandomValues", () => {
  const fake = { getRandomValues: (bytes) => bytes.fill(171) };
  assert.equal(newClientId(fake), "ab".repeat(12));
});

// --- backoff --------------------------------------------------------------------------

test("backoff doubles its ceiling, stays within [ceiling/2, ceiling], and is capped", () => {
  const low = new Backoff({ base: 100, cap: 1000, random: () => 0 });
  assert.deepEqual(
    Array.from({ length: 7 }, () => low.next()),
    [50, 100, 200, 400, 500, 500, 500],
  );
  const high = new Backoff({ base: 100, cap: 1000, random: () => 1 });
  assert.deepEqual(
    Array.from({ length: 7 }, () => high.next()),
    [100, 200, 400, 800, 1000, 1000, 1000],
  );
});

test("backoff jitter spreads delays and reset starts over", () => {
  const backoff = new Backoff({ base: 1000, cap: 8000 });
  const delays = new Set(Array.from({ length: 50 }, () => {
    backoff.reset();
    return backoff.next();
  }));
  assert.ok(delays.size > 10, "jitter should vary the delay");
  for (const d of delays) assert.ok(d >= 500 && d <= 1000);
  for (let i = 0; i < 100; i++) assert.ok(backoff.next() <= 8000);
});

// --- seq tracking ---------------------------------------------------------------------

test("seq tracker accepts each seq once and drops what was seen", () => {
  const seqs = new SeqTracker();
  assert.equal(seqs.last("c1"), 0);
  assert.equal(seqs.accept("c1", 1), true);
  assert.equal(seqs.accept("c1", 2), true);
  assert.equal(seqs.accept("c1", 2), false);
  assert.equal(seqs.accept("c1", 1), false);
  assert.equal(seqs.accept("c2", 1), true, "conversations are independent");
  assert.equal(seqs.accept("c1", 0), false);
  assert.equal(seqs.accept("c1", "3"), false, "non-integer seqs are refused");
  assert.deepEqual(seqs.toObject(), { c1: 2, c2: 1 });
  seqs.forget("c2");
  assert.deepEqual(seqs.toObject(), { c1: 2 });
  seqs.clear();
  assert.equal(seqs.last("c1"), 0);
});

test("seq tracker starts from known values (a console reconnecting)", () => {
  const seqs = new SeqTracker({ abc: 5 });
  assert.equal(seqs.accept("abc", 5), false);
  assert.equal(seqs.accept("abc", 6), true);
});

// --- outbox ---------------------------------------------------------------------------

test("outbox keeps unacknowledged frames in order until taken", () => {
  const outbox = new Outbox();
  outbox.add({ type: "send", client_id: "a", text: "1" });
  outbox.add({ type: "send", client_id: "b", text: "2" });
  outbox.add({ type: "send", client_id: "c", text: "3" });
  assert.equal(outbox.size, 3);
  assert.deepEqual(outbox.pending().map((f) => f.client_id), ["a", "b", "c"]);
  assert.equal(outbox.take("b").text, "2");
  assert.equal(outbox.take("b"), undefined, "an echo seen twice is harmless");
  assert.deepEqual(outbox.pending().map((f) => f.client_id), ["a", "c"]);
  outbox.drop((f) => f.client_id === "a");
  assert.deepEqual(outbox.pending().map((f) => f.client_id), ["c"]);
  assert.throws(() => outbox.add({ type: "send", text: "x" }), TypeError);
});

// --- typing ---------------------------------------------------------------------------

function typingHarness(canSend = () => true) {
  let clock = 1_000_000;
  let timer = null; // the one pending idle timer: {fn, ms}
  const sent = [];
  const typing = new TypingSender((active) => canSend() && sent.push(active) > 0, {
    refresh: 4000,
    idle: 3000,
    now: () => clock,
    setTimeout: (fn, ms) => (timer = { fn, ms }),
    clearTimeout: (handle) => {
      if (handle === timer) timer = null;
    },
  });
  const advance = (ms) => {
    clock += ms;
    if (timer && ms >= timer.ms) {
      const { fn } = timer;
      timer = null;
      fn();
    }
  };
  return { typing, sent, advance, pendingIdle: () => timer };
}

test("typing goes out at once, is refreshed while typing goes on, and stops after quiet", () => {
  const { typing, sent, advance } = typingHarness();
  typing.update(true);
  assert.deepEqual(sent, [true]);
  advance(1000);
  typing.update(true);
  advance(1000);
  typing.update(true);
  assert.deepEqual(sent, [true], "no refresh before 4 s");
  advance(2500);
  typing.update(true);
  assert.deepEqual(sent, [true, true], "refreshed after 4 s");
  advance(3000);
  assert.deepEqual(sent, [true, true, false], "stopped after 3 s of quiet");
  advance(5000);
  assert.deepEqual(sent, [true, true, false], "stopped once");
});

test("typing stops at once when told, and only if typing went out", () => {
  const { typing, sent, pendingIdle } = typingHarness();
  typing.update(false);
  assert.deepEqual(sent, [], "nothing to stop");
  typing.update(true);
  typing.update(false);
  assert.deepEqual(sent, [true, false]);
  assert.equal(pendingIdle(), null, "the idle timer is cancelled");
  typing.update(true);
  assert.deepEqual(sent, [true, false, true], "a new burst is announced at once");
  typing.reset();
  typing.update(false);
  assert.deepEqual(sent, [true, false, true], "reset forgets without a stop");
});

test("typing not sent (closed socket, conversation over) is tried again and never stopped", () => {
  let open = false;
  const { typing, sent, advance } = typingHarness(() => open);
  typing.update(true);
  advance(3000);
  assert.deepEqual(sent, []);
  open = true;
  typing.update(true);
  assert.deepEqual(sent, [true], "tried again on the next input");
});

test("parseFrame accepts objects with a type only", () => {
  assert.deepEqual(parseFrame('{"type":"welcome","v":1}'), { type: "welcome", v: 1 });
  assert.equal(parseFrame("nope"), null);
  assert.equal(parseFrame("[1]"), null);
  assert.equal(parseFrame('{"v":1}'), null);
  assert.equal(parseFrame("null"), null);
});

test("socketUrl follows the page scheme", () => {
  assert.equal(socketUrl("/ws/visitor", { protocol: "https:", host: "a.fr" }), "wss://a.fr/ws/visitor");
  assert.equal(socketUrl("/ws/console", { protocol: "http:", host: "b:8" }), "ws://b:8/ws/console");
});

// --- the socket, with a fake WebSocket and fake timers ----------------------------------

function harness(options = {}) {
  const sockets = [];
  class FakeWebSocket {
    constructor(url) {
      this.url = url;
      this.sent = [];
      this.closed = null;
      sockets.push(this);
    }
    send(text) {
      this.sent.push(JSON.parse(text));
    }
    close(code) {
      this.closed = code;
    }
    // test helpers
    open() {
      this.onopen?.();
    }
    receive(frame) {
      this.onmessage?.({ data: JSON.stringify(frame) });
    }
    drop(code = 1006) {
      this.onclose?.({ code });
    }
  }
  const timers = [];
  const states = [];
  const frames = [];
  const acks = [];
  const refused = [];
  const services = [];
  let helloCount = 0;
  const socket = new ParoleSocket({
    url: "ws://test/ws/visitor",
    hello: () => ({ type: "hello", versions: [1], n: ++helloCount }),
    onFrame: (f) => frames.push(f),
    onState: (s, d) => states.push([s, d]),
    onAck: (f, e) => acks.push([f.client_id, e.seq]),
    onRefused: (f, e) => refused.push([f.client_id, e.code]),
    onService: (available) => services.push(available),
    WebSocket: FakeWebSocket,
    setTimeout: (fn, ms) => {
      const timer = { fn, ms };
      timers.push(timer);
      return timer;
    },
    clearTimeout: (timer) => {
      const i = timers.indexOf(timer);
      if (i >= 0) timers.splice(i, 1);
    },
    backoff: new Backoff({ base: 100, cap: 1000, random: () => 1 }),
    ...options,
  });
  const runTimers = () => {
    const due = timers.splice(0);
    for (const t of due) t.fn();
    return due.map((t) => t.ms);
  };
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { socket, sockets, timers, runTimers, states, frames, acks, refused, services, settle };
}

test("socket says hello first and flushes the outbox only after welcome", () => {
  const h = harness();
  h.socket.connect();
  const ws = h.sockets[0];
  assert.equal(ws.url, "ws://test/ws/visitor");
  h.socket.sendReliable({ type: "send", client_id: "m1", text: "salut" });
  assert.deepEqual(ws.sent, [], "nothing before the socket opens");
  ws.open();
  assert.deepEqual(ws.sent, [{ type: "hello", versions: [1], n: 1 }]);
  ws.receive({ type: "welcome", v: 1, lang: "fr" });
  assert.deepEqual(ws.sent.map((f) => f.type), ["hello", "send"]);
  assert.equal(h.socket.state, "open");
  assert.equal(h.socket.send({ type: "typing", active: true }), true);
});

test("unacknowledged sends are re-sent after a reconnect, acknowledged ones are not", async () => {
  const h = harness();
  h.socket.connect();
  let ws = h.sockets[0];
  ws.open();
  ws.receive({ type: "welcome", v: 1, lang: "fr" });
  h.socket.sendReliable({ type: "send", client_id: "a", text: "un" });
  h.socket.sendReliable({ type: "send", client_id: "b", text: "deux" });
  ws.receive({ type: "event", conversation: "c", seq: 3, kind: "message", client_id: "a" });
  assert.deepEqual(h.acks, [["a", 3]]);
  ws.drop(1006);
  await h.settle();
  assert.equal(h.socket.state, "waiting");
  assert.equal(h.socket.send({ type: "typing", active: false }), false, "not while down");
  assert.deepEqual(h.runTimers(), [100]);
  ws = h.sockets[1];
  ws.open();
  ws.receive({ type: "welcome", v: 1, lang: "fr" });
  assert.deepEqual(ws.sent, [
    { type: "hello", versions: [1], n: 2 },
    { type: "send", client_id: "b", text: "deux" },
  ]);
  ws.receive({ type: "event", conversation: "c", seq: 4, kind: "message", client_id: "b" });
  assert.equal(h.socket.outbox.size, 0);
});

test("reconnect delays grow and reset after a welcome", async () => {
  const h = harness();
  h.socket.connect();
  const delays = [];
  for (let i = 0; i < 5; i++) {
    h.sockets.at(-1).drop(1006);
    await h.settle();
    delays.push(...h.runTimers());
  }
  assert.deepEqual(delays, [100, 200, 400, 800, 1000]);
  const ws = h.sockets.at(-1);
  ws.open();
  ws.receive({ type: "welcome", v: 1, lang: "fr" });
  ws.drop(4008);
  await h.settle();
  assert.deepEqual(h.runTimers(), [100], "after a welcome, a slow-consumer close reconnects after the base delay");
});

test("a refused send leaves the outbox; rate limiting retries it later", () => {
  const h = harness();
  h.socket.connect();
  const ws = h.sockets[0];
  ws.open();
  ws.receive({ type: "welcome", v: 1, lang: "fr" });
  h.socket.sendReliable({ type: "send", client_id: "x", text: "a" });
  h.socket.sendReliable({ type: "send", client_id: "y", text: "b" });
  ws.receive({ type: "error", code: "not_allowed", message: "Non", ref: "x" });
  assert.deepEqual(h.refused, [["x", "not_allowed"]]);
  assert.equal(h.frames.at(-1).type, "error", "the caller still sees the error");
  ws.receive({ type: "error", code: "rate_limited", message: "Doucement", ref: "y" });
  assert.equal(h.socket.outbox.has("y"), true);
  const before = ws.sent.length;
  h.runTimers();
  assert.equal(ws.sent.length, before + 1);
  assert.equal(ws.sent.at(-1).client_id, "y");
});

test("replaced (4009) and version (4002) closes do not reconnect", async () => {
  for (const [code, state] of [[CLOSE.REPLACED, "replaced"], [CLOSE.VERSION, "stopped"]]) {
    const h = harness();
    h.socket.connect();
    h.sockets[0].open();
    h.sockets[0].drop(code);
    await h.settle();
    assert.equal(h.socket.state, state);
    assert.equal(h.timers.length, 0);
    h.socket.connect(); // taking the session back is explicit
    assert.equal(h.sockets.length, 2);
  }
});

test("onClose may stop reconnecting (a console whose login expired)", async () => {
  const h = harness({ onClose: async () => false });
  h.socket.connect();
  h.sockets[0].drop(1006);
  await h.settle();
  assert.equal(h.socket.state, "stopped");
  assert.equal(h.timers.length, 0);
});

test("stop closes the socket and cancels reconnects; nudge reconnects now", async () => {
  const h = harness();
  h.socket.connect();
  h.sockets[0].drop(1006);
  await h.settle();
  h.socket.nudge();
  assert.equal(h.sockets.length, 2, "nudge connects without waiting for the timer");
  h.socket.stop();
  assert.equal(h.sockets[1].closed, 1000);
  h.sockets[1].drop(1000);
  await h.settle();
  assert.equal(h.sockets.length, 2);
  assert.equal(h.socket.state, "stopped");
});

test("frames from an old socket are ignored", () => {
  const h = harness();
  h.socket.connect();
  const old = h.sockets[0];
  h.socket.stop();
  h.socket.connect();
  old.receive({ type: "welcome", v: 1, lang: "fr" });
  assert.equal(h.frames.length, 0);
});

// --- service outages (`service` frames) -------------------------------------------------

/** A harness whose socket is open (welcome received); returns it with its fake socket. */
function opened(options) {
  const h = harness(options);
  h.socket.connect();
  const ws = h.sockets[0];
  ws.open();
  ws.receive({ type: "welcome", v: 1, lang: "fr" });
  return { ...h, ws };
}

const sends = (ws) => ws.sent.filter((f) => f.type === "send").map((f) => f.client_id);

test("an outage keeps refused sends pending; service back re-sends exactly the pending ones, once", () => {
  const { socket, ws, runTimers, timers, refused, services, acks, frames } = opened();
  socket.sendReliable({ type: "send", client_id: "a", text: "un" });
  socket.sendReliable({ type: "send", client_id: "b", text: "deux" });
  socket.sendReliable({ type: "send", client_id: "c", text: "trois" });
  ws.receive({ type: "event", conversation: "k", seq: 5, kind: "message", author: "visitor", at: 1, client_id: "a" });
  assert.deepEqual(acks, [["a", 5]]);

  ws.receive({ type: "service", available: false });
  assert.equal(socket.available, false);
  assert.deepEqual(services, [false]);
  assert.deepEqual(frames.at(-1), { type: "service", available: false }, "the page sees the frame too");
  // b and c reached the server as it lost its state: both refused as unavailable.
  ws.receive({ type: "error", code: "unavailable", message: "Indisponible", ref: "b" });
  ws.receive({ type: "error", code: "unavailable", message: "Indisponible", ref: "c" });
  assert.deepEqual(refused, [], "not failed");
  assert.deepEqual(socket.outbox.pending().map((f) => f.client_id), ["b", "c"]);
  assert.equal(timers.length, 0, "no blind retry during the outage");
  assert.equal(frames.at(-1).code, "unavailable", "the page still sees the error");

  // Typed during the outage: queued, not sent; other frames are not sent either.
  const before = ws.sent.length;
  socket.sendReliable({ type: "send", client_id: "d", text: "quatre" });
  assert.equal(socket.send({ type: "typing", active: true }), false);
  assert.equal(ws.sent.length, before, "nothing goes out while unavailable");
  ws.receive({ type: "service", available: false });
  assert.deepEqual(services, [false], "told once per change");

  ws.receive({ type: "service", available: true });
  assert.equal(socket.available, true);
  assert.deepEqual(services, [false, true]);
  assert.deepEqual(ws.sent.slice(before), [
    { type: "send", client_id: "b", text: "deux" },
    { type: "send", client_id: "c", text: "trois" },
    { type: "send", client_id: "d", text: "quatre" },
  ], "the pending ones, oldest first, same client_id");
  runTimers();
  ws.receive({ type: "service", available: true });
  assert.deepEqual(sends(ws), ["a", "b", "c", "b", "c", "d"], "each re-sent once");
  assert.deepEqual(services, [false, true]);

  for (const [seq, id] of [[6, "b"], [7, "c"], [8, "d"]]) {
    ws.receive({ type: "event", conversation: "k", seq, kind: "message", author: "visitor", at: 2, client_id: id });
  }
  assert.deepEqual(acks, [["a", 5], ["b", 6], ["c", 7], ["d", 8]]);
  assert.equal(socket.outbox.size, 0, "the echoes cleared them");
  assert.equal(socket.send({ type: "typing", active: false }), true);
});

test("a send stored before the outage is acknowledged by the replay, not re-sent", () => {
  const { socket, ws, acks } = opened();
  socket.sendReliable({ type: "send", client_id: "a", text: "un" });
  socket.sendReliable({ type: "send", client_id: "b", text: "deux" });
  ws.receive({ type: "service", available: false });
  ws.receive({ type: "error", code: "unavailable", message: "Indisponible", ref: "b" });
  // The server re-sends what we missed (a's echo among it), then says it is back.
  ws.receive({ type: "event", conversation: "k", seq: 3, kind: "message", author: "visitor", at: 1, client_id: "a" });
  ws.receive({ type: "service", available: true });
  assert.deepEqual(acks, [["a", 3]]);
  assert.deepEqual(sends(ws), ["a", "b", "b"]);
});

test("during an outage other refusals still fail the message", () => {
  const { socket, ws, refused } = opened();
  socket.sendReliable({ type: "send", client_id: "x", text: "a" });
  ws.receive({ type: "service", available: false });
  ws.receive({ type: "error", code: "not_allowed", message: "Non", ref: "x" });
  assert.deepEqual(refused, [["x", "not_allowed"]]);
  ws.receive({ type: "service", available: true });
  assert.deepEqual(sends(ws), ["x"], "nothing left to re-send");
});

test("unavailable without an outage is retried later, and only once if the service comes back first", () => {
  const { socket, ws, timers, runTimers, refused } = opened();
  socket.sendReliable({ type: "send", client_id: "x", text: "a" });
  ws.receive({ type: "error", code: "unavailable", message: "Indisponible", ref: "x" });
  assert.deepEqual(refused, []);
  assert.deepEqual(timers.map((t) => t.ms), [2000]);
  runTimers();
  assert.deepEqual(sends(ws), ["x", "x"], "an unexpected server error: tried again");

  ws.receive({ type: "error", code: "unavailable", message: "Indisponible", ref: "x" });
  ws.receive({ type: "service", available: false });
  runTimers(); // the retry falls inside the outage: nothing goes out
  assert.deepEqual(sends(ws), ["x", "x"]);
  ws.receive({ type: "error", code: "rate_limited", message: "Doucement", ref: "x" });
  ws.receive({ type: "service", available: true });
  assert.equal(timers.length, 0, "the retry is cancelled: the service's return re-sent it");
  assert.deepEqual(sends(ws), ["x", "x", "x"]);
});

test("a new connection starts over as available and re-sends what is pending", async () => {
  const { socket, ws, sockets, runTimers, services, states, settle } = opened();
  socket.sendReliable({ type: "send", client_id: "p", text: "a" });
  ws.receive({ type: "service", available: false });
  ws.drop(1006);
  await settle();
  assert.equal(socket.available, false, "unknown until the next welcome");
  runTimers();
  const next = sockets[1];
  next.open();
  assert.deepEqual(services, [false]);
  next.receive({ type: "welcome", v: 1, lang: "fr" });
  assert.equal(socket.available, true);
  assert.deepEqual(services, [false, true]);
  assert.equal(states.at(-1)[0], "open");
  assert.deepEqual(next.sent.map((f) => f.type), ["hello", "send"]);
  assert.deepEqual(sends(next), ["p"]);
});

test("a service frame without a boolean is ignored", () => {
  const { socket, ws, services } = opened();
  ws.receive({ type: "service" });
  ws.receive({ type: "service", available: "no" });
  assert.equal(socket.available, true);
  assert.deepEqual(services, []);
});
