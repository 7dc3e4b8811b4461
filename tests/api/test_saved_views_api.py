"""Saved views through the API (fast tier): saved, listed, opened, renamed, replaced and deleted,
names unique per project, bounded states and counts, and every bad request a clear 4xx, on SQLite
and on a real PostgreSQL."""
from __future__ import annotations

import pytest

from trainui.store import views as view_rules

STATE = {"runs": [3, 5], "pin": [7], "q": "lr>0.01 name~sweep", "filters": {"arg:optimizer": "adam"},
         "group": "optimizer", "grouped": True, "x": "epoch", "smoothing": 0.6, "logY": True, "tab": "charts",
         "charts": [{"left": ["main/loss"], "right": ["lr"], "zoom": [10, 40.5]}, {"left": ["main/accuracy"]}],
         "color": "lr"}


@pytest.fixture
def project(app_on_both, tmp_path):
    (tmp_path / "project").mkdir()
    status, body = app_on_both.api("POST", "projects", json={"path": str(tmp_path / "project"), "name": "p"})
    assert status == 201, body
    return app_on_both, body["project"]["id"]


def test_a_view_is_saved_listed_opened_renamed_replaced_and_deleted(project):
    app, pid = project
    status, body = app.api("POST", f"projects/{pid}/views", json={"name": "  best runs ", "state": STATE})
    assert status == 201, body
    view = body["view"]
    assert view["name"] == "best runs" and view["state"] == STATE and view["project_id"] == pid

    status, body = app.api("GET", f"projects/{pid}/views")
    assert status == 200
    assert [(v["id"], v["name"]) for v in body["views"]] == [(view["id"], "best runs")]
    assert "state" not in body["views"][0]  # the list is names; opening one reads its state

    status, body = app.api("GET", f"projects/{pid}/views/{view['id']}")
    assert (status, body["view"]["state"]) == (200, STATE)

    status, body = app.api("PATCH", f"projects/{pid}/views/{view['id']}", json={"name": "sweep"})
    assert (status, body["view"]["name"], body["view"]["state"]) == (200, "sweep", STATE)
    status, body = app.api("PATCH", f"projects/{pid}/views/{view['id']}", json={"state": {"group": "lr"}})
    assert (status, body["view"]["state"]) == (200, {"group": "lr"})
    assert body["view"]["updated_at"] >= view["updated_at"]

    status, _ = app.api("DELETE", f"projects/{pid}/views/{view['id']}")
    assert status == 204
    status, body = app.api("GET", f"projects/{pid}/views/{view['id']}")
    assert status == 404 and body["error"] == "not_found"
    assert app.api("GET", f"projects/{pid}/views")[1]["views"] == []


def test_names_are_unique_per_project_and_listed_by_name(project, tmp_path):
    app, pid = project
    (tmp_path / "other").mkdir()
    other = app.api("POST", "projects", json={"path": str(tmp_path / "other"), "name": "o"})[1]["project"]["id"]
    for name in ("zeta", "Alpha", "beta"):
        assert app.api("POST", f"projects/{pid}/views", json={"name": name, "state": {}})[0] == 201
    status, body = app.api("POST", f"projects/{pid}/views", json={"name": "beta ", "state": {"q": "x"}})
    assert status == 409 and "beta" in body["message"]
    assert app.api("POST", f"projects/{other}/views", json={"name": "beta", "state": {}})[0] == 201
    listed = app.api("GET", f"projects/{pid}/views")[1]["views"]
    assert [v["name"] for v in listed] == ["Alpha", "beta", "zeta"]
    zeta = listed[2]["id"]
    status, body = app.api("PATCH", f"projects/{pid}/views/{zeta}", json={"name": "Alpha"})
    assert status == 409
    assert app.api("GET", f"projects/{pid}/views/{zeta}")[1]["view"]["name"] == "zeta"  # nothing changed
    # a view is reached through its own project only
    assert app.api("GET", f"projects/{other}/views/{zeta}")[0] == 404
    assert app.api("DELETE", f"projects/{other}/views/{zeta}")[0] == 404
    assert app.api("GET", f"projects/{pid}/views/{zeta}")[0] == 200


