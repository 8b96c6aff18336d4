// A QR code (ISO/IEC 18004), made in the browser: the portfolio's text code must not
// go to the server to be drawn, as a proof of visit's is (by segno). Byte mode, error
// correction level M, the smallest version that holds the text, the mask of lowest
// penalty. Returns rows of "0"/"1" without the quiet zone, as proof.js's qrSvg draws
// them; tests/js/qr.test.mjs checks every module against segno's.

// Per version 1..40, level M: error correction codewords per block, and blocks.
const ECC_PER_BLOCK = [
  10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28,
  28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
];
const BLOCKS = [
  1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35,
  37, 38, 40, 43, 45, 47, 49,
];
const LEVEL_M = 0; // format bits of level M

/** Modules left for data and error correction in `version` (all but the patterns). */
function rawModules(version) {
  let count = (16 * version + 128) * version + 64;
  if (version >= 2) {
    const align = Math.floor(version / 7) + 2;
    count -= (25 * align - 10) * align - 55;
    if (version >= 7) count -= 36;
  }
  return count;
}

function dataCodewords(version) {
  return Math.floor(rawModules(version) / 8) - ECC_PER_BLOCK[version - 1] * BLOCKS[version - 1];
}

/** The smallest version holding `length` bytes in byte mode, or 0 when none does. */
export function versionFor(length) {
  for (let version = 1; version <= 40; version++) {
    const bits = 4 + (version < 10 ? 8 : 16) + 8 * length;
    if (bits <= dataCodewords(version) * 8) return version;
  }
  return 0;
}

// --- Reed-Solomon over GF(256), polynomial 0x11d ------------------------------------------
function multiply(x, y) {
  let z = 0;
  for (let i = 7; i >= 0; i--) {
    z = (z << 1) ^ ((z >>> 7) * 0x11d);
    z ^= ((y >>> i) & 1) * x;
  }
  return z;
}

function divisor(degree) {
  const result = new Array(degree).fill(0);
  result[degree - 1] = 1;
  let root = 1;
  for (let i = 0; i < degree; i++) {
    for (let j = 0; j < degree; j++) {
      result[j] = multiply(result[j], root);
      if (j + 1 < degree) result[j] ^= result[j + 1];
    }
    root = multiply(root, 2);
  }
  return result;
}

function remainder(data, by) {
  const result = by.map(() => 0);
  for (const byte of data) {
    const factor = byte ^ result.shift();
    result.push(0);
    by.forEach((coefficient, i) => (result[i] ^= multiply(coefficient, factor)));
  }
  return result;
}

/** The data codewords split in blocks, each with its error correction, interleaved. */
function codewords(data, version) {
  const blocks = BLOCKS[version - 1];
  const ecc = ECC_PER_BLOCK[version - 1];
  const total = Math.floor(rawModules(version) / 8);
  const short = blocks - (total % blocks);
  const shortLength = Math.floor(total / blocks);
  const by = divisor(ecc);
  const parts = [];
  for (let i = 0, at = 0; i < blocks; i++) {
    const size = shortLength - ecc + (i < short ? 0 : 1);
    const block = data.slice(at, at + size);
    at += size;
    parts.push({ data: block, ecc: remainder(block, by) });
  }
  const result = [];
  for (let i = 0; i <= shortLength - ecc; i++) for (const part of parts) if (i < part.data.length) result.push(part.data[i]);
  for (let i = 0; i < ecc; i++) for (const part of parts) result.push(part.ecc[i]);
  return result;
}

/** Mode, count, bytes, terminator and padding, as codewords. */
export function encode(bytes, version) {
  const bits = [];
  const put = (value, length) => {
    for (let i = length - 1; i >= 0; i--) bits.push((value >>> i) & 1);
  };
  put(0b0100, 4);
  put(bytes.length, version < 10 ? 8 : 16);
  for (const byte of bytes) put(byte, 8);
  const capacity = dataCodewords(version) * 8;
  put(0, Math.min(4, capacity - bits.length));
  put(0, (8 - (bits.length % 8)) % 8);
  for (let pad = 0xec; bits.length < capacity; pad ^= 0xec ^ 0x11) put(pad, 8);
  const result = [];
  for (let i = 0; i < bits.length; i += 8) result.push(parseInt(bits.slice(i, i + 8).join(""), 2));
  return result;
}

// --- the matrix -------------------------------------------------------------------------
function alignmentPositions(version) {
  if (version === 1) return [];
  const count = Math.floor(version / 7) + 2;
  const size = version * 4 + 17;
  const step = version === 32 ? 26 : Math.ceil((version * 4 + 4) / (count * 2 - 2)) * 2;
  const result = [6];
  for (let pos = size - 7; result.length < count; pos -= step) result.splice(1, 0, pos);
  return result;
}

/** BCH code of `value` (`bits` long) by `generator` of degree `degree`. */
function bch(value, degree, generator) {
  let rest = value << degree;
  for (let i = 31; i >= degree; i--) if ((rest >>> i) & 1) rest ^= generator << (i - degree);
  return (value << degree) | rest;
}

class Matrix {
  constructor(version) {
    this.version = version;
    this.size = version * 4 + 17;
    this.dark = Array.from({ length: this.size }, () => new Array(this.size).fill(false));
    this.fixed = Array.from({ length: this.size }, () => new Array(this.size).fill(false));
    this.patterns();
  }

  set(x, y, dark) {
    this.dark[y][x] = dark;
    this.fixed[y][x] = true;
  }

