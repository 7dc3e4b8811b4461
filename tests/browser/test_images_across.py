"""Images across runs on the project page: 3 real runs (the trainer library, real files) log the
same tag at steps of their own; the grid shows each run's image at one step (the nearest at or
before it), a slider moves all three, the tag picker switches, any cell opens in the lightbox,
and charted runs without images get an empty state, not a broken grid."""
from __future__ import annotations

import pytest

from browser_helpers import wait_until

torch = pytest.importorskip("torch")

import trainui  # noqa: E402


def run_with_images(out, steps, tags=("sample", "noise")):
    with trainui.Run(str(out), args={"seed": len(steps)}, progress=False, handle_signals=False) as run:
        for step in steps:
            run.log({"main/loss": 1.0 / step}, iteration=step)
            for tag in tags:
                run.log_image(tag, torch.full((3, 8, 8), (step % 97) / 97.0), step=step)


def cells(page):
    """Each cell's run id and the step of the image it shows ('' when none)."""
    return [tuple(cell) for cell in page.evaluate("""() => [...document.querySelectorAll('.images-across .image-figure')]
        .map((f) => [Number(f.dataset.rid), f.dataset.step || ''])""")]


def test_the_same_step_of_three_runs_side_by_side(trainui_server, page, tmp_path, screenshot):
    root = tmp_path / "proj"
    run_with_images(root / "r1", [10, 20, 30])
    run_with_images(root / "r2", [10, 20, 30])
    run_with_images(root / "r3", [10, 25])  # its own steps: shown at the nearest one before
    project = trainui_server.create_project(root, "imgs")
    results = trainui_server.wait_for(lambda: (lambda rs: rs if len(rs) == 3 else None)(trainui_server.results(project["id"])),
                                      timeout=30)
    ids = {r["name"]: r["id"] for r in results}
    trainui_server.wait_for(lambda: all(trainui_server.api("GET", f"results/{i}")[1]["result"]["asset_tags"]
                                        for i in ids.values()), timeout=30)

    page.goto(f"{trainui_server.url}projects/{project['id']}?tab=images")
    grid = page.locator(".images-across .image-figure")
    wait_until(lambda: grid.count() == 3 and all(step for _, step in cells(page)))
    assert page.get_by_label("Image tag").input_value() == "noise"  # the first tag, when none was picked
    picked = sorted(cells(page))
    assert picked == sorted([(ids["r1"], "30"), (ids["r2"], "30"), (ids["r3"], "25")])  # the newest step
    assert page.locator(".images-across figcaption").all_text_contents()[0].startswith("r")
    for figure in grid.all():  # every image really loaded
        wait_until(lambda: page.evaluate("(img) => img.complete && img.naturalWidth === 8", figure.locator("img").element_handle()))

    # The slider moves all three together; r3 shows its nearest step at or before.
    slider = page.get_by_label("Step of every run")
    assert slider.get_attribute("max") == "3"  # steps 10, 20, 25, 30
    slider.fill("1")
    wait_until(lambda: sorted(cells(page)) == sorted([(ids["r1"], "20"), (ids["r2"], "20"), (ids["r3"], "10")]))
    assert "step 20" in page.locator(".images-across output").text_content()
    slider.fill("0")
    wait_until(lambda: sorted(cells(page)) == sorted([(ids["r1"], "10"), (ids["r2"], "10"), (ids["r3"], "10")]))
    screenshot(page, "images-across-runs")

    # Another tag: the same grid of it; one request for all the runs, not one per run.
    before = len([r for r in page.recorder.responses if "/api/v1/assets?" in r.url])
    page.get_by_label("Image tag").select_option("sample")
    wait_until(lambda: page.locator(".images-across img").first.get_attribute("alt").startswith("sample"))
    after = [r for r in page.recorder.responses if "/api/v1/assets?" in r.url]
    assert len(after) == before + 1 and "tag=sample" in after[-1].url and all(r.status == 200 for r in after)

    # Enlarge one: the lightbox names the run and the tag, and its slider steps through the same steps.
    page.get_by_role("button", name="Open r2 sample at step").first.click()
    box = page.locator("dialog.lightbox[open]")
    box.wait_for()
    assert box.locator(".lightbox-title").text_content().startswith("r2 · sample")
    assert box.get_attribute("data-step") == "30"  # a new tag starts at the newest step
    page.keyboard.press("ArrowLeft")  # to step 25, which r2 did not log: its image of step 20
    wait_until(lambda: box.get_attribute("data-step") == "20")
    page.keyboard.press("Escape")
    wait_until(lambda: sorted(cells(page)) == sorted([(ids["r1"], "20"), (ids["r2"], "20"), (ids["r3"], "25")]))

    # Charted runs without images: a sane empty state.
    page.get_by_label("Chart r1").uncheck()
    page.get_by_label("Chart r2").uncheck()
    page.get_by_label("Chart r3").uncheck()
    page.locator(".images-across .empty").filter(has_text="No runs charted").wait_for()
    assert not page.recorder.errors


def test_runs_without_images_show_an_empty_state(trainui_server, page, tmp_path):
    root = tmp_path / "plain"
    run_with_images(root / "r1", [5], tags=())
    project = trainui_server.create_project(root, "plain")
    trainui_server.wait_for(lambda: trainui_server.results(project["id"]), timeout=30)
    page.goto(f"{trainui_server.url}projects/{project['id']}?tab=images")
    page.locator(".images-across .empty").filter(has_text="No images").wait_for()
    assert page.locator(".images-across .image-figure").count() == 0 and not page.recorder.errors
