"""E-mail: messages queued in the outbox with the change that causes them, sent by the worker.

config.py    whether mail is on (``CRRF_SMTP_URL``), carried by the process's sessions
messages.py  rendering: Jinja templates, the recipient's language, plain text and HTML
outbox.py    queue a message once (by its dedupe key), claim due ones, mark the outcome
service.py   which events, invitations and digests cause which messages, to whom
delivery.py  the worker's task that sends due messages over SMTP
"""
