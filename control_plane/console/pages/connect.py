"""Connect an agent: the exact lines for this instance (proxy URL, CA paths, an agent key
placeholder) for Python, Node, curl and Kubernetes, each with a copy button."""

from __future__ import annotations

from aiohttp import web

from control_plane import app_keys
from control_plane.console.page import Page

# mitmproxy names the CA files after its confdir basename; the bundle adds the system roots.
CA_CERT = "mitmproxy-ca-cert.pem"
CA_BUNDLE = "agentops-ca-bundle.pem"


async def connect(page: Page) -> web.StreamResponse:
    settings = page.request.app[app_keys.SETTINGS]
    cp, proxy = settings.control_plane, settings.proxy
    host = "127.0.0.1" if proxy.listen_host in ("0.0.0.0", "") else proxy.listen_host
    proxy_url = cp.console_proxy_url or f"http://{host}:{proxy.listen_port}"
    ca_dir = cp.console_ca_path or str(proxy.ca_dir)
    scheme, _, hostport = proxy_url.partition("://")
    profile = await page.api("GET", "/orgs/profile")
    return page.render(
        "connect.html",
        proxy_url=proxy_url,
        credentialed=f"{scheme}://<agent-name>:<ingest-key>@{hostport}",
        bundle=f"{ca_dir}/{CA_BUNDLE}",
        ca_cert=f"{ca_dir}/{CA_CERT}",
        reverse=f"{scheme}://{hostport.rsplit(':', 1)[0]}:{proxy.reverse_port}"
        if proxy.reverse_port
        else None,
        org=profile.slug,
        api_url=f"{page.request.scheme}://{page.request.host}",
    )
