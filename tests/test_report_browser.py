"""The run report in a real browser: headless Chromium loads it offline, every image decodes, the metrics show.

Chromium is Debian's `chromium` package; `.ci/run` installs it when it is missing, so these
tests fail rather than skip on a machine without it.
"""

import html
import io
import json
import re
import shutil
import subprocess

import matplotlib.image
import pytest
from rich.console import Console

from jeras.workflows import WORKFLOWS, RunDisplay, RunSettings, run_workflow

IMAGE_CHECK = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images, (img) => ({
    file: img.dataset.file, complete: img.complete, width: img.naturalWidth, height: img.naturalHeight}));
  const metrics = Array.from(document.querySelectorAll("[data-metric]"), (el) => [el.dataset.metric, el.textContent]);
  const out = document.createElement("pre");
  out.id = "jeras-check";
  out.textContent = JSON.stringify({images, metrics, text: document.body.innerText});
  document.body.appendChild(out);
});
</script>"""


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("Chromium is not installed: apt-get install chromium (.ci/run does this when it is missing)")


def _browse(tmp_path, *args: str) -> subprocess.CompletedProcess:
    command = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """A classification run, one epoch on 150 rows, written through the workflow API."""
    settings = RunSettings(out=tmp_path_factory.mktemp("runs"), epochs=1, max_rows=150, seed=1)
    with RunDisplay(Console(file=io.StringIO())) as display:
        return run_workflow(WORKFLOWS["classification"], settings, display)


def test_report_is_self_contained(run_folder):
    page = (run_folder / "report.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", page)
    assert "<script" not in page
    assert page.count('src="data:image/png;base64,') == 3


def test_every_image_loads_and_the_final_metrics_show_in_chromium(run_folder, tmp_path):
    record = json.loads((run_folder / "metrics.json").read_text())
    page = (run_folder / "report.html").read_text().replace("</body>", IMAGE_CHECK + "</body>")
    probe = tmp_path / "report-check.html"
    probe.write_text(page)
    proc = _browse(tmp_path, "--dump-dom", "--virtual-time-budget=15000", probe.as_uri())
    found = re.search(r'<pre id="jeras-check">(.*?)</pre>', proc.stdout, re.DOTALL)
    assert found, f"Chromium did not run the page's check: {proc.stderr[-2000:]}"
    result = json.loads(html.unescape(found.group(1)))
    assert [image["file"] for image in result["images"]] == [f["file"] for f in record["figures"]]
    for image in result["images"]:
        assert image["complete"] and image["width"] > 100 and image["height"] > 100, image
    shown = dict(result["metrics"])
    assert set(shown) == {"test_loss", "test_accuracy"}
    assert float(shown["test_accuracy"]) == pytest.approx(record["test"]["accuracy"], abs=1e-4)
    assert float(shown["test_loss"]) == pytest.approx(record["test"]["loss"], abs=1e-4)
    text = result["text"]
    assert "Final metrics" in text and "val_accuracy" in text
    assert "266,610 parameters" in text and "compilation inside fit" in text
    assert record["data"]["origin"] in text and record["environment"]["versions"]["jax"] in text


def test_screenshot_of_the_report_shows_the_page(run_folder, tmp_path):
    shot = tmp_path / "report.png"
    proc = _browse(
        tmp_path,
        f"--screenshot={shot}",
        "--window-size=1100,2600",
        "--hide-scrollbars",
        (run_folder / "report.html").as_uri(),
    )
    assert shot.is_file(), proc.stderr[-2000:]
    pixels = matplotlib.image.imread(shot)[..., :3]
    assert pixels.shape[:2] == (2600, 1100)
    background = (pixels > 0.9).all(axis=-1).mean()
    assert pixels.std() > 0.05 and background < 0.97, "the screenshot is blank"
    # The figures are drawn: a wide band of the page below the header holds dark (plot) pixels.
    assert (pixels[600:2600] < 0.3).all(axis=-1).mean() > 0.005
