"""Domain errors, each worded for the user: what happened and what to do.

The Iskra client turns every transport or HTTP failure into one of these; the
CLI prints ``str(error)`` as its one line, the language server shows it with
``window/showMessage`` and puts ``kind`` into ``iskra/status``.
"""

from __future__ import annotations

import math


class ToolError(Exception):
    """A tool call that cannot be carried out; ``str(error)`` goes back to the model.

    Lives here, below both ``edits`` and ``actions``, so the edit builder can raise it
    without importing the action layer above it.
    """


class IskraError(Exception):
    """Base of every expected failure. ``str(e)`` is the user-facing line."""

    kind = "error"
    """Short machine name, used as the ``iskra/status`` state."""

    retryable = False
    """Whether repeating the same call later may succeed without user action."""


class NotSignedIn(IskraError):
    kind = "signedOut"

    def __init__(self, message: str = "Not signed in to Iskra: run `iskra-ls login` "
                 "(or Iskra: Sign in in your editor).") -> None:
        super().__init__(message)


class TokenRejected(IskraError):
    kind = "signedOut"

    def __init__(self, message: str = "Iskra rejected the token (401: bad or expired): "
                 "sign in again with `iskra-ls login`.") -> None:
        super().__init__(message)


class QuotaExhausted(IskraError):
    """HTTP 429: the daily request limit is reached. Never retried."""

    kind = "quotaExhausted"

    def __init__(self, retry_after: float | None = None, message: str | None = None) -> None:
        if retry_after is not None and not (
            isinstance(retry_after, int | float) and math.isfinite(retry_after) and retry_after >= 0
        ):
            retry_after = None  # "inf", "nan" or garbage: paused until the reset
        self.retry_after = retry_after
        if message is None:
            message = "Iskra's daily request limit is reached (429)"
            if retry_after is not None:
                message += f"; it resets in {_duration(retry_after)}"
            message += ". Wait for the reset or upgrade your plan."
        super().__init__(message)


class BadRequest(IskraError):
    kind = "error"

    def __init__(self, detail: str = "") -> None:
        text = "Iskra refused the request as malformed (400)"
        super().__init__(f"{text}: {detail}" if detail else f"{text}.")


class ServiceError(IskraError):
    kind = "error"
    retryable = True

    def __init__(self, status: int | None = None, detail: str = "") -> None:
        self.status = status
        code = f" ({status})" if status else ""
        text = f"Iskra had a server error{code}; try again in a moment"
        super().__init__(f"{text}: {detail}" if detail else f"{text}.")


class Unreachable(IskraError):
    kind = "offline"
    retryable = True

    def __init__(self, url: str = "", detail: str = "") -> None:
        where = f" at {url}" if url else ""
        text = f"Cannot reach Iskra{where}: check the network, a proxy, or the apiUrl setting"
        super().__init__(f"{text} ({detail})." if detail else f"{text}.")


class TimedOut(IskraError):
    kind = "offline"
    retryable = True

    def __init__(self, seconds: float | None = None) -> None:
        after = f" after {seconds:g} s" if seconds else ""
        super().__init__(f"Iskra did not answer in time{after}; try again.")


class ActionTimedOut(TimedOut):
    """An action used up ``actions.timeoutS``: its rounds and tools, all together."""

    def __init__(self, seconds: float) -> None:
        IskraError.__init__(
            self, f"Iskra did not answer in time: an action may run {seconds:g} s in all "
            "(actions.timeoutS)."
        )


class StreamEndedEarly(IskraError):
    kind = "error"
    retryable = True

    def __init__(self, detail: str = "") -> None:
        text = "Iskra's answer stopped before it was complete"
        super().__init__(f"{text}: {detail}" if detail else f"{text}; try again.")


class MalformedResponse(IskraError):
    kind = "error"
    retryable = True

    def __init__(self, detail: str = "") -> None:
        text = "Iskra sent an answer that could not be read"
        super().__init__(f"{text}: {detail}" if detail else f"{text}.")


class AnswerTooLarge(IskraError):
    """The answer passed the client's byte or character cap; reading stopped there."""

    kind = "error"

    def __init__(self, what: str = "the answer", limit: int = 0) -> None:
        size = f" (over {limit / (1 << 20):g} MB)" if limit else ""
        super().__init__(
            f"Iskra's answer was too large: {what}{size}; stopped reading it and nothing "
            "was changed. Ask for a smaller piece of work."
        )


class Redirected(IskraError):
    """The service answered with a redirect; redirects are never followed."""

    kind = "error"

    def __init__(self, url: str = "", location: str = "") -> None:
        where = f" at {url}" if url else ""
        to = f" to {location}" if location else ""
        super().__init__(
            f"Iskra{where} answered with a redirect{to}; redirects are not followed, so "
            "nothing was sent there. If that address is right, set it as iskra.apiUrl."
        )


class InsecureApiUrl(IskraError):
    """``http://`` to a host that is not this machine: the token would travel in clear."""

    kind = "error"

    def __init__(self, url: str = "") -> None:
        super().__init__(
            f"Refusing to use {url or 'the API root'}: plain http:// is allowed only for "
            "this machine (localhost, 127.0.0.1, ::1); use https://."
        )


class TokenNotForThisRoot(IskraError):
    """The token was issued for another API root and the user has not confirmed this one."""

    kind = "signedOut"

    def __init__(self, api_url: str = "", token_root: str = "") -> None:
        self.api_url = api_url
        self.token_root = token_root
        super().__init__(
            f"Your Iskra token was issued for {token_root or 'another address'}, but apiUrl is "
            f"now {api_url or 'different'}; it is not sent there without your confirmation. "
            "Run the command `iskra.confirmApiUrl` to allow it, sign in again for the new "
            "address (`iskra-ls login --api-url ...`), or set apiUrl back."
        )


def _duration(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{seconds} s"
