"""unigate: a self-hosted unified CRM API that speaks Truto's wire contract."""

__version__ = "0.1.0"
