"""FastAPI sample for dockopt: a health probe and an in-memory task list."""
