"""The ``agentops`` command line: thin commands over the API and the other packages."""
