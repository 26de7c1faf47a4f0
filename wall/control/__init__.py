"""The control API (FastAPI, in the wall process) and the web console it serves."""
