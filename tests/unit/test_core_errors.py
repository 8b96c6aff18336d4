from __future__ import annotations

import pytest

from server.core.errors import (
    CapacityReached,
    ConfigError,
    IllegalTransition,
    NotFound,
    ParoleError,
    ProtocolError,
    Unavailable,
)

CODES = {
    ParoleError: "error",
    ProtocolError: "invalid",
    IllegalTransition: "not_allowed",
    CapacityReached: "capacity_reached",
    ConfigError: "invalid_config",
    Unavailable: "unavailable",
    NotFound: "not_found",
}


@pytest.mark.parametrize(("cls", "code"), CODES.items())
def test_each_error_is_a_parole_error_carrying_its_code(cls: type[ParoleError], code: str) -> None:
    with pytest.raises(ParoleError) as caught:
        raise cls("detail")
    assert type(caught.value) is cls
    assert caught.value.code == code
    assert str(caught.value) == "detail"


def test_an_error_without_detail_reads_as_its_code() -> None:
    assert str(NotFound()) == "not_found"


def test_a_code_given_at_raise_time_overrides_the_class_code_for_that_error_only() -> None:
    error = ProtocolError("no such pole", code="unknown_pole")
    assert error.code == "unknown_pole"
    assert isinstance(error, ProtocolError)
    assert ProtocolError().code == "invalid"
    assert ProtocolError.code == "invalid"


def test_an_overridden_code_without_detail_reads_as_that_code() -> None:
    assert str(ParoleError(code="rate_limited")) == "rate_limited"
