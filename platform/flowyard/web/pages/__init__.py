"""One module per page; each exposes ``add_to(app)``."""
