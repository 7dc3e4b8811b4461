"""Typed SQLAlchemy models. ORM objects stay inside the store; callers get plain dicts."""
from __future__ import annotations

import time
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, Float, ForeignKey, Integer, LargeBinary, MetaData, String,
                        Text, UniqueConstraint, Index)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def now() -> float:
    return time.time()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    path: Mapped[str] = mapped_column(String(4096), unique=True)
    created_at: Mapped[float] = mapped_column(Float, default=now)

    results: Mapped[list["Result"]] = relationship(back_populates="project", cascade="all, delete-orphan",
                                                   passive_deletes=True)


class Result(Base):
    """One result directory. Ingestion progress (offsets, fingerprint) lives here so that it commits
    in the same transaction as the data it describes: a killed server resumes exactly where it was."""

    __tablename__ = "results"
    __table_args__ = (UniqueConstraint("project_id", "path", name="uq_results_project_id_path"),
                      UniqueConstraint("project_id", "run_uid", name="uq_results_project_id_run_uid"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(4096))
    name: Mapped[str] = mapped_column(String(255))
    # "file": ingested from a directory the server reads; "http": shipped by a remote job's uploader,
    # which names it by run_uid (its path is then the server's folder for the run's images).
    source: Mapped[str] = mapped_column(String(16), default="file", server_default="file")
    run_uid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    unregistered: Mapped[bool] = mapped_column(Boolean, default=False)
    missing: Mapped[bool] = mapped_column(Boolean, default=False)
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    entry_count: Mapped[int] = mapped_column(Integer, default=0)
    log_offset: Mapped[int] = mapped_column(BigInteger, default=0)
    log_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    log_generation: Mapped[int] = mapped_column(Integer, default=0)  # bumped when a replaced log is re-read
    assets_offset: Mapped[int] = mapped_column(BigInteger, default=0)
    # Where each TensorBoard event file was read to (store.batch.EventsPart): {} for a run without any.
    events_cursor: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    ingest_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Labels: the job's .trainui/labels.json seeds each until a user edits it (the time of that
    # edit); from then on the user's edits win and the job's file no longer changes it.
    tags: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    tags_edited_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    notes_edited_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    job: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    heartbeat_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[float] = mapped_column(Float, default=now)
    updated_at: Mapped[float] = mapped_column(Float, default=now)

    project: Mapped[Project] = relationship(back_populates="results")


class MetricBlock(Base):
    """Up to BLOCK_SIZE points of one key of one result: entry indices and values as packed arrays,
    after summaries of them. Appending a point touches one small row; reading a 100k-point series
    reads ~100 rows; a chart of any window of it reads only summaries (store.window_series)."""

    __tablename__ = "metric_blocks"

    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    block_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    first_index: Mapped[int] = mapped_column(Integer)
    # The block's extremes and the entries holding them (NULL when every value is NaN; a NULL
    # value with its entry set is an infinity, which not every database stores).
    min_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    min_index: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    max_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_index: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Finer and coarser summaries (store.block_summary): the block's last entry, how many of its
    # values are NaN, and per 64-point segment its extremes, their entries and its first NaN,
    # packed (768 bytes). NULL in blocks written before revision 0003: those are decoded instead.
    last_index: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    nan_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    segments: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # On the last block of each full group of 64 (block_no % 64 == 63): the same summary of the
    # whole group (65,536 points, 72 bytes), so that a series of 100M entries is charted from
    # 1,500 rows.
    group_summary: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # The points, last: SQLite keeps a row's first bytes in its page and the rest in a chain of
    # overflow pages, so every column above is read without walking the 16 kB of points.
    indices: Mapped[bytes] = mapped_column(LargeBinary)
    values: Mapped[bytes] = mapped_column(LargeBinary)


class Command(Base):
    __tablename__ = "commands"
    __table_args__ = (Index("ix_commands_result_id_status", "result_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    schedule: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="PENDING")
    created_at: Mapped[float] = mapped_column(Float, default=now)
    responded_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    iteration: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    epoch: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    ranks: Mapped[int | None] = mapped_column(Integer, nullable=True)
    elapsed_time: Mapped[float | None] = mapped_column(Float, nullable=True)  # the job's clock when applied


class Snapshot(Base):
    __tablename__ = "snapshots"
    __table_args__ = (UniqueConstraint("result_id", "name", name="uq_snapshots_result_id_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(1024))
    iteration: Mapped[int] = mapped_column(BigInteger)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[float] = mapped_column(Float, default=now)


class Asset(Base):
    __tablename__ = "assets"
    __table_args__ = (UniqueConstraint("result_id", "path", name="uq_assets_result_id_path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(255))
    step: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32), default="image")
    path: Mapped[str] = mapped_column(String(4096))
    iteration: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    epoch: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[float] = mapped_column(Float, default=now)
    # An image a remote job uploaded is kept in the database itself (a few kB each): every replica
    # of a scaled-out server can serve it. Files in a result directory stay files (data is NULL).
    data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)


class Token(Base):
    """An access token, stored as its SHA-256 (the token itself is shown once, when made)."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=True)
    label: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[float] = mapped_column(Float, default=now)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Rule(Base):
    """An automation: a condition on one metric of the project's runs (or of one run), an action,
    limits. ``definition`` is the checked JSON (rules/definition.py) apart from the columns below."""

    __tablename__ = "rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    result_id: Mapped[int | None] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), nullable=True)
    name: Mapped[str] = mapped_column(String(255))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[float] = mapped_column(Float, default=now)
    updated_at: Mapped[float] = mapped_column(Float, default=now)


class RuleState(Base):
    """Where a rule stands on one run: the condition's state after the entries it has seen, and
    its firings so far. Written in the transaction that applies those entries (exactly once)."""

    __tablename__ = "rule_states"

    rule_id: Mapped[int] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"), primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)  # the result's log generation it follows
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    firings: Mapped[int] = mapped_column(Integer, default=0)
    last_x: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class Firing(Base):
    """A rule fired on a run: the entry that set it off, what it did (a command, or only a mark),
    or why it did nothing (a dry run, a refusal)."""

    __tablename__ = "firings"
    __table_args__ = (UniqueConstraint("rule_id", "result_id", "generation", "entry",
                                       name="uq_firings_rule_id_result_id_generation_entry"),
                      Index("ix_firings_result_id", "result_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"))
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"))
    generation: Mapped[int] = mapped_column(Integer, default=0)
    entry: Mapped[int] = mapped_column(BigInteger)
    x: Mapped[float | None] = mapped_column(Float, nullable=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str] = mapped_column(String(32))
    # sent, marked, dry_run, refused; a webhook's: queued (its next attempt due at next_attempt_at),
    # notified, failed (after its last attempt)
    outcome: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text, default="")
    command_id: Mapped[int | None] = mapped_column(ForeignKey("commands.id", ondelete="SET NULL"), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[float | None] = mapped_column(Float, nullable=True, index=True)
    created_at: Mapped[float] = mapped_column(Float, default=now)


class SavedView(Base):
    """A named view of a project's page (the state its URL holds: charts, selection, group, zoom),
    stored here rather than in one browser so that everyone using the server shares it."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_saved_views_project_id_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[float] = mapped_column(Float, default=now)
    updated_at: Mapped[float] = mapped_column(Float, default=now)
