"""The demo data set behind ``crrf demo``: realistic, reproducible, back-dated."""

from app.demo.service import DemoReport, SignIn, describe, load

__all__ = ["DemoReport", "SignIn", "describe", "load"]
