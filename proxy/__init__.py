"""The sidecar / egress proxy: mitmproxy embedding, the addon chain, the spool and the shipper.

Public entry point: ``proxy.service.ProxyService``. The pipeline order lives in
``proxy.pipeline``; only ``proxy._mitm`` touches mitmproxy's Master and Options.
"""
