"""Signing in by e-mail code: send-code, verify-email, complete-registration.

The request bodies are not documented; they are assumed JSON (``{"email"}``, then
``{"email", "code"}``) and the token is read tolerantly from the answer
(:func:`iskra_ls.api.account.extract_token`). Only a JWT is accepted as the token.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from iskra_ls import errors
from iskra_ls.credential import is_credential
from iskra_ls.logs import register_secret

if TYPE_CHECKING:
    from iskra_ls.api.client import IskraClient


CodeReader = Callable[[], Awaitable[str] | str]

CODE_ATTEMPTS = 3
"""How many times a mistyped code may be typed again before a new one is needed."""


class WrongCode(errors.BadRequest):
    """The service refused the e-mail code (a 400 at verify-email): wrong, or too old."""

    def __init__(self, final: bool) -> None:
        if final:
            text = ("The code is wrong or has expired; run `iskra-ls login` again for a new "
                    "code.")
        else:
            text = "That code is wrong or has expired; type it again."
        errors.IskraError.__init__(self, text)


async def login_with_code(
    client: IskraClient,
    email: str,
    read_code: CodeReader,
    on_wrong_code: Callable[[str], None] | None = None,
) -> str:
    """Sign in by e-mail code: send-code → verify-email → complete-registration.

    ``read_code`` asks the user for the code (sync or async). A refused code is
    reported through ``on_wrong_code`` and asked for again, up to
    :data:`CODE_ATTEMPTS` codes in all (without ``on_wrong_code``, the first refusal
    ends it): a typo should not cost a new e-mail. Returns the token; raises
    :class:`WrongCode` when the code was refused, or
    :class:`iskra_ls.errors.MalformedResponse` when no token comes back.
    """
    from iskra_ls.api.account import extract_token

    email = email.strip()
    if not email:
        raise errors.IskraError("An e-mail address is needed to sign in.")
    await client.auth_step("send-code", {"email": email})
    attempts = CODE_ATTEMPTS if on_wrong_code is not None else 1
    for attempt in range(1, attempts + 1):
        answer = read_code()
        code = (await answer if inspect.isawaitable(answer) else answer).strip()
        if not code:
            raise errors.IskraError("No code entered; run `iskra-ls login` again.")
        body = {"email": email, "code": code}
        try:
            verified = await client.auth_step("verify-email", body)
            break
        except errors.BadRequest as exc:
            if attempt == attempts:
                raise WrongCode(final=True) from exc
            assert on_wrong_code is not None
            on_wrong_code(str(WrongCode(final=False)))
    token = extract_token(verified)
    if not token:
        completed = await client.auth_step("complete-registration", body)
        token = extract_token(completed)
    if not token:
        raise errors.MalformedResponse("the sign-in answer carried no token")
    if not is_credential(token):
        raise errors.MalformedResponse("the sign-in answer carried no JWT")
    register_secret(token)
    return token
