"""HTTP to a trainui server for the job's uploader, with the standard library alone.

A training environment must not need ``requests``: ``urllib.request`` sends, and honours the usual
``HTTP(S)_PROXY``/``NO_PROXY`` variables. Failures come in two kinds the uploader treats
differently: ``Unreachable`` (no answer, a timeout, a 5xx, a 429: wait and send the same thing
again) and ``Refused`` (the server answered 4xx: sending it again will not help).
"""
from __future__ import annotations

import http.client
import json
import random
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from trainui import protocol

API_PREFIX = "/api/v1/"
RETRYABLE_STATUSES = (408, 425, 429)


class Unreachable(Exception):
    """The server did not answer usefully; the same request may succeed later."""


class Refused(Exception):
    """The server answered with a 4xx; ``status``, ``code`` and ``body`` say why."""

    def __init__(self, status: int, code: str, message: str, body: Any = None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.body = status, code, message, body


class Api:
    """One trainui server's API, as one token (or none, on a loopback server started without one)."""

    def __init__(self, server: str, token: str | None = None, timeout: float = 30.0, agent: str = "trainui-job"):
        self.server = normalize_server(server)
        self.token = token or None
        self.timeout = timeout
        self.agent = agent
        self._opener = urllib.request.build_opener()

    def call(self, method: str, path: str, body: Any = None, *, query: dict | None = None,
             data: bytes | None = None, content_type: str = "application/json",
             timeout: float | None = None) -> Any:
        """Send one request; the parsed JSON answer of a 2xx (None without a body)."""
        url = self.server + API_PREFIX + path.lstrip("/")
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        if body is not None:
            data = encode_json(body)
        headers = {"Accept": "application/json", "User-Agent": self.agent}
        if data is not None:
            headers["Content-Type"] = content_type
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout if timeout is None else timeout) as response:
                return _parse(response.read())
        except urllib.error.HTTPError as error:
            raise _classify(error) from None
        except (urllib.error.URLError, http.client.HTTPException, socket.timeout, TimeoutError,
                ConnectionError, OSError) as error:
            raise Unreachable(_reason(error)) from None


def encode_json(obj: Any) -> bytes:
    """Compact JSON; NaN and infinities (a Chainer log may hold them) as null, like every trainui file."""
    try:
        return _ENCODER.encode(obj).encode("utf-8")
    except ValueError:
        return protocol.dumps(obj).encode("utf-8")


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def normalize_server(server: str) -> str:
    """'host:5000' -> 'http://host:5000'; no trailing slash; a sub-path (reverse proxy) is kept."""
    server = (server or "").strip()
    if not server:
        raise ValueError("the trainui server address is empty")
    if "://" not in server:
        server = "http://" + server
    parts = urllib.parse.urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"the trainui server address {server!r} is not an http(s) URL")
    return server.rstrip("/")


class Backoff:
    """Growing waits between retries (with jitter, so many jobs do not retry in step), reset on
    success: a server that is back is caught up with at once, a dead one is asked rarely."""

    def __init__(self, initial: float = 0.5, maximum: float = 10.0, factor: float = 2.0, jitter: float = 0.2):
        self.initial, self.maximum, self.factor, self.jitter = initial, maximum, factor, jitter
        self._next = initial
        self.failures = 0

    def next(self) -> float:
        wait = self._next
        self._next = min(self.maximum, self._next * self.factor)
        self.failures += 1
        return wait * (1 + random.uniform(-self.jitter, self.jitter))

    def reset(self) -> None:
        self._next = self.initial
        self.failures = 0


def _parse(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except ValueError:
        raise Unreachable("the server answered with something that is not JSON") from None


def _classify(error: urllib.error.HTTPError) -> Exception:
    try:
        raw = error.read()
    except (OSError, http.client.HTTPException):
        raw = b""
    if error.code >= 500 or error.code in RETRYABLE_STATUSES:
        return Unreachable(f"the server answered {error.code}")
    try:
        body = json.loads(raw.decode("utf-8")) if raw else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        return Refused(error.code, str(body.get("error", "")), str(body.get("message", "")), body)
    return Refused(error.code, "", raw[:200].decode("utf-8", errors="replace"), body)


def _reason(error: Exception) -> str:
    reason = getattr(error, "reason", None) or error
    return str(reason) or type(error).__name__
