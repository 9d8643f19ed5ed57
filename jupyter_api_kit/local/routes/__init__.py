"""One module per API group; each has a FastAPI `router` (mounted under /v1) and optionally `setup(app)`."""
