"""API roots (issue 10.7): http only to loopback, normalised roots, the token file's root."""

from __future__ import annotations

from pathlib import Path

import pytest

from iskra_ls.api.auth import TokenStore
from iskra_ls.api.roots import is_loopback_host, normalise_root, same_root, url_problem
from iskra_ls.settings import Settings, merge_settings


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.8.0.3", "::1", "[::1]",
                                  "api.localhost"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", ["example.com", "10.0.0.1", "0.0.0.0", "localhost.evil.com",
                                  "127.0.0.1.nip.io"])
def test_other_hosts(host: str) -> None:
    assert not is_loopback_host(host)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://cli.cryptocatslab.ru", True),
        ("http://127.0.0.1:8080", True),
        ("http://localhost", True),
        ("http://[::1]:9", True),
        ("http://attacker.example", False),
        ("http://10.0.0.5:80", False),
        ("ftp://x", False),
        ("https://user:pw@host", False),
        ("https://", False),
    ],
)
def test_url_problem(url: str, ok: bool) -> None:
    assert (url_problem(url) is None) is ok


def test_roots_compare_normalised() -> None:
    assert same_root("https://Cli.Example.ru:443/", "https://cli.example.ru")
    assert same_root("http://127.0.0.1:80", "http://127.0.0.1")
    assert not same_root("http://127.0.0.1:8080", "http://127.0.0.1:8081")
    assert not same_root("https://a.example", "http://a.example")
    assert normalise_root("HTTPS://A.example/base/") == "https://a.example/base"


def test_settings_refuse_plain_http_elsewhere() -> None:
    settings, problems = merge_settings(Settings(), {"apiUrl": "http://attacker.example"})
    assert [p.key for p in problems] == ["apiUrl"]
    assert "this machine" in problems[0].message
    assert settings.api_url != "http://attacker.example"


def test_the_token_file_records_its_root(tmp_path: Path) -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJyb290In0.c2lnbmF0dXJl"  # only JWTs are tokens
    older = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvbGRlciJ9.c2lnbmF0dXJl"
    store = TokenStore(tmp_path / "token")
    store.save(token, "https://cli.example.ru/")
    assert store.load() == token
    assert store.api_root == "https://cli.example.ru"
    (tmp_path / "token").write_text(f"{older}\n", encoding="utf-8")  # an older file
    assert store.load() == older and store.api_root is None
