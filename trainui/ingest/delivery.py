"""Commands reach a job through its inbox: the one place that writes and withdraws inbox files,
after the store has committed what they reflect (a command is stored before it is delivered)."""
from __future__ import annotations

import logging
import os

from .. import protocol
from ..protocol.safe_io import remove_inside
from ..store import Applied, values

log = logging.getLogger("trainui.ingest")
_warned: set[str] = set()  # commands whose failed delivery was logged (then it is the result's ingest error)


def carry_out(result_dir: str, applied: Applied) -> None:
    """Deliver the commands the store says are due, withdraw the ones it closed. A failed write is
    logged and retried on the next pass (the command stays PENDING and undelivered)."""
    for record in applied.deliver:
        record.body = values.servable(record.body)  # stored before the store checked bodies: sent repaired
        try:
            protocol.deliver_command(result_dir, record)
        except OSError as error:
            if record.uid not in _warned and len(_warned) < 10_000:
                _warned.add(record.uid)
                log.warning("command %s not yet delivered to %s: %s", record.uid, result_dir, error)
    for uid in applied.withdraw:
        try:
            remove_inside(result_dir, os.path.join(protocol.COMMANDS_INBOX, f"{uid}.json"))
        except FileNotFoundError:
            pass
        except OSError as error:
            log.warning("cannot remove the inbox file of command %s in %s: %s", uid, result_dir, error)
