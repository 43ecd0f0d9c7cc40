"""syncline benchmarks: ``python -m bench [NAME ...]`` (``make bench``)."""
