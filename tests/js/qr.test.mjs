// The widget's QR encoder (widget/static/qr.js): the data bits as the standard spells
// them, the smallest version that holds a text, and nothing for a text too long.
// tests/unit/test_qr.py checks every module of its symbols against segno's.

import assert from "node:assert/strict";
import { test } from "node:test";

import { encode, qrRows, versionFor } from "../../widget/static/qr.js";

test("byte mode: mode, count, bytes, terminator, then the pad codewords in turn", () => {
  // 0100 | 00000001 | 01100001 | 0000, then 0xEC 0x11 ... up to version 1-M's 16 codewords.
  assert.deepEqual(encode([0x61], 1), [0x40, 0x16, 0x10, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec]);
  // From version 10 on, the count takes 16 bits.
  assert.deepEqual(encode([0x61], 10).slice(0, 4), [0x40, 0x00, 0x16, 0x10]);
  // Full: the terminator is cut short, no pad codeword.
  const full = encode(new Array(14).fill(0xff), 1);
  assert.equal(full.length, 16);
  assert.deepEqual(full.slice(-2), [0xff, 0xf0]);
});

test("the smallest version holding the text, level M; none past version 40", () => {
  assert.deepEqual([14, 15, 26, 27, 213, 2331].map(versionFor), [1, 2, 2, 3, 10, 40]);
  assert.equal(versionFor(2332), 0);
  const rows = qrRows("PAROLE1:" + "A".repeat(300));
  assert.equal(rows.length, versionFor(308) * 4 + 17);
  assert.ok(rows.every((row) => /^[01]+$/.test(row) && row.length === rows.length));
  assert.equal(rows[0].slice(0, 7), "1111111", "a finder pattern in the corner");
  assert.equal(qrRows("é".repeat(1200)), null, "2400 bytes: too long");
});
