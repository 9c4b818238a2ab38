"""Which model ids the service serves: ``GET <root>/ai/v1/models`` (OpenAI's list shape).

The known list in :data:`iskra_ls.settings.MODELS` is checked offline; this asks the
service when it is reachable, so a retired or misspelt id is named with the ones that
are available. An unreachable service or a missing endpoint is not an error: the
check is skipped (``None``).
"""

from __future__ import annotations

import logging
from typing import Any

from iskra_ls.api.client import IskraClient

log = logging.getLogger(__name__)

MODELS_TIMEOUT_S = 10.0


def model_ids(body: Any) -> list[str] | None:
    """The ids in ``{"data": [{"id": ...}, ...]}`` (or a bare list); ``None`` if unusable."""
    items = body.get("data") if isinstance(body, dict) else body
    if not isinstance(items, list):
        return None
    ids = [item.get("id") if isinstance(item, dict) else item for item in items]
    found = [value for value in ids if isinstance(value, str) and value]
    return found or None


async def available_models(
    client: IskraClient, *, timeout: float = MODELS_TIMEOUT_S
) -> list[str] | None:
    """The service's model ids, or ``None`` when it cannot tell (offline, no endpoint)."""
    from openai import omit

    # With a token, the client's own checks decide whether it may go to this root;
    # without one, no Authorization header at all.
    signed_in = bool(client.token)
    extra = None if signed_in else {"headers": {"Authorization": omit}}
    try:
        body = await client._send(
            "GET",
            f"{client.api_url}/ai/v1/models",
            timeout=timeout,
            need_token=signed_in,
            extra=extra,
        )
    except Exception as exc:  # any failure (offline, 404, token for another root) skips it
        log.debug("model list unavailable from %s: %s", client.api_url, exc)
        return None
    return model_ids(body)
