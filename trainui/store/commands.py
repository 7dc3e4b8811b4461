"""Commands: stored here first (PENDING), then delivered to the job; each ends with one response."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from .. import protocol
from .changes import ANSWER, COMMAND
from .database import Database, database_of
from .errors import Conflict, Invalid
from .models import Command, Result, now
from .results import get_result_row, reads_event_files

MAX_BODY_CHARS = 64_000


def command_dict(c: Command) -> dict:
    return {"id": c.id, "uid": c.uid, "result_id": c.result_id, "name": c.name, "body": c.body,
            "schedule": c.schedule, "status": c.status, "created_at": c.created_at,
            "responded_at": c.responded_at, "response": c.response, "iteration": c.iteration,
            "epoch": c.epoch, "ranks": c.ranks}


def create_command(session: Session, result_id: int, payload: dict) -> dict:
    """Validate and store a command (PENDING). The delivery loop writes it to the job's inbox (an
    HTTP job's long poll takes it); the notice published here wakes either at once (in this
    process or, on PostgreSQL, in any)."""
    result = get_result_row(session, result_id)
    name, body, schedule = payload.get("name"), payload.get("body", {}), payload.get("schedule")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise Invalid("'name' must be a command name (1 to 255 characters)")
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise Invalid(f"'body' must be an object, got {type(body).__name__}")
    if len(protocol.dumps(body)) > MAX_BODY_CHARS:
        raise Invalid("'body' is too large")
    if schedule is not None:
        try:
            schedule = protocol.validate_schedule(schedule)
        except ValueError as error:
            raise Invalid(str(error)) from error
    if result.status is None and reads_event_files(result.events_cursor):
        raise Conflict(f"result {result_id} is read from TensorBoard event files and takes no commands: its "
                       "script writes with SummaryWriter and does not use trainui.Run, which applies commands")
    if result.status != protocol.RUNNING:
        raise Conflict(f"result {result_id} is not running (status: {result.status or 'unknown'}); "
                       "commands go to running jobs only")
    command = Command(uid=uuid.uuid4().hex, result_id=result_id, name=name.strip(), body=body,
                      schedule=schedule, status=protocol.PENDING, created_at=now())
    session.add(command)
    session.flush()
    database_of(session).changes.publish(session, COMMAND, result.id, result.project_id)
    return command_dict(command)


def list_commands(session: Session, result_id: int) -> list[dict]:
    get_result_row(session, result_id)
    rows = session.scalars(select(Command).where(Command.result_id == result_id).order_by(Command.id))
    return [command_dict(c) for c in rows]


def pending_commands(session: Session, result_id: int) -> list[Command]:
    return list(session.scalars(select(Command).where(
        Command.result_id == result_id, Command.status == protocol.PENDING).order_by(Command.id)))


def record_for(command: Command) -> protocol.CommandRecord:
    return protocol.CommandRecord(uid=command.uid, name=command.name, body=command.body or {},
                                  schedule=command.schedule, created_at=command.created_at)


@dataclass
class Outstanding:
    """What the delivery of one result needs: whether its job runs, and its PENDING commands."""

    running: bool
    commands: list[protocol.CommandRecord]


def outstanding(db: Database, result_id: int) -> Outstanding | None:
    """A result's open commands, in one query (None: the result is gone). A command is read as
    the job will see it; nothing else of the result is read."""
    with db.session() as s:
        rows = s.execute(select(Result.status, Command.uid, Command.name, Command.body, Command.schedule,
                                Command.created_at).outerjoin(
            Command, and_(Command.result_id == Result.id, Command.status == protocol.PENDING))
            .where(Result.id == result_id).order_by(Command.id)).all()
    if not rows:
        return None
    return Outstanding(running=rows[0].status == protocol.RUNNING, commands=[
        protocol.CommandRecord(uid=r.uid, name=r.name, body=r.body or {}, schedule=r.schedule, created_at=r.created_at)
        for r in rows if r.uid is not None])


def open_command_results(session: Session) -> set[int]:
    """Results read from a directory that have PENDING commands (the delivery poller's fallback)."""
    return set(session.scalars(select(Command.result_id).join(Result, Result.id == Command.result_id)
                               .where(Command.status == protocol.PENDING, Result.source == "file").distinct()))


def settle(session: Session, result_id: int, project_id: int, job_status: str | None,
           answers: list[protocol.CommandResponse]) -> list[str]:
    """Record the job's answers to PENDING commands, then, if the job is not running, cancel the
    rest: nothing will answer them. Each command is closed once (compare-and-set on PENDING, so an
    answer seen twice, or by two processes, is recorded once). The one call for answers from a
    job's outbox and from an uploaded batch. Returns the uids closed now."""
    closed = []
    for answer in answers:
        done = session.execute(update(Command).where(
            Command.result_id == result_id, Command.uid == answer.uid, Command.status == protocol.PENDING).values(
            status=answer.status, responded_at=answer.applied_at, response=answer.body, iteration=answer.iteration,
            epoch=answer.epoch, ranks=answer.ranks).execution_options(synchronize_session=False))
        if done.rowcount:
            closed.append(answer.uid)
    if job_status != protocol.RUNNING:
        rest = list(session.scalars(select(Command.uid).where(Command.result_id == result_id,
                                                              Command.status == protocol.PENDING)))
        if rest:
            session.execute(update(Command).where(Command.uid.in_(rest), Command.status == protocol.PENDING).values(
                status=protocol.CANCELLED, responded_at=now(),
                response={"message": f"the job {_ended_as(job_status)}; the command was never applied"})
                .execution_options(synchronize_session=False))
            closed.extend(rest)
    if closed:  # pages are told; the delivery loop is not woken by what it closed itself
        database_of(session).changes.publish(session, ANSWER, result_id, project_id)
    return closed


def open_count(session: Session, result_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Command).where(
        Command.result_id == result_id, Command.status == protocol.PENDING)) or 0


def record_answers(db: Database, result_id: int, answers: list[protocol.CommandResponse]) -> list[str]:
    """``settle`` in a transaction of its own (a file job's outbox answers); returns the uids closed."""
    with db.session(write=True) as s:
        row = s.execute(select(Result.project_id, Result.status).where(Result.id == result_id)).first()
        return settle(s, result_id, row.project_id, row.status, answers) if row is not None else []


def _ended_as(status: str | None) -> str:
    return {protocol.CRASHED: "crashed", protocol.FINISHED: "finished", protocol.STOPPED: "was stopped"}.get(
        status or "", "is gone")


def import_history(session: Session, result_id: int, rows: list[dict]) -> None:
    """Record commands another tool applied (ChainerUI's `commands` file); uids are scoped per result."""
    if not rows:
        return
    prefix = f"{result_id}:"
    known = {c.uid: c for c in session.scalars(select(Command).where(
        Command.result_id == result_id, Command.uid.like(prefix + "chainerui-%")))}
    for row in rows:
        uid = prefix + row["uid"]
        command = known.get(uid)
        if command is None:
            known[uid] = Command(result_id=result_id, **{**row, "uid": uid}, created_at=now(), responded_at=now())
            session.add(known[uid])
        elif command.status != row["status"]:  # a ChainerUI job answered since
            command.status, command.response = row["status"], row["response"]
            command.iteration, command.epoch, command.responded_at = row["iteration"], row["epoch"], now()


def cancel(command: Command, reason: str) -> None:
    command.status = protocol.CANCELLED
    command.responded_at = now()
    command.response = {"message": reason}
