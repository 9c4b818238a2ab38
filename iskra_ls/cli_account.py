"""The account commands of ``iskra-ls``: ``login``, ``logout``, ``status``.

They manage the token file the servers watch and read the machine's quota ledger. The
token goes only to the API root it was issued for: ``status`` asks the root the token
file records unless ``--api-url``/``ISKRA_API_URL`` names one, and refuses (sending
nothing) when that is another. Expected failures raise :class:`iskra_ls.errors.IskraError`
(the caller prints one line); the token is never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
import time
from typing import Any

from iskra_ls import errors
from iskra_ls.api.auth import TokenFileRefused
from iskra_ls.logs import mask


def chosen_api_url(args: argparse.Namespace, fallback: str | None = None) -> str:
    """``--api-url``, else ``ISKRA_API_URL``, else ``fallback`` (the token's root), else the
    default service."""
    from iskra_ls.settings import DEFAULT_API_URL

    explicit = getattr(args, "api_url", None) or os.environ.get("ISKRA_API_URL")
    return checked_url(explicit or fallback or DEFAULT_API_URL)


def checked_url(url: str) -> str:
    from iskra_ls.api.roots import url_problem

    problem = url_problem(url)
    if problem:  # refused before any request: the token never goes to such an address
        raise errors.IskraError(f"The API address {url!r} (--api-url / ISKRA_API_URL) {problem}.")
    return url.strip().rstrip("/")


def for_the_command_line(exc: errors.IskraError) -> str:
    """The error's words, with the editor setting named as the command line knows it."""
    text = str(exc)
    if isinstance(exc, errors.Unreachable):
        text = text.replace("the apiUrl setting", "ISKRA_API_URL")
    if isinstance(exc, errors.TokenNotForThisRoot):
        text = (f"your Iskra token was issued for {exc.token_root}, not {exc.api_url} "
                "(--api-url / ISKRA_API_URL); nothing was sent. Sign in for that address "
                f"(`iskra-ls login --api-url {exc.api_url}`), or leave ISKRA_API_URL unset to "
                "use the address the token belongs to.")
    if isinstance(exc, TokenFileRefused):
        text = text.removeprefix("Iskra: ")
    return text


def token_store() -> Any:
    from iskra_ls.api.auth import TokenStore

    return TokenStore()


def env_note() -> None:
    if os.environ.get("ISKRA_TOKEN", "").strip():
        print("Note: ISKRA_TOKEN is set in this environment; it wins over the stored token.")


async def login(args: argparse.Namespace, email: str | None) -> int:
    from iskra_ls.api.auth import folder_problem
    from iskra_ls.api.client import IskraClient
    from iskra_ls.api.login import login_with_code
    from iskra_ls.credential import NOT_A_CREDENTIAL, is_credential

    store = token_store()
    problem = folder_problem(store.directory)
    if problem is not None:  # before anything is sent: the token could not be kept safe
        raise errors.IskraError(f"{problem}; nothing was stored.")
    api_url = chosen_api_url(args)
    client = IskraClient(api_url)
    try:
        if args.token is not None:
            token = sys.stdin.readline() if args.token == "-" else args.token
            token = token.strip()
            if not token:
                raise errors.IskraError("The token is empty; nothing was stored.")
            if not is_credential(token):
                raise errors.IskraError(f"That token {NOT_A_CREDENTIAL}")
            client.token = token
            note = await verify(client)
        else:
            assert email is not None

            asked = False

            def read_code() -> str:
                # Said once: after a wrong code no new code is sent, the user types it again.
                nonlocal asked
                if not asked:
                    print(f"A sign-in code was sent to {email}.", flush=True)
                    asked = True
                return input("Code: ")

            token = await login_with_code(
                client, email, read_code, on_wrong_code=lambda text: print(text, flush=True))
            client.token = token
            note = await verify(client, quiet_failure=True)
    finally:
        await client.aclose()
    store.save(token, api_url)  # the token belongs to this API root only
    if note:
        print(note)
    print(f"Token saved to {store.token_file}")
    env_note()
    return 0


async def login_json(args: argparse.Namespace) -> int:
    """``login --email E --json``: the e-mail code flow driven by an editor.

    One sign-in flow and one token parser for every client: the VS Code extension runs
    this instead of its own HTTP calls. On stdout, one JSON object a line:
    ``{"event": "askCode", "email"}`` (then one code is read from a stdin line),
    ``{"event": "wrongCode", "message"}``, and last ``{"event": "signedIn", "token"}``
    or ``{"event": "error", "message"}`` (exit code 1). The token is not stored: the
    editor keeps it (VS Code: its secret storage) and hands it over as ``ISKRA_TOKEN``.
    """
    from iskra_ls.api.client import IskraClient
    from iskra_ls.api.login import login_with_code

    def emit(**event: str) -> None:
        print(json.dumps(event), flush=True)

    email = (args.email or "").strip()
    loop = asyncio.get_running_loop()

    async def read_code() -> str:
        emit(event="askCode", email=email)
        return await loop.run_in_executor(None, sys.stdin.readline)

    client = IskraClient(chosen_api_url(args))
    try:
        if not email:
            raise errors.IskraError("An e-mail address is needed to sign in.")
        token = await login_with_code(
            client, email, read_code, on_wrong_code=lambda text: emit(event="wrongCode",
                                                                      message=text))
    except errors.IskraError as exc:
        emit(event="error", message=mask(for_the_command_line(exc)))
        return 1
    finally:
        await client.aclose()
    emit(event="signedIn", token=token)
    return 0


async def verify(client: Any, *, quiet_failure: bool = False) -> str:
    """Check the token with /auth/me; a 401 is fatal, an unreachable service is not."""
    try:
        account = await client.me()
    except errors.TokenRejected:
        raise
    except errors.IskraError as exc:
        if quiet_failure:
            return ""
        reason = mask(for_the_command_line(exc)).rstrip(".")
        return f"Could not verify the token now: {reason}. Stored it anyway."
    tier = f" ({account.tier} tier)" if account.tier else ""
    return f"Signed in as {account.email or 'an Iskra user'}{tier}."


def logout() -> int:
    store = token_store()
    if store.clear():
        print(f"Signed out: removed {store.token_file}")
    else:
        print(f"No stored token at {store.token_file}; nothing to do.")
    env_note()
    return 0


async def status(args: argparse.Namespace) -> int:
    """The account's day: ``/auth/me`` from the API root the token belongs to, and the
    machine's ledger (requests by kind of every editor, the automatic share, the reset)."""
    from iskra_ls.account.token_binding import token_root
    from iskra_ls.api.auth import resolve_token
    from iskra_ls.api.client import IskraClient
    from iskra_ls.settings import DEFAULT_API_URL

    store = token_store()
    choice = resolve_token(None, store)
    if choice.token is None:
        if choice.refused:
            raise errors.IskraError(choice.refused[-1].removeprefix("Iskra: "))
        raise errors.NotSignedIn("Not signed in to Iskra: run `iskra-ls login` "
                                 "(or set ISKRA_TOKEN).")
    for refusal in choice.refused:
        print(f"Note: {refusal.removeprefix('Iskra: ')}")
    explicit = getattr(args, "api_url", None) or os.environ.get("ISKRA_API_URL")
    root = checked_url(token_root(choice.source, store.api_root,
                                   checked_url(explicit or DEFAULT_API_URL)))
    api_url = chosen_api_url(args, fallback=root)
    # The client refuses to send the token anywhere but the root it was issued for.
    client = IskraClient(api_url, choice.token, token_root=root)
    asked_at = time.time()
    try:
        account = await client.me()
    finally:
        await client.aclose()
    machine = machine_day(store, choice.token, api_url, account, asked_at)
    if args.json:
        print(json.dumps({**account.to_me(), "machine": machine}, indent=2))
        return 0
    print(f"Signed in as {account.email or 'unknown'} ({account.tier or 'unknown'} tier; "
          f"token from the {choice.source})")
    print(f"Requests today: {num(account.requests_today)} of {num(account.limit)}, "
          f"{num(account.remaining)} remaining")
    if account.tokens_today is not None:
        print(f"Tokens today: {account.tokens_today}")
    if machine:
        kinds = machine["byKind"]
        print(f"On this machine today: {kinds['automatic']} automatic, {kinds['invoked']} "
              f"invoked, {kinds['action']} action")
        print(f"Automatic completions: {machine['automaticLeft']} of "
              f"{machine['automaticShare']} left (autoBudget {machine['autoBudget']:g})")
    if account.remaining == 0:
        print(f"The daily limit is reached: requests resume when the quota {reset_time()}.")
    else:
        print(f"The quota {reset_time()}.")
    return 0


def machine_day(store: Any, token: str, api_url: str, account: Any,
                 asked_at: float) -> dict[str, Any]:
    """Today on this machine, from the ledger every editor reserves through ({} without one)."""
    from iskra_ls.account.budget import Figures, iso_utc
    from iskra_ls.account.ledger import account_of, ledger_in
    from iskra_ls.api.auth import folder_problem

    if folder_problem(store.directory) is not None or not store.directory.is_dir():
        return {}
    ledger = ledger_in(store.directory)
    try:
        key, mark = account_of(token, api_url)
        figures = Figures(asked_at, account.email, account.tier, account.limit,
                          account.requests_today, account.remaining)
        usage = ledger.record_figures(key, api_url, figures, mark, time.time())
        budget = ledger.auto_budget(key)
    finally:
        ledger.close()
    budget = 0.5 if budget is None else budget
    return {
        "byKind": dict(usage.by_kind),
        "automaticShare": usage.automatic_share(budget),
        "automaticLeft": usage.automatic_left(budget),
        "autoBudget": budget,
        "resetsAt": iso_utc(usage.resets_at),
        "planKnown": usage.plan_known,
    }


def reset_time(now: dt.datetime | None = None) -> str:
    """When Iskra's quota day ends (midnight UTC), also in local time."""
    now = now or dt.datetime.now(dt.UTC)
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
    minutes = max(1, int((midnight - now).total_seconds() + 59) // 60)
    hours, minutes = divmod(minutes, 60)
    left = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    local = midnight.astimezone().strftime("%H:%M")
    return f"resets at 00:00 UTC (in {left}; {local} local time)"


def num(value: int | None) -> str:
    return "?" if value is None else str(value)
