"""The Reflex web interface: pages, their small states, and the one page template."""
