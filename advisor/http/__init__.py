"""HTTP: the FastAPI app, its routes, dependencies, errors and limits."""
