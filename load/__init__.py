"""Load scenarios (Locust). They print figures; they never fail a build on timing."""
