"""The faces: FastAPI app (REST API, HTML pages, webhook receivers)."""
