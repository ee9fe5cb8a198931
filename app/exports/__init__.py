"""Exports: the checklist of a situation, or of every visible situation, as a file."""
