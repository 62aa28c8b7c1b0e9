# Makes the worker root importable for `pytest` (the `worker` package).
