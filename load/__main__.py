"""``python -m load`` (``make load``): every load scenario, one after the other."""

from load.ingest_runner import main

if __name__ == "__main__":
    raise SystemExit(main())
