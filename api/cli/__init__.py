"""The ``fostermatch`` command line (entry point :func:`main`)."""

from api.cli.main import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, main

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_OK", "main"]
