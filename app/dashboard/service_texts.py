"""The English texts the services raise that the pages show, marked for the catalogs.

The services (shared with the API) keep speaking English; a page translates such a text
when it shows it (``translated``), and this list puts each into the catalogs, so that
``make messages`` finds it. A text not listed here is shown as it came.
"""

import re

from app.i18n import N_, gettext

TEXTS = (
    # app.core.errors: titles and default details
    N_("Bad Request"),
    N_("The request is malformed."),
    N_("Unauthorized"),
    N_("Forbidden"),
    N_("Your role does not allow this action."),
    N_("Not Found"),
    N_("No such resource, or you may not see it."),
    N_("Conflict"),
    N_("The request conflicts with the current state of the resource."),
    N_("Precondition Failed"),
    N_("Content Too Large"),
    N_("The request body is larger than this service accepts."),
    N_("Unprocessable Content"),
    N_("The request is well-formed but some values are not acceptable."),
    N_("Too Many Requests"),
    N_("Too many requests: wait, then retry."),
    N_("Service Unavailable"),
    N_("The service is temporarily unable to handle the request: retry shortly."),
    N_("Method Not Allowed"),
    N_("Error"),
    # app.dashboard.deps
    N_("This form was sent from another site; it was refused and nothing changed."),
    N_(
        "This form has expired (you may have signed in again since it was shown): "
        "go back, reload the page and send it again. Nothing changed."
    ),
    # app.accounts
    N_("That e-mail address and password do not match an account that can sign in."),
    N_(
        "This invitation link does not work: it may have expired or been used already. "
        "Ask whoever invited you for a new one."
    ),
    N_("This password is too common or too easy to guess: choose another."),
)


# Texts with a number in them: the English pattern, and the message with ``{n}`` for it.
PATTERNS = (
    (re.compile(r"Use at least (\d+) characters\."), N_("Use at least {n} characters.")),
    (re.compile(r"Use at most (\d+) characters\."), N_("Use at most {n} characters.")),
    (
        re.compile(
            r"Too many failed sign-ins for this account or from this address\. "
            r"Try again in (\d+) s\."
        ),
        N_("Too many failed sign-ins for this account or from this address. Try again in {n} s."),
    ),
    (
        re.compile(
            r"Too many failed sign-ins for this account or from this address\. "
            r"Try again in about (\d+) minutes\."
        ),
        N_(
            "Too many failed sign-ins for this account or from this address. "
            "Try again in about {n} minutes."
        ),
    ),
)


def translated(text: str) -> str:
    """A service's English text in the request's language, where the catalogs have it."""
    if not text:
        return text
    for pattern, message in PATTERNS:
        if found := pattern.fullmatch(text):
            return gettext(message).format(n=found.group(1))
    return gettext(text)
