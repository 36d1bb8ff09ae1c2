"""protocolrunner: run structured discussion protocols for educators' Communities of Practice."""

__version__ = "0.1.0"
