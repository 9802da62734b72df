"""``python -m bench``: every benchmark, one after the other."""

from bench.engine import main

if __name__ == "__main__":
    raise SystemExit(main())
