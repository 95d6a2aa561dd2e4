"""Digital Strategy Advisor: cited, grounded answers about the EU International Digital Strategy."""

__version__ = "0.1.0"
