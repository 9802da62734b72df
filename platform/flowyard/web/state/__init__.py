"""Small Reflex states: the session (who, which agency, branding) and one state per page."""
