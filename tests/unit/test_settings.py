"""Settings: origins are checked and written as browsers write them."""

from __future__ import annotations

import pytest

from server.web.settings import Settings, origin


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("https://cite.example", "https://cite.example"),
        ("https://Cite.Example/", "https://cite.example"),
        ("https://cite.example:443", "https://cite.example"),
        ("http://cite.example:80", "http://cite.example"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        (" https://xn--cit-dma.example ", "https://xn--cit-dma.example"),
    ],
)
def test_an_origin_is_written_as_a_browser_sends_it(given: str, written: str) -> None:
    assert origin(given) == written


@pytest.mark.parametrize(
    "given",
    [
        "*",
        "https://*.cite.example",
        "cite.example",
        "//cite.example",
        "ftp://cite.example",
        "javascript:alert(1)",
        "https://cite.example/widget",
        "https://cite.example/?a=1",
        "https://cite.example#x",
        "https://user@cite.example",
        "https://cite.example:",
        "https://cite.example:99999",
        "https://cite example",
        "https://cite.example'; script-src *",
        "https://cité.example",
    ],
)
def test_anything_else_is_refused_with_what_was_given(given: str) -> None:
    with pytest.raises(ValueError, match="not an origin"):
        origin(given)


def test_settings_check_and_deduplicate_both_lists() -> None:
    settings = Settings(origins=("https://a.example/", "https://A.example"), embed_origins=())
    assert settings.origins == ("https://a.example",)
    with pytest.raises(ValueError):
        Settings(embed_origins=("https://a.example/path",))
    env = {"PAROLE_EMBED_ORIGINS": "https://a.example, http://b.example:8080/"}
    assert Settings.from_env(env).embed_origins == ("https://a.example", "http://b.example:8080")


def test_trusted_proxies_are_addresses_or_networks() -> None:
    env = {"PAROLE_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/24,::1"}
    assert Settings.from_env(env).trusted_proxies == ("127.0.0.1", "10.0.0.0/24", "::1")
    assert Settings.from_env({}).trusted_proxies == ()
    with pytest.raises(ValueError):
        Settings.from_env({"PAROLE_TRUSTED_PROXIES": "proxy.example"})
