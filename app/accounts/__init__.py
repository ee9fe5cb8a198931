"""Signing in as people: invitation links, passwords, dashboard sessions, lockouts."""
