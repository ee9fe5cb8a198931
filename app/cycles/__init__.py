"""Reporting cycles: rounds of reporting, the obligations they create, their deadlines."""
