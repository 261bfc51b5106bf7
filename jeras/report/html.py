"""The report of a run folder: one HTML file that holds everything, images as data URIs, no scripts, no network.

It is built from the folder alone (`metrics.json`, `summary.txt`, the figures), so a report
can be rebuilt at any time with `jeras report RUN_DIR`.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import pathlib
from typing import Any

REPORT_FILE = "report.html"
METRICS_FILE = "metrics.json"
_MIME = {".png": "image/png", ".svg": "image/svg+xml"}

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; background: #f5f7fa; color: #1f2933; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.15rem; margin: 32px 0 10px; border-bottom: 1px solid #d5dbe3; padding-bottom: 4px; }
p.lead { color: #52606d; margin: 4px 0 0; }
table { border-collapse: collapse; background: white; font-size: 0.92rem; }
th, td { text-align: left; padding: 5px 12px; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
th { background: #eef2f7; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: white; border: 1px solid #d5dbe3; border-radius: 8px; padding: 10px 16px; min-width: 150px; }
.card .name { color: #52606d; font-size: 0.82rem; }
.card .value { font-size: 1.45rem; font-weight: 600; font-variant-numeric: tabular-nums; }
figure { background: white; border: 1px solid #d5dbe3; border-radius: 8px; margin: 0 0 16px; padding: 12px; }
figure img { max-width: 100%; height: auto; display: block; margin: 0 auto; }
figcaption { color: #52606d; font-size: 0.88rem; margin-top: 6px; }
pre { background: #1f2933; color: #e4e7eb; padding: 12px; border-radius: 6px; overflow-x: auto; font-size: 0.78rem; }
.note { background: #fff8e1; border: 1px solid #f0d58c; border-radius: 6px; padding: 8px 12px; }
"""


def build_report(run_dir: str | os.PathLike) -> pathlib.Path:
    """Writes `report.html` into a run folder, from the files in it.

    Args:
        run_dir: a folder written by `jeras run`.

    Returns:
        The path of the report.

    Raises:
        FileNotFoundError: the folder has no `metrics.json` (it is not a run folder).
        ValueError: `metrics.json` is not valid JSON.
    """
    folder = pathlib.Path(run_dir)
    page = render_report(folder)
    target = folder / REPORT_FILE
    tmp = folder / f".{REPORT_FILE}.tmp-{os.getpid()}"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, target)
    return target


def render_report(run_dir: str | os.PathLike) -> str:
    """Returns the report of a run folder as one HTML document (see `build_report`)."""
    folder = pathlib.Path(run_dir)
    metrics_path = folder / METRICS_FILE
    if not metrics_path.is_file():
        raise FileNotFoundError(
            f"{folder} is not a jeras run folder: it has no {METRICS_FILE}. Give a folder written by `jeras run`. "
            f"Received: run_dir={os.fspath(run_dir)!r}"
        )
    try:
        record = json.loads(metrics_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{metrics_path} is not valid JSON ({err}): the run folder is damaged.") from None
    summary_path = folder / record.get("model", {}).get("summary", "summary.txt")
    summary = summary_path.read_text(encoding="utf-8") if summary_path.is_file() else ""
    sections = [
        _header(record),
        _metrics(record),
        _data(record),
        _figures(folder, record),
        _search(record),
        _model(record, summary),
        _timing(record),
        _environment(record),
        _files(record),
    ]
    title = html.escape(f"jeras run: {record.get('title', record.get('workflow', 'run'))}")
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_STYLE}</style></head>\n<body><main>\n"
        + "\n".join(s for s in sections if s)
        + "\n</main></body></html>\n"
    )


def _e(value: Any) -> str:
    return html.escape(str(value))


def _format(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:,.1f}"
    return str(value)


