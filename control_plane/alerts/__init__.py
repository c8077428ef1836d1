"""Alert channels: how a message reaches a webhook, Slack or an inbox.

``signing`` and ``retry`` are pure; ``send`` does the network I/O for one delivery.
"""
