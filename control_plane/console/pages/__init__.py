"""One module per console page (or group of pages), each thin over ``Page.api``."""
