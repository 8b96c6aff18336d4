"""The protocol definitions, their exported schema and the shared fixtures agree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import msgspec
import pytest

from protocol import schema
from protocol.messages import ServerMessage, counsellor_decoder, visitor_decoder
from server.core.errors import ProtocolError
from server.web.live.frames import decode

FIXTURES = json.loads(
    (Path(__file__).parents[2] / "protocol" / "fixtures" / "frames.json").read_text()
)
DECODERS = {"visitor": visitor_decoder, "console": counsellor_decoder}
FRAME_SCHEMA = {"visitor": "VisitorFrame", "console": "CounsellorFrame"}
SCHEMA = json.loads(schema.SCHEMA_PATH.read_text())


def validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({**SCHEMA, "$ref": f"#/$defs/{name}"})


def test_the_committed_schema_is_current() -> None:
    assert schema.SCHEMA_PATH.read_text() == schema.render(), "run: python -m protocol.schema"


def test_descriptions_are_laid_out_the_same_whatever_the_library_version() -> None:
    # msgspec 0.22 kept docstrings' indentation, 0.23 dedents them: the export must not
    # depend on which one is installed.
    indented = {"description": "First line.\n\n    More, indented.", "items": [{"x": 1}]}
    assert schema._cleaned({"a": indented, "b": [indented]}) == {
        "a": {"description": "First line.\n\nMore, indented.", "items": [{"x": 1}]},
        "b": [{"description": "First line.\n\nMore, indented.", "items": [{"x": 1}]}],
    }
    found = json.dumps(schema.build())
    assert "\\n    " not in found and '"description"' in found


@pytest.mark.parametrize("endpoint", ["visitor", "console"])
def test_accepted_fixtures_decode_and_match_the_schema(endpoint: str) -> None:
    for frame in FIXTURES[endpoint]["accept"]:
        message = decode(DECODERS[endpoint], json.dumps(frame))
        assert message.__struct_config__.tag == frame["type"]
        validator(FRAME_SCHEMA[endpoint]).validate(frame)


@pytest.mark.parametrize("endpoint", ["visitor", "console"])
def test_refused_fixtures_get_their_error_code(endpoint: str) -> None:
    for case in FIXTURES[endpoint]["refuse"]:
        raw = case.get("raw") or json.dumps(case["frame"])
        with pytest.raises(ProtocolError) as caught:
            decode(DECODERS[endpoint], raw)
        assert caught.value.code == case["code"], raw
        if "frame" in case:
            assert not validator(FRAME_SCHEMA[endpoint]).is_valid(case["frame"]), raw


def test_server_fixtures_decode_and_match_the_schema() -> None:
    decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(ServerMessage)
    for frame in FIXTURES["server"]:
        decoder.decode(json.dumps(frame))
        validator("ServerFrame").validate(frame)


def test_an_oversized_frame_is_refused_before_parsing() -> None:
    with pytest.raises(ProtocolError) as caught:
        decode(visitor_decoder, '{"type":"leave"}' + " " * 70_000)
    assert caught.value.code == "too_big"


def test_every_error_code_has_a_text_in_every_catalog() -> None:
    from protocol.messages import ERROR_CODES
    from server.web.i18n import Catalogs

    catalogs = Catalogs()
    for lang in catalogs.languages:
        raw = json.loads((Path(__file__).parents[2] / "locales" / f"{lang}.json").read_text())
        missing = [code for code in ERROR_CODES if f"error.{code}" not in raw]
        assert not missing, (lang, missing)


def test_the_replaced_signal_template_encodes_a_replaced_signal() -> None:
    from protocol.messages import encoder
    from server.web.live.chat import REPLACED_SIGNAL, Replaced

    filled = REPLACED_SIGNAL.replace(b"{generation}", b"42")
    assert filled == encoder.encode(Replaced(generation=42))
