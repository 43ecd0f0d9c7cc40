"""syncline: a self-hosted integration hub that joins a company's CRM and ERP."""

__version__ = "0.1.0"

__all__ = ["__version__"]
