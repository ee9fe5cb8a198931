"""The progress report: a situation's figures over a period, in HTML and PDF.

``period`` reads the period, ``checklist`` the elements and what moved (from the events),
``discipline`` the reporting cycles and the updates the reader may see, ``money`` the
funding and the pledges; ``report`` puts them together and ``render`` draws them.
"""
