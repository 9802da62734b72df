"""Local services Flowyard can start for itself: embedded PostgreSQL and Redis."""
