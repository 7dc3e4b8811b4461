"""The trainer library: what a training job uses to write its result directory and take commands.

Modules, one job each: ``run`` (the Run object), ``logfile`` (append-in-place ``log``),
``status`` (status + heartbeat), ``commands`` (inbox/outbox), ``distributed`` (sharing commands
between ranks), ``hyperparams`` (validated optimizer changes), ``snapshot``, ``images`` (PNG
assets), ``progress`` (terminal bar). None of them imports torch at module level.
"""
