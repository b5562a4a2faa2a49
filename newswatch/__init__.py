"""newswatch: watch news sources for articles on chosen topics."""

__version__ = "0.1.0"
