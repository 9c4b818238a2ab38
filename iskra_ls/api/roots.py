"""API roots: which addresses the token may travel to (pure; no network).

The token is a bearer credential, so two rules hold wherever a URL is chosen
(settings validation, the client, the session's token binding):

- plain ``http://`` only to this machine (``localhost``, ``127.0.0.0/8``,
  ``::1``): anywhere else the token and the user's code would travel in clear;
- a token belongs to the API root it was issued for; roots are compared in
  :func:`normalise_root` form (scheme and host lower-cased, default port and
  trailing slash dropped).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_loopback_host(host: str) -> bool:
    """``localhost`` (and its subdomains), ``127.0.0.0/8`` or ``::1``."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be an API root, or ``None`` when it can."""
    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # raises on a bad port
    except ValueError:
        return "not a valid URL"
    if parts.scheme not in ("http", "https"):
        return "must start with https:// (or http:// for this machine)"
    if not parts.hostname:
        return "has no host"
    if parts.username or parts.password:
        return "must not carry a user name or password"
    if parts.query or parts.fragment:
        return "must not have a query or fragment"
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return "plain http:// is allowed only for this machine (localhost, 127.0.0.1, ::1)"
    return None


def normalise_root(url: str) -> str:
    """``scheme://host[:port]/path`` lower-cased where case does not matter, no trailing ``/``."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def same_root(a: str | None, b: str | None) -> bool:
    """Whether two API roots are the same address."""
    return bool(a) and bool(b) and normalise_root(a or "") == normalise_root(b or "")


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` (for redirect checks and messages)."""
    root = normalise_root(url)
    scheme, _, rest = root.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
