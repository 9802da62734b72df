"""Agencies, their SME client tenants, users, memberships, roles and white-label branding.

This package knows nothing of the rest of Flowyard: the core builds on it, never the reverse.
"""
