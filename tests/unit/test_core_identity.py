"""The identity guard finds emails, phones, NIRs, IBANs and addresses, and nothing in
ordinary numbers: the corpus is shared with the JS side (tests/js/identity.test.mjs)."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.core.identity import Kind, find, iban_ok, nir_ok, scrub
from tests.node import module_url, run_json

CORPUS = json.loads(
    (Path(__file__).parents[2] / "protocol" / "fixtures" / "identity.json").read_text()
)


def found(text: str) -> list[list[str]]:
    return [[f.kind.value, text[f.start : f.end]] for f in find(text)]


@pytest.mark.parametrize("case", CORPUS["found"], ids=lambda case: case["text"][:40])
def test_what_looks_like_identity_is_found_exactly(case: dict[str, object]) -> None:
    assert found(str(case["text"])) == case["found"]


@pytest.mark.parametrize("text", CORPUS["ordinary"], ids=lambda text: text[:40])
def test_ordinary_numbers_raise_no_alarm(text: str) -> None:
    assert find(text) == []


def test_the_corpus_covers_every_kind_both_ways() -> None:
    kinds = {kind for case in CORPUS["found"] for kind, _ in case["found"]}
    assert kinds == {kind.value for kind in Kind}
    assert len(CORPUS["ordinary"]) >= 20


@pytest.mark.parametrize("case", CORPUS["found"], ids=lambda case: case["text"][:40])
def test_scrub_replaces_each_by_its_kind(case: dict[str, object]) -> None:
    text = str(case["text"])
    cleaned = scrub(text)
    for kind, value in case["found"]:  # type: ignore[attr-defined]
        assert value not in cleaned
        assert f"[{kind}]" in cleaned
    assert find(cleaned) == []


def test_scrub_leaves_ordinary_text_alone() -> None:
    for text in CORPUS["ordinary"]:
        assert scrub(text) == text


def test_keys_are_checked() -> None:
    assert nir_ok("184057511542307")
    assert not nir_ok("184057511542308")
    assert nir_ok("2 90 05 2A 004 123 52")
    assert not nir_ok("2 90 05 2B 004 123 52")  # Corsica's two départements differ
    assert iban_ok("FR76 3000 6000 0112 3456 7890 189")
    assert not iban_ok("FR76 3000 6000 0112 3456 7890 188")
    assert not iban_ok("FR76 3000")  # too short
    assert not iban_ok("FR76 3000 6000 0112 3456 7890 1é9")  # not ASCII alphanumeric


def test_what_follows_a_valid_iban_is_not_part_of_it() -> None:
    text = "FR76 3000 6000 0112 3456 7890 189 AB12"
    assert found(text) == [["iban", "FR76 3000 6000 0112 3456 7890 189"]]


def test_overlapping_findings_keep_the_earliest_and_longest() -> None:
    # A phone number used as an email's name is one finding, the email.
    assert found("0612345678@sfr.fr") == [["email", "0612345678@sfr.fr"]]
    text = "au 12 rue Victor Hugo, 0612345678"  # a postcode has five digits, no more
    assert [f.kind for f in find(text)] == [Kind.ADDRESS, Kind.PHONE]


@pytest.mark.parametrize(
    "hostile",
    [
        "1" * 4000,
        "a" * 3999 + "@",
        "x@" + "a." * 1990 + "-",
        "+1" * 2000,
        "12 rue " * 570,
        "FR76 " + "0000 " * 799,
        "0" + " 12" * 1333,
    ],
    ids=lambda text: text[:12],
)
def test_long_hostile_texts_are_scanned(hostile: str) -> None:
    # A pattern that backtracked exponentially would never return from these.
    assert all(f.end - f.start <= 64 for f in find(hostile))


@given(st.text(alphabet=st.sampled_from("0123456789 .-+()@aAéRrue,FR"), max_size=200))
def test_findings_are_in_order_in_bounds_and_apart(text: str) -> None:
    results = find(text)
    for f in results:
        assert 0 <= f.start < f.end <= len(text)
    for a, b in itertools.pairwise(results):
        assert a.end <= b.start
    assert find(scrub(text)) == []


def test_the_browser_twin_finds_the_same_in_random_texts(tmp_path: Path) -> None:
    # protocol/js/identity.js repeats these patterns; run both over the same texts,
    # built from pieces of the corpus and stray digits, separators and letters.
    rng = random.Random(7)
    pieces = [piece for case in CORPUS["found"] for _, piece in case["found"]]
    pieces += [text.split(" ")[rng.randrange(len(text.split(" ")))] for text in CORPUS["ordinary"]]
    noise = [*"0123456789 .-+()@,'’éA", "rue", "Rue", "FR76", "2A", " at ", "(0)", "\n"]
    texts = [
        "".join(
            rng.choice(pieces if rng.random() < 0.3 else noise) for _ in range(rng.randrange(1, 25))
        )
        for _ in range(3000)
    ]
    script = (
        f"import {{ find }} from {json.dumps(module_url('protocol/js/identity.js'))};"
        "import { readFileSync } from 'node:fs';"
        "const texts = JSON.parse(readFileSync(process.argv[1], 'utf8'));"
        "const found = (t) => find(t).map((f) => [f.kind, t.slice(f.start, f.end)]);"
        "console.log(JSON.stringify(texts.map(found)));"
    )
    theirs = run_json(script, texts, tmp_path)
    differ = [(t, found(t), js) for t, js in zip(texts, theirs, strict=True) if found(t) != js]
    assert differ == [], differ[:3]
    assert sum(1 for js in theirs if js) > 500  # the texts do hold findings