def _table(header: list[str], rows: list[list[Any]], *, numeric: tuple[int, ...] = ()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{_e(_format(c))}</td>' if i in numeric else f"<td>{_e(_format(c))}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _header(record: dict) -> str:
    return (
        f"<header><h1>{_e(record.get('title', record.get('workflow', '')))}</h1>"
        f'<p class="lead">{_e(record.get("description", ""))}</p>'
        f'<p class="lead">Workflow <code>{_e(record.get("workflow", ""))}</code>, run {_e(record.get("created", ""))}, '
        f"{_e(record.get('epochs_run', 0))} of {_e(record.get('settings', {}).get('epochs', '?'))} epochs, "
        f"seed {_e(record.get('settings', {}).get('seed', '?'))}.</p></header>"
    )


def _metrics(record: dict) -> str:
    test = record.get("test", {})
    final = record.get("final_epoch", {})
    cards = "".join(
        f'<div class="card"><div class="name">test {_e(k)}</div><div class="value" data-metric="test_{_e(k)}">'
        f"{_e(_format(v))}</div></div>"
        for k, v in test.items()
    )
    parts = ['<section id="metrics"><h2>Final metrics</h2>']
    if cards:
        parts.append(f'<div class="cards">{cards}</div>')
    if final:
        parts.append("<p>Last epoch:</p>")
        parts.append(_table(["metric", "value"], [[k, v] for k, v in final.items()], numeric=(1,)))
    parts.append("</section>")
    return "".join(parts)


def _data(record: dict) -> str:
    data = record.get("data")
    if not data:
        return ""
    sizes, available = data.get("sizes", {}), data.get("available", {})
    rows = [[split, n, available.get(split, n)] for split, n in sizes.items()]
    origin = data.get("origin", "")
    kind = "the real sample bundled with jeras" if origin == "bundled sample" else "the data folder"
    note = f'<p class="note">{_e(data["note"])}</p>' if data.get("note") else ""
    settings = record.get("settings", {})
    return (
        '<section id="data"><h2>Data</h2>'
        f"<p>{_e(data.get('title', data.get('dataset', '')))} from {_e(kind)}: <code>{_e(data.get('location', ''))}</code>"
        f" (data folder {_e(settings.get('data_folder', '?'))}, chosen by {_e(settings.get('data_folder_reason', '?'))}"
        f"{', at most ' + _format(settings['max_rows']) + ' rows per split' if settings.get('max_rows') else ''}).</p>"
        f'<p>Source: <strong data-origin="{_e(origin)}">{_e(origin)}</strong></p>'
        + _table(["split", "examples used", "examples available"], rows, numeric=(1, 2))
        + note
        + "</section>"
    )


def _data_uri(path: pathlib.Path) -> str | None:
    mime = _MIME.get(path.suffix.lower())
    if mime is None or not path.is_file():
        return None
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _figures(folder: pathlib.Path, record: dict) -> str:
    items = []
    for figure in record.get("figures", []):
        uri = _data_uri(folder / figure["file"])
        if uri is None:
            items.append(f'<p class="note">Figure {_e(figure["file"])} is missing from the run folder.</p>')
            continue
        items.append(
            f'<figure><img src="{uri}" alt="{_e(figure["file"])}" data-file="{_e(figure["file"])}">'
            f"<figcaption>{_e(figure['file'])}: {_e(figure.get('caption', ''))}</figcaption></figure>"
        )
    return '<section id="figures"><h2>Figures</h2>' + "".join(items) + "</section>" if items else ""


def _search(record: dict) -> str:
    search = record.get("search")
    if not search:
        return ""
    rows = [[c["rank"], json.dumps(c["params"], sort_keys=True), c["mean_test_score"]] for c in search["candidates"]]
    return (
        '<section id="search"><h2>Search</h2>'
        f"<p>{_e(search['n_iter'])} configurations, {_e(search['cv'])}-fold cross-validation. Best: "
        f"<code>{_e(json.dumps(search['best_params'], sort_keys=True))}</code>, score {_e(_format(search['best_score']))}"
        "</p>" + _table(["rank", "parameters", "mean validation score"], rows, numeric=(0, 2)) + "</section>"
    )


def _model(record: dict, summary: str) -> str:
    model = record.get("model", {})
    saved = f", saved as <code>{_e(model['saved_as'])}</code>" if model.get("saved_as") else ""
    return (
        '<section id="model"><h2>Model</h2>'
        f"<p><code>{_e(model.get('name', ''))}</code>: {_e(_format(model.get('params', 0)))} parameters{saved}.</p>"
        f"<pre>{_e(summary)}</pre></section>"
    )


def _timing(record: dict) -> str:
    timing = record.get("timing", {})
    labels = {
        "wall_seconds": "wall time of the run (s)",
        "fit_seconds": "fit (s)",
        "compile_seconds": "compilation inside fit (s), from model.compile_stats",
        "compiles": "programs compiled",
    }
    rows = [[labels.get(k, k), v] for k, v in timing.items()]
    return '<section id="timing"><h2>Timing</h2>' + _table(["what", "value"], rows, numeric=(1,)) + "</section>"


def _environment(record: dict) -> str:
    env = record.get("environment", {})
    rows = [[k, v] for k, v in env.get("versions", {}).items()]
    rows.append(["devices", ", ".join(env.get("devices", []))])
    rows.append(["platform", env.get("platform", "")])
    return '<section id="environment"><h2>Environment</h2>' + _table(["", ""], rows) + "</section>"


def _files(record: dict) -> str:
    files = record.get("files", [])
    if not files:
        return ""
    shown = [f for f in files if not f.startswith("logs/")]
    logs = len(files) - len(shown)
    items = "".join(f"<li><code>{_e(f)}</code></li>" for f in shown)
    if logs:
        items += f"<li><code>logs/</code>: TensorBoard event files ({logs}); view with <code>tensorboard --logdir logs</code></li>"
    return f'<section id="files"><h2>Files in the run folder</h2><ul>{items}</ul></section>'
