"""``GET /problems/{slug}``: the page a problem's ``type`` URI resolves to (public)."""

from html import escape
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse

from app.core.errors import NotFound
from app.core.problem_types import PROBLEM_TYPES, ProblemType

router = APIRouter(tags=["operations"])

SlugPath = Annotated[str, Path(max_length=40, pattern=r"^[a-z][a-z-]{1,39}$")]


@router.get(
    "/problems/{slug}",
    response_class=HTMLResponse,
    responses={200: {"description": "What the problem means and what to do"}},
)
def problem_page(slug: SlugPath) -> HTMLResponse:
    """Describe a problem type: when this service sends it and what a client should do."""
    found = PROBLEM_TYPES.get(slug)
    if found is None:
        raise NotFound("No such problem type.")
    return HTMLResponse(render(found))


def render(problem: ProblemType) -> str:
    """A short, self-contained HTML page for one problem type."""
    status = f"HTTP {problem.status}" if problem.status else "any HTTP error status"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(problem.title)} ({escape(problem.slug)})</title></head><body>"
        f"<h1>{escape(problem.title)}</h1>"
        f"<p><code>type: /problems/{escape(problem.slug)}</code>, sent with {status}, "
        "as <code>application/problem+json</code> (RFC 9457).</p>"
        f"<h2>Meaning</h2><p>{escape(problem.meaning)}</p>"
        f"<h2>What to do</h2><p>{escape(problem.remedy)}</p>"
        "</body></html>"
    )