  patterns() {
    const n = this.size;
    for (let i = 0; i < n; i++) {
      this.set(6, i, i % 2 === 0);
      this.set(i, 6, i % 2 === 0);
    }
    for (const [cx, cy] of [
      [3, 3],
      [n - 4, 3],
      [3, n - 4],
    ]) {
      for (let dy = -4; dy <= 4; dy++) {
        for (let dx = -4; dx <= 4; dx++) {
          const x = cx + dx;
          const y = cy + dy;
          const ring = Math.max(Math.abs(dx), Math.abs(dy));
          if (x >= 0 && x < n && y >= 0 && y < n) this.set(x, y, ring !== 2 && ring !== 4);
        }
      }
    }
    const places = alignmentPositions(this.version);
    for (const x of places) {
      for (const y of places) {
        const corner = (x === 6 && y === 6) || (x === 6 && y === places.at(-1)) || (x === places.at(-1) && y === 6);
        if (corner) continue;
        for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) this.set(x + dx, y + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
      }
    }
    this.format(0); // reserved now, written once the mask is chosen
    if (this.version >= 7) {
      const bits = bch(this.version, 12, 0x1f25);
      for (let i = 0; i < 18; i++) {
        const dark = ((bits >>> i) & 1) === 1;
        const a = n - 11 + (i % 3);
        const b = Math.floor(i / 3);
        this.set(a, b, dark);
        this.set(b, a, dark);
      }
    }
  }

  format(mask) {
    const n = this.size;
    const bits = bch((LEVEL_M << 3) | mask, 10, 0x537) ^ 0x5412;
    const bit = (i) => ((bits >>> i) & 1) === 1;
    for (let i = 0; i <= 5; i++) this.set(8, i, bit(i));
    this.set(8, 7, bit(6));
    this.set(8, 8, bit(7));
    this.set(7, 8, bit(8));
    for (let i = 9; i < 15; i++) this.set(14 - i, 8, bit(i));
    for (let i = 0; i < 8; i++) this.set(n - 1 - i, 8, bit(i));
    for (let i = 8; i < 15; i++) this.set(8, n - 15 + i, bit(i));
    this.set(8, n - 8, true); // the dark module
  }

  place(words) {
    const n = this.size;
    let i = 0;
    for (let right = n - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5;
      for (let vert = 0; vert < n; vert++) {
        for (let j = 0; j < 2; j++) {
          const x = right - j;
          const upward = ((right + 1) & 2) === 0;
          const y = upward ? n - 1 - vert : vert;
          if (!this.fixed[y][x] && i < words.length * 8) {
            this.dark[y][x] = ((words[i >>> 3] >>> (7 - (i & 7))) & 1) === 1;
            i++;
          }
        }
      }
    }
  }

  flip(mask) {
    const rules = [
      (x, y) => (x + y) % 2 === 0,
      (x, y) => y % 2 === 0,
      (x) => x % 3 === 0,
      (x, y) => (x + y) % 3 === 0,
      (x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0,
      (x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
      (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0,
      (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
    ];
    for (let y = 0; y < this.size; y++) for (let x = 0; x < this.size; x++) if (!this.fixed[y][x] && rules[mask](x, y)) this.dark[y][x] = !this.dark[y][x];
  }

  /** The standard's penalty: runs, 2×2 blocks, finder-like patterns, balance. */
  penalty() {
    const n = this.size;
    let score = 0;
    const lines = (get) => {
      for (let a = 0; a < n; a++) {
        let run = 1;
        const line = [];
        for (let b = 0; b < n; b++) line.push(get(a, b));
        for (let b = 1; b <= n; b++) {
          if (b < n && line[b] === line[b - 1]) run++;
          else {
            if (run >= 5) score += run - 2;
            run = 1;
          }
        }
        const text = line.map((d) => (d ? "1" : "0")).join("");
        for (const pattern of ["10111010000", "00001011101"]) {
          for (let at = text.indexOf(pattern); at >= 0; at = text.indexOf(pattern, at + 1)) score += 40;
        }
      }
    };
    lines((y, x) => this.dark[y][x]);
    lines((x, y) => this.dark[y][x]);
    let darkCount = 0;
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        if (this.dark[y][x]) darkCount++;
        if (x < n - 1 && y < n - 1) {
          const c = this.dark[y][x];
          if (c === this.dark[y][x + 1] && c === this.dark[y + 1][x] && c === this.dark[y + 1][x + 1]) score += 3;
        }
      }
    }
    const total = n * n;
    score += Math.floor(Math.abs(darkCount * 20 - total * 10) / total) * 10;
    return score;
  }
}

/** Rows of "0"/"1" for `text` (UTF-8), or null when it is too long for a QR code. */
export function qrRows(text) {
  const bytes = [...new TextEncoder().encode(text)];
  const version = versionFor(bytes.length);
  return version ? symbol(encode(bytes, version), version) : null;
}

/**
 * The symbol of `version` holding the data codewords `data` (see `encode`): error
 * correction added, placed, masked by `mask` or else by the mask of lowest penalty.
 */
export function symbol(data, version, mask) {
  const words = codewords(data, version);
  const make = (m) => {
    const matrix = new Matrix(version);
    matrix.place(words);
    matrix.flip(m);
    matrix.format(m);
    return matrix;
  };
  if (mask !== undefined) return rowsOf(make(mask));
  let best = null;
  let lowest = Infinity;
  for (let m = 0; m < 8; m++) {
    const matrix = make(m);
    const score = matrix.penalty();
    if (score < lowest) {
      lowest = score;
      best = matrix;
    }
  }
  return rowsOf(best);
}

function rowsOf(matrix) {
  return matrix.dark.map((row) => row.map((d) => (d ? "1" : "0")).join(""));
}
