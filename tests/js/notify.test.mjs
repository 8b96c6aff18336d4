// The console's opt-in alerts: off by default, kept per browser, and what counts as a join.
import assert from "node:assert/strict";
import test from "node:test";

import { Notifier, grown } from "../../console/static/notify.js";

class Memory {
  constructor() {
    this.items = new Map();
  }
  getItem(key) {
    return this.items.get(key) ?? null;
  }
  setItem(key, value) {
    this.items.set(key, String(value));
  }
}

test("a queue grew only where its count went up", () => {
  assert.deepEqual(grown({ emploi: 2, formation: 1 }, { emploi: 3, formation: 0 }), ["emploi"]);
  assert.deepEqual(grown({}, { accueil: 1 }), ["accueil"]);
  assert.deepEqual(grown({ emploi: 1 }, { emploi: 1 }), []);
});

test("alerts are off until turned on, and the choice is kept", async () => {
  const storage = new Memory();
  const first = new Notifier({ storage });
  assert.equal(first.on, false);
  assert.equal(first.ring("x", "t"), false); // nothing rings while off
  // No AudioContext nor Notification in node: sound only, still on.
  assert.equal(await first.set(true), "sound");
  assert.equal(new Notifier({ storage }).on, true);
  assert.equal(await first.set(false), "off");
  assert.equal(new Notifier({ storage }).on, false);
});

test("a storage that refuses leaves alerts off without failing", async () => {
  const broken = { getItem: () => { throw new Error("denied"); }, setItem: () => { throw new Error("denied"); } };
  const notifier = new Notifier({ storage: broken });
  assert.equal(notifier.on, false);
  assert.equal(await notifier.set(true), "sound");
  assert.equal(notifier.on, true);
});
