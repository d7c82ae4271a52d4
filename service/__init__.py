"""mappa-kb: a semantic knowledge base and query service for MAPPA (England and Wales)."""

__version__ = "0.1.0"
