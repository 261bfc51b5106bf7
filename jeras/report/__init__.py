"""Self-contained HTML reports of `jeras run` folders (images embedded, no network)."""

from jeras.report.html import REPORT_FILE, build_report, render_report

__all__ = ["REPORT_FILE", "build_report", "render_report"]
