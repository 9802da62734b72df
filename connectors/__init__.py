"""Built-in connectors, each declared with the plugin SDK plus a local sandbox simulator."""
