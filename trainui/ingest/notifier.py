"""The webhooks of rules that fired, posted from their own thread: a slow or failing receiver
never holds up ingestion or command delivery; a failed post is retried with a growing delay
(store/rules/notifications.py keeps the count), and each attempt is recorded on its firing."""
from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request

from ..store import Store, first_line

log = logging.getLogger("trainui.ingest")
TIMEOUT = 5.0
PASS_EVERY = 1.0


def post(url: str, payload: dict, timeout: float = TIMEOUT) -> tuple[bool, str]:
    """POST ``payload`` as JSON; (whether the receiver took it, what it said)."""
    request = urllib.request.Request(url, data=json.dumps(payload).encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "trainui"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) only: definition.URL)
            return 200 <= response.status < 300, f"HTTP {response.status}"
    except urllib.error.HTTPError as error:
        return False, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return False, str(getattr(error, "reason", error))[:200]


class Notifier:
    def __init__(self, store: Store):
        self.store = store
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def start(self) -> "Notifier":
        self._thread = threading.Thread(target=self._work, name="trainui-notifier", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT + 1)

    def run_pending(self) -> int:
        """Post what is due now, in the calling thread; returns how many were tried."""
        due = self.store.rules.claim_notifications()
        for notification in due:
            ok, detail = post(notification.url, notification.payload)
            self.store.rules.record_attempt(notification.firing_id, ok, detail)
        return len(due)

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_pending()
                self._failing = False
            except Exception as error:  # a database away: said once, tried again
                if not self._failing:
                    self._failing = True
                    log.warning("cannot send the rules' webhooks now (%s); trying again", first_line(error))
            self._stop.wait(PASS_EVERY)
