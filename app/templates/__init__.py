"""Frameworks as data: the template files, their model, and the API that serves them."""
