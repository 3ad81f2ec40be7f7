"""The web application: FastAPI pages in Bahasa Indonesia and the JSON API, both over the service layer."""
