# Makes the sample root importable for `pytest` (the `app` package).
