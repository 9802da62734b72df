"""The Dramatiq worker pool: broker set-up, actors, and the scheduler loop."""
