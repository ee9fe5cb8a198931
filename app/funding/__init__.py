"""Money and promises: requirements per item and year, funding flows, funding figures."""
