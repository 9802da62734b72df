"""The page template and the few shared pieces pages are built from."""
