"""Log hygiene: the token never reaches a log line, whatever path it takes."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from iskra_ls import logs

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyQGV4YW1wbGUuY29tIn0.c2lnbmF0dXJlLXNlY3JldC14eXo"
SECOND = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZWNvbmQifQ.c2Vjb25kLXNpZ25hdHVyZS0xMjM0NQ"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_level, saved_handlers = root.level, list(root.handlers)
    stream = io.StringIO()
    handler = logs.setup_logging("debug", stream)
    logs.register_secret(TOKEN)
    logs.register_secret(SECOND)
    yield stream
    root.removeHandler(handler)
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    logs.set_level("info")
    logging.captureWarnings(False)


LEVELS = [logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL]


@pytest.mark.parametrize("secret", [TOKEN, SECOND])
def test_secret_never_reaches_a_line(captured: io.StringIO, secret: str) -> None:
    names = ["iskra_ls.test", "openai", "httpx2", "httpcore2", "aiohttp.client", "pygls"]
    for name in names:
        log = logging.getLogger(name)
        for level in LEVELS:
            log.log(level, "token in message %s", secret)
            log.log(level, "token in args: %s / %r", secret, {"key": secret})
            log.log(level, "Bearer %s", secret)
            log.log(level, "headers: {'Authorization': 'Bearer %s'}", secret)
            log.log(level, "raw header Authorization: %s", secret)
            log.log(level, "bytes header %r", [(b"authorization", f"Bearer {secret}".encode())])
            log.log(level, f"f-string {secret}")
            try:
                raise RuntimeError(f"failed with {secret}")
            except RuntimeError:
                log.log(level, "with exception", exc_info=True)
            log.log(level, "with stack %s", secret, stack_info=True)
    text = captured.getvalue()
    assert text.count("\n") > len(names) * len(LEVELS) * 9
    for line in text.splitlines():
        assert secret not in line
    assert secret.split(".")[0] not in text  # not even a part of it
    assert "***" in text


def test_unregistered_shapes_are_masked(captured: io.StringIO) -> None:
    unknown_jwt = "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJvdGhlciJ9.QmFkU2lnbmF0dXJlMTIz"
    log = logging.getLogger("iskra_ls.test")
    log.warning("jwt %s", unknown_jwt)
    log.warning("Authorization: Bearer opaque-value-42")
    log.warning("proxy-authorization = Basic dXNlcjpwYXNz")
    text = captured.getvalue()
    assert unknown_jwt not in text
    assert "opaque-value-42" not in text
    assert "dXNlcjpwYXNz" not in text


def test_exception_text_is_not_reformatted_by_later_handlers(captured: io.StringIO) -> None:
    second = io.StringIO()
    extra = logging.StreamHandler(second)
    logging.getLogger().addHandler(extra)  # added after setup: no filter of its own
    try:
        try:
            raise ValueError(f"bad token {TOKEN}")
        except ValueError:
            logging.getLogger("x").exception("boom")
    finally:
        logging.getLogger().removeHandler(extra)
    assert "ValueError" in captured.getvalue()
    assert TOKEN not in captured.getvalue()
    assert TOKEN not in second.getvalue()


def test_broken_format_args_do_not_leak(captured: io.StringIO) -> None:
    logging.getLogger("x").error("two %s %s but one arg", TOKEN)
    assert TOKEN not in captured.getvalue()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("plain words stay", "plain words stay", id="plain"),
        pytest.param("module iskra_ls.completion.scheduler failed",
                     "module iskra_ls.completion.scheduler failed", id="dotted-name"),
        pytest.param("see https://cli.cryptocatslab.ru/ai/v1",
                     "see https://cli.cryptocatslab.ru/ai/v1", id="url"),
        pytest.param("Bearer abc.def", "Bearer ***", id="bearer"),
        pytest.param("bearer\tXYZ, next", "bearer\t***, next", id="bearer-tab"),
        pytest.param("Authorization: Bearer a b c\nnext line", "Authorization: ***\nnext line",
                     id="header-line"),
        pytest.param('{"authorization": "Bearer q"}', '{"authorization": "***"}', id="json"),
        pytest.param("a AAAAAAA1.BBBBBBB2.CCCCCCC3 b", "a *** b", id="jwt-shape"),
        pytest.param("{'iskra': {'token': 'opaque1', 'apiUrl': 'x'}}",
                     "{'iskra': {'token': '***', 'apiUrl': 'x'}}", id="token-field"),
        pytest.param('{"accessToken": "a\'b", "tokensToday": 5}',
                     '{"accessToken": "***", "tokensToday": 5}', id="access-token-field"),
        pytest.param("Settings(token=opaque2, max_tokens=5)",
                     "Settings(token=***, max_tokens=5)", id="token-kwarg"),
        pytest.param("prompt_tokens=5 total_tokens: 9", "prompt_tokens=5 total_tokens: 9",
                     id="token-counts"),
        pytest.param("short A1.B2.C3 parts", "short A1.B2.C3 parts", id="short-parts"),
    ],
)
def test_mask(text: str, expected: str) -> None:
    assert logs.mask(text) == expected


def test_mask_registered_secret_inside_text() -> None:
    logs.register_secret(SECOND)
    assert logs.mask(f"x={SECOND};") == "x=***;"


@pytest.mark.parametrize(
    "word", ["self", "ab", "opaque-0123-secret", "a.b.c", "header.payload.sig"]
)
def test_only_a_credential_is_masked(word: str) -> None:
    """A token setting of ``self`` must not turn every ``self`` into ``***`` (issue 20.6)."""
    logs.register_secret(word)
    assert logs.mask(f"return {word}.x") == f"return {word}.x"
    assert logs.mask_secret_bytes(f"{word}.value".encode()) == f"{word}.value".encode()


def test_third_party_loggers_quiet_unless_debug() -> None:
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    try:
        stream = io.StringIO()
        logs.setup_logging("info", stream)
        for name in ("openai", "httpx2", "httpcore2", "aiohttp", "pygls"):
            assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING
        logging.getLogger("httpcore2.connection").info("noise")
        logging.getLogger("iskra_ls.x").info("kept")
        assert "noise" not in stream.getvalue()
        assert "kept" in stream.getvalue()
        logs.setup_logging("debug", stream)
        assert logging.getLogger("openai").getEffectiveLevel() == logging.DEBUG
        assert sum(isinstance(h, logging.StreamHandler) and h.stream is stream
                   for h in root.handlers) == 1  # a second setup replaces, not adds
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logs.set_level("info")
        logging.captureWarnings(False)


def test_setup_logging_defaults_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    try:
        logs.setup_logging("info")
        logging.getLogger("iskra_ls.x").warning("to stderr")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.captureWarnings(False)
    out = capsys.readouterr()
    assert out.out == ""
    assert "to stderr" in out.err
