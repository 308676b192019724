"""monitor: a news-monitoring daemon for OpenAI funding and revenue news."""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
