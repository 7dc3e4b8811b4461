"""Snapshots and assets: files inside a result directory that the API lists and serves."""
from __future__ import annotations

import os

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .changes import RESULT
from .database import database_of
from .errors import NotFound
from .models import Asset, Result, Snapshot
from .results import get_result_row, snapshot_location
from .values import fs_path


def replace_snapshots(session: Session, result_id: int, found: list[tuple[str, int, int, float]]) -> None:
    """Make the stored snapshot list equal to ``found`` (name, iteration, size, mtime)."""
    stored = {s.name: s for s in session.scalars(select(Snapshot).where(Snapshot.result_id == result_id))}
    names = {name for name, *_ in found}
    for name, snapshot in stored.items():
        if name not in names:
            session.delete(snapshot)
    for name, iteration, size, mtime in found:
        snapshot = stored.get(name)
        if snapshot is None:
            session.add(Snapshot(result_id=result_id, name=name, iteration=iteration, size=size, created_at=mtime))
        elif snapshot.size != size:
            snapshot.size = size


def add_assets(session: Session, result_id: int, records: list[dict]) -> None:
    known = set(session.scalars(select(Asset.path).where(Asset.result_id == result_id)))
    for rec in records:
        if rec["path"] in known:
            continue
        known.add(rec["path"])
        session.add(Asset(result_id=result_id, **rec))


def clear_assets(session: Session, result_id: int) -> None:
    session.execute(delete(Asset).where(Asset.result_id == result_id))


def clear_event_images(session: Session, result_id: int) -> None:
    """The images read from a file result's event files (the only assets of such a result whose
    bytes the database keeps), not those its job recorded in the assets index."""
    session.execute(delete(Asset).where(Asset.result_id == result_id, Asset.data.is_not(None)))


def list_assets(session: Session, result_id: int, tag: str | None = None) -> list[dict]:
    get_result_row(session, result_id)
    query = select(Asset).where(Asset.result_id == result_id)
    if tag:
        query = query.where(Asset.tag == tag)
    return [{"id": a.id, "tag": a.tag, "step": a.step, "iteration": a.iteration, "epoch": a.epoch,
             "kind": a.kind, "created_at": a.created_at, "url": f"assets/{a.id}/file"}
            for a in session.scalars(query.order_by(Asset.tag, Asset.step, Asset.id))]


def assets_across(session: Session, result_ids: list[int], tag: str | None) -> dict:
    """The image tags the results logged, and for ``tag`` (default: the first of them) each
    result's images by step: what a grid of the same image of many runs needs, in one read.
    Ids that name no result are listed as missing."""
    known = set(session.scalars(select(Result.id).where(Result.id.in_(result_ids))))
    tags = sorted(session.scalars(select(Asset.tag).where(Asset.result_id.in_(known)).distinct())) if known else []
    tag = tag if tag else (tags[0] if tags else None)
    by_result: dict[str, list] = {str(rid): [] for rid in result_ids if rid in known}
    if tag is not None and known:
        rows = session.execute(select(Asset.id, Asset.result_id, Asset.step, Asset.iteration)
                               .where(Asset.result_id.in_(known), Asset.tag == tag)
                               .order_by(Asset.result_id, Asset.step, Asset.id))
        for asset_id, result_id, step, iteration in rows:
            by_result[str(result_id)].append({"id": asset_id, "step": step, "iteration": iteration,
                                              "url": f"assets/{asset_id}/file"})
    return {"tags": tags, "tag": tag, "results": by_result, "missing": [rid for rid in result_ids if rid not in known]}


def add_uploaded_asset(session: Session, result_id: int, record: dict, data: bytes) -> dict:
    """An image a remote job uploaded, kept in the database; the same (tag, step) again replaces it."""
    asset = session.scalars(select(Asset).where(Asset.result_id == result_id, Asset.path == record["path"])).first()
    if asset is None:
        asset = Asset(result_id=result_id, **record, data=data)
        session.add(asset)
    else:
        asset.data, asset.iteration, asset.epoch = data, record["iteration"], record["epoch"]
    session.flush()
    database_of(session).changes.publish(session, RESULT, result_id)
    return {"id": asset.id, "tag": asset.tag, "step": asset.step, "iteration": asset.iteration, "epoch": asset.epoch,
            "kind": asset.kind, "created_at": asset.created_at, "url": f"assets/{asset.id}/file"}


def asset_file(session: Session, asset_id: int) -> str | bytes:
    """An asset's bytes (uploaded by a remote job), or the absolute path of its file, guaranteed to
    lie inside its result directory."""
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise NotFound(f"asset {asset_id} does not exist")
    if asset.data is not None:
        return asset.data
    result = session.get(Result, asset.result_id)
    return inside(fs_path(result.path), fs_path(asset.path))


def snapshot_file(session: Session, snapshot_id: int) -> str:
    snapshot = session.get(Snapshot, snapshot_id)
    if snapshot is None:
        raise NotFound(f"snapshot {snapshot_id} does not exist")
    result = get_result_row(session, snapshot.result_id)
    if result.source == "http":
        where = snapshot_location(result, snapshot.name)
        place = f" ({where['host']})" if where["host"] else ""
        at = f" at {where['job_path']}" if where["job_path"] else ""
        raise NotFound(f"{snapshot.name} is on the job's machine{place}{at}: snapshots of a run shipped over "
                       "HTTP are not uploaded")
    return inside(fs_path(result.path), snapshot.name)


def inside(directory: str, relative: str) -> str:
    """Resolve ``relative`` under ``directory``; anything that escapes it (.., links) is not found."""
    root = os.path.realpath(directory)
    target = os.path.realpath(os.path.join(root, relative))
    if os.path.commonpath([root, target]) != root or not os.path.isfile(target):
        raise NotFound("file not found")
    return target
