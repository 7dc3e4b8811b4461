"""Every error has a page in the app's own look: an unknown URL answers 404 with the app's "Page not
found" (not the framework's text), a missing result or project says so once and stops asking."""
from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from browser_helpers import wait_until


def status_of(url: str, accept: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", "")


def test_an_unknown_url_answers_404_with_the_apps_own_page(trainui_server, page):
    base = trainui_server.url
    assert status_of(f"{base}no/such/page", "text/html") == (404, "text/html; charset=utf-8")
    assert status_of(f"{base}static/no-such.js", "text/html")[0] == 404  # a missing file is no page
    code, kind = status_of(f"{base}api/v1/nothing", "text/html")
    assert code == 404 and kind.startswith("application/json")  # the API answers in JSON, always

    response = page.goto(f"{base}no/such/page")
    assert response.status == 404
    page.get_by_role("heading", name="Page not found").wait_for()
    assert "/no/such/page" in page.locator("#app").text_content()
    assert page.locator("header").count() == 1  # the app's frame, with its header
    page.get_by_role("link", name="All projects", exact=True).click()
    page.get_by_role("heading", name="Projects").first.wait_for()
    assert page.recorder.errors == []


@pytest.mark.parametrize("kind,text", [("results", "Result 987654 does not exist (it may have been removed)."),
                                       ("projects", "Project 987654 does not exist (it may have been removed).")])
def test_a_missing_result_or_project_says_so_and_stops_polling(trainui_server, page, kind, text):
    page.goto(f"{trainui_server.url}{kind}/987654")
    page.get_by_text(text).wait_for()
    asked = lambda: [r for r in page.recorder.responses if f"/{kind}/987654" in r.url]  # noqa: E731
    wait_until(asked, page=page)
    page.wait_for_timeout(1000)  # what the page asked for at once (result, commands, assets) has come back
    first = len(asked())
    page.wait_for_timeout(3000)  # a poller that kept going would ask again within this
    assert len(asked()) == first
    assert page.get_by_role("link", name="All projects", exact=True).count() == 1
    assert page.recorder.errors == []
