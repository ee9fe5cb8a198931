"""Draw a progress report: one self-contained HTML file, or a PDF printed from it by
WeasyPrint (Pango lays out Arabic right to left; Debian's DejaVu fonts have its glyphs).

The HTML has its style and its chart inline and loads nothing, so it can be mailed or
archived as one file. The PDF prints the generation date and the page numbers on every page.
"""

from dataclasses import dataclass
from typing import Literal

from app import i18n
from app.core.errors import ServiceUnavailable
from app.dashboard.charts import trend_chart
from app.dashboard.rendering import templates
from app.i18n import N_
from app.progress.period import WEEKLY_UP_TO_DAYS
from app.progress.report import ProgressReport

ReportFormat = Literal["html", "pdf"]

MEDIA_TYPES: dict[str, str] = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}

# What a self-contained report may do when served: its own inline style, nothing else.
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

# Up to this many changes of an element are listed; beyond, the latest and how many came before.
MAX_MOVES_SHOWN = 3
# The chart's colours, as SVG attributes: WeasyPrint's SVG does not read the page's classes.
FILLS = {
    "not_started": "#8c959f",
    "planned": "#d4a72c",
    "in_progress": "#2f6fbd",
    "in_place": "#1a7f37",
    "not_applicable": "#d0d7de",
}

_FIGURES = (
    ("lead_missing", N_("Without a lead")),
    ("overdue", N_("Overdue")),
    ("stale", N_("Stale")),
    ("no_data", N_("No update accepted yet")),
)
_OBLIGATIONS = (
    ("due", N_("Due")),
    ("submitted", N_("Submitted")),
    ("accepted", N_("Accepted")),
    ("returned", N_("Returned")),
    ("overdue", N_("Overdue")),
    ("waived", N_("Waived")),
)
_READERS = {
    "coordinator": N_("Prepared for a coordinator: every organisation's updates are counted."),
    "admin": N_("Prepared for an administrator: every organisation's updates are counted."),
    "partner": N_(
        "Prepared for a partner: only your organisation's pending or returned updates are counted."
    ),
    "viewer": N_("Prepared for a viewer: accepted updates only."),
}


@dataclass(frozen=True)
class Drawn:
    """A report drawn in a format: its bytes, media type and file name."""

    content: bytes
    media_type: str
    filename: str


def html(report: ProgressReport) -> str:
    """The report as one HTML document, in its language."""
    with i18n.use(report.language):
        weekly = report.period.days <= WEEKLY_UP_TO_DAYS
        context = {
            "report": report,
            "chart": trend_chart(report.trend, "%m-%d" if weekly else "%Y-%m"),
            "figure_names": [(key, i18n.gettext(name)) for key, name in _FIGURES],
            "obligation_names": [(key, i18n.gettext(name)) for key, name in _OBLIGATIONS],
            "reader": i18n.gettext(_READERS[report.reader_role]),
            "max_moves": MAX_MOVES_SHOWN,
            "fills": FILLS,
            "footer": _footer(report),
        }
        return templates.env.get_template("report/progress.html").render(context)


def _footer(report: ProgressReport) -> str:
    text = i18n.gettext("Generated on {when} by the CRRF Case Manager").format(
        when=i18n.when(report.generated_at.date())
    )
    # The footer sits in a CSS string inside <style>: nothing may end either early.
    return "".join(ch for ch in text if ch not in '"\\<>')


def pdf(report: ProgressReport) -> bytes:
    """The report printed to PDF."""
    try:
        from weasyprint import HTML  # imported on use: it loads Pango, which only PDFs need
    except (OSError, ImportError) as exc:  # Pango (or WeasyPrint) missing: say so, no 500
        raise ServiceUnavailable(
            "PDF printing is not set up on this server (WeasyPrint needs Debian's Pango, "
            "see the README); the HTML report works.",
            headers={"Retry-After": "3600"},
        ) from exc
    document: bytes = HTML(string=html(report)).write_pdf()
    return document


def draw(report: ProgressReport, report_format: ReportFormat) -> Drawn:
    """The report in ``report_format``, with the file name it is sent under."""
    name = f"progress-report-{report.situation.id}-{report.period.start}-{report.period.end}"
    if report_format == "pdf":
        return Drawn(pdf(report), MEDIA_TYPES["pdf"], f"{name}.pdf")
    return Drawn(html(report).encode(), MEDIA_TYPES["html"], f"{name}.html")