@pytest.mark.parametrize("body, field", [
    ({"state": {}}, "name"),
    ({"name": "", "state": {}}, "name"),
    ({"name": "   ", "state": {}}, "name"),
    ({"name": "x" * 256, "state": {}}, "name"),
    ({"name": "a\x00b", "state": {}}, "name"),
    ({"name": "v"}, "state"),
    ({"name": "v", "state": []}, "state"),
    ({"name": "v", "state": {"runs": ["3"]}}, "runs"),
    ({"name": "v", "state": {"tab": "elsewhere"}}, "tab"),
    ({"name": "v", "state": {"smoothing": 2}}, "smoothing"),
    ({"name": "v", "state": {"charts": [{"right": ["a"]}]}}, "left"),
    ({"name": "v", "state": {"charts": [{"left": ["a"], "zoom": [1, 2, 3]}]}}, "zoom"),
    ({"name": "v", "state": {"sneaky": 1}}, "sneaky"),
    ({"name": "v", "state": {}, "extra": 1}, "extra"),
])
def test_a_bad_body_is_a_400_naming_the_field_and_nothing_is_stored(project, body, field):
    app, pid = project
    status, answer = app.api("POST", f"projects/{pid}/views", json=body)
    assert status == 400, answer
    assert field in answer["message"]
    assert app.api("GET", f"projects/{pid}/views")[1]["views"] == []


def test_a_state_too_large_or_one_view_too_many_is_refused_clearly(project, monkeypatch):
    app, pid = project
    huge = {"q": "x" * 4000, "filters": {f"arg:k{i}": "y" * 1000 for i in range(70)}}
    status, body = app.api("POST", f"projects/{pid}/views", json={"name": "huge", "state": huge})
    assert status == 422 and "65536" in body["message"]
    monkeypatch.setattr(view_rules, "MAX_VIEWS_PER_PROJECT", 2)
    assert app.api("POST", f"projects/{pid}/views", json={"name": "a", "state": {}})[0] == 201
    assert app.api("POST", f"projects/{pid}/views", json={"name": "b", "state": {}})[0] == 201
    status, body = app.api("POST", f"projects/{pid}/views", json={"name": "c", "state": {}})
    assert status == 409 and "at most 2" in body["message"]
    assert [v["name"] for v in app.api("GET", f"projects/{pid}/views")[1]["views"]] == ["a", "b"]


def test_unknown_projects_and_views_are_404s(project):
    app, pid = project
    assert app.api("GET", "projects/999/views")[0] == 404
    assert app.api("POST", "projects/999/views", json={"name": "v", "state": {}})[0] == 404
    assert app.api("PATCH", f"projects/{pid}/views/999", json={"name": "w"})[0] == 404
    assert app.api("DELETE", f"projects/{pid}/views/999")[0] == 404


def test_a_projects_views_go_with_it(project):
    app, pid = project
    assert app.api("POST", f"projects/{pid}/views", json={"name": "v", "state": {}})[0] == 201
    assert app.api("DELETE", f"projects/{pid}")[0] == 204
    assert app.api("GET", f"projects/{pid}/views")[0] == 404
    with app.db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM saved_views").scalar() == 0


def test_the_document_describes_the_routes(project):
    app, _ = project
    paths = app.api("GET", "openapi.json")[1]["paths"]
    assert set(paths["/projects/{project_id}/views"]) >= {"get", "post"}
    assert set(paths["/projects/{project_id}/views/{view_id}"]) >= {"get", "patch", "delete"}


def test_the_document_takes_every_field_the_page_saves():
    """The page stores the fields state/saved-views.js names; the document must take each (else every
    save from the page is a 400), and nothing else."""
    import re
    from pathlib import Path

    from trainui.web.api.openapi import SCHEMAS

    source = (Path(__file__).resolve().parents[2] / "frontend" / "js" / "state" / "saved-views.js").read_text()
    fields = set(re.findall(r"'(\w+)'", re.search(r"const FIELDS = \[(.*?)\];", source).group(1)))
    assert fields | {"charts"} == set(SCHEMAS["ViewState"]["properties"])
