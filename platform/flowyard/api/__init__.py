"""HTTP routes mounted on Reflex's backend (``rx.App(api_transformer=...)``)."""
