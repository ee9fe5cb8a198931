"""Summaries of a situation (now or as of a past day) and the roll-up across situations."""
