"""Flowyard: multi-tenant business automation for agencies and their SME clients."""

__version__ = "0.1.0"
