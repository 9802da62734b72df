"""The marketplace: the plugin SDK every connector is written with, and the plugin registry."""
