"""Commands reach a job through its inbox: the one place that writes and withdraws inbox files,
after the store has committed what they reflect (a command is stored before it is delivered)."""
from __future__ import annotations

import logging
import os

from .. import protocol
from ..store.batch import Applied

log = logging.getLogger("trainui.ingest")


def carry_out(result_dir: str, applied: Applied) -> None:
    """Deliver the commands the store says are due, withdraw the ones it closed. A failed write is
    logged and retried on the next pass (the command stays PENDING and undelivered)."""
    for record in applied.deliver:
        try:
            protocol.deliver_command(result_dir, record)
        except OSError as error:
            log.warning("command %s not yet delivered to %s: %s", record.uid, result_dir, error)
    for uid in applied.withdraw:
        try:
            os.remove(protocol.command_inbox_path(result_dir, uid))
        except FileNotFoundError:
            pass
        except OSError as error:
            log.warning("cannot remove the inbox file of command %s in %s: %s", uid, result_dir, error)
