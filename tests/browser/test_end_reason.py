"""Why a run ended is on the page: the result page names a crash's exception and shows its
traceback, the table's status says it on hover, and a short run's elapsed time is not "0s"."""
from __future__ import annotations

import time

import pytest

from browser_helpers import wait_until

torch = pytest.importorskip("torch")

from trainui import Run  # noqa: E402


def test_a_crash_shows_its_exception_and_traceback_on_the_result_page_and_in_the_table(trainui_server, page, tmp_path):
    root = tmp_path / "crashes"
    model = torch.nn.Linear(2, 1)
    with pytest.raises(RuntimeError):
        with Run(str(root / "oom"), model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                 progress=False, handle_signals=False, flush_interval=0) as run:
            for it in range(1, 301):
                run.log({"main/loss": 1.0 / it}, iteration=it)
            time.sleep(0.5)  # it dies half a second after its last entry
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
    project = trainui_server.create_project(root, "crashes")
    crashed = trainui_server.wait_for(lambda: next((r for r in trainui_server.results(project["id"])
                                                    if r["status"] == "crashed" and r["entry_count"] == 300), None))

    page.goto(f"{trainui_server.url}projects/{project['id']}")
    badge = page.locator("tr", has=page.get_by_role("link", name="oom")).locator(".badge")
    badge.wait_for()
    assert badge.get_attribute("title") == "crashed: RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB"

    page.goto(f"{trainui_server.url}results/{crashed['id']}")
    ended = page.locator(".summary dd[data-field='ended']")
    ended.wait_for()
    assert ended.text_content() == "crashed: RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB"
    trace = page.locator("details.traceback pre")
    wait_until(lambda: "Traceback (most recent call last)" in trace.text_content())
    assert "test_end_reason.py" in trace.text_content()
    elapsed = page.locator(".summary dd[data-field='elapsed']").text_content()
    assert elapsed.endswith("s") and 0.5 <= float(elapsed[:-1]) < 9, elapsed  # to the crash, in tenths
    assert page.recorder.errors == []
