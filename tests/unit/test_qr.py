"""The widget's own QR encoder (widget/static/qr.js), module by module against segno's.

The portfolio's text code must not reach the server to be drawn, so the browser makes
its QR code itself. Both are fed the same data codewords at versions 1 to 40 (segno by
its encoder's steps) and must agree on every module: error correction, interleaving,
placement, finder, timing and alignment patterns, format and version information, and
each of the eight masks. The mask the widget picks on its own is one of those eight
symbols (its penalty rules read the standard a little differently from segno's, which
changes the choice, never the symbol's validity)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import segno.consts as consts
import segno.encoder as encoder

from tests.node import module_url, run_json

M = consts.ERROR_LEVEL_M


def segno_rows(data: list[int], version: int, mask: int) -> list[str]:
    buffer = encoder.Buffer()
    for byte in data:
        buffer.append_bits(byte, 8)
    message = encoder.make_final_message(version, M, buffer)
    width = encoder.calc_matrix_size(version)
    matrix = encoder.make_matrix(width, width)
    encoder.add_finder_patterns(matrix, width, width)
    encoder.add_alignment_patterns(matrix, width, width)
    encoder.add_codewords(matrix, message, version)
    mask, matrix = encoder.find_and_apply_best_mask(matrix, width, width, mask)
    encoder.add_format_info(matrix, version, M, mask)
    encoder.add_version_info(matrix, version)
    return ["".join("1" if cell else "0" for cell in row) for row in matrix]


def widget(cases: list[tuple[list[int], int, int | None]], tmp_path: Path) -> list[list[str]]:
    script = (
        f"import {{ symbol }} from {json.dumps(module_url('widget/static/qr.js'))};"
        "import { readFileSync } from 'node:fs';"
        "const cases = JSON.parse(readFileSync(process.argv[1], 'utf8'));"
        "console.log(JSON.stringify(cases.map(([d, v, m]) => symbol(d, v, m ?? undefined))));"
    )
    rows: list[list[str]] = run_json(script, cases, tmp_path)
    return rows


def test_every_module_agrees_with_segno_at_every_version_and_mask(tmp_path: Path) -> None:
    rng = random.Random(16)
    cases: list[tuple[list[int], int, int | None]] = []
    for version in range(1, 41):
        capacity = consts.SYMBOL_CAPACITY[version][M] // 8
        data = [rng.randrange(256) for _ in range(capacity)]
        cases.append((data, version, version % 8))
        if version in (
            1,
            7,
            40,
        ):  # every mask at the smallest, the first with version bits, the largest
            cases += [(data, version, mask) for mask in range(8) if mask != version % 8]
        cases.append((data, version, None))
    found = widget(cases, tmp_path)
    for (data, version, mask), rows in zip(cases, found, strict=True):
        assert len(rows) == version * 4 + 17
        if mask is not None:
            assert rows == segno_rows(data, version, mask), (version, mask)
        else:
            assert any(rows == segno_rows(data, version, m) for m in range(8)), version
