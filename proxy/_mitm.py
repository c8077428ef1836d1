"""Everything that touches mitmproxy's Master and Options, in one place.

mitmproxy's embedding API is not a stable promise (the exact version is pinned in pyproject),
so the rest of ``proxy/`` sees only ``MitmServer``, ``ensure_ca``, ``close_upstream`` and
``Retarget``; addons see ``HTTPFlow``.

We do not call ``Master.run()``: it swaps the running loop's task factory and exception handler
for its whole lifetime, which would change the behaviour of everything else sharing the loop
(the control plane in ``agentops up``). Instead we drive the same steps ourselves: bring up the
listeners, fire ``running``, and on stop close the listeners and live connections, then ``done``.
mitmproxy keeps its master in a module global (``mitmproxy.ctx``), so one process runs one
``MitmServer`` at a time.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import inspect
import logging
import socket
import types
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mitmproxy import addonmanager, certs, ctx, exceptions, flow, hooks, http, options, optmanager
from mitmproxy.net.http import url

from proxy import _mitm_body_size, _mitm_hooks, _mitm_late_stream, _mitm_layers
from proxy._mitm_addons import core, master, next_layer, proxyserver, tlsconfig
from proxy.hosts import HostMatcher

log = logging.getLogger(__name__)

CA_BASENAME = "mitmproxy"  # tlsconfig hard-codes this basename for the CA files in confdir
_CA_KEY_SIZE = 2048
_STOP_GRACE_SECONDS = 5.0

Address = tuple[str, int]


@dataclass(frozen=True, slots=True)
class MitmConfig:
    """What the proxy asks of mitmproxy, already decided from our settings."""

    forward: Address
    reverse: Address | None
    ca_dir: Path
    intercept: HostMatcher
    stream_bodies_over: int  # bytes; larger bodies are streamed, never buffered
    parent: str | None = None  # parent proxy URL without credentials: upstream mode
    transparent: Address | None = None  # listener for kernel-redirected connections


def ensure_ca(ca_dir: Path) -> Path:
    """Create the interception CA on first use and return the path of its public certificate."""
    ca_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    certs.CertStore.from_store(path=ca_dir, basename=CA_BASENAME, key_size=_CA_KEY_SIZE)
    return ca_cert_path(ca_dir)


def ca_cert_path(ca_dir: Path) -> Path:
    return ca_dir / f"{CA_BASENAME}-ca-cert.pem"


class MitmServer:
    """A mitmproxy Master with only the addons we need, plus ours in pipeline order."""

    def __init__(self, config: MitmConfig, addons: Sequence[object]) -> None:
        self._config = config
        self._addons = list(addons)
        self._master: master.Master | None = None
        self._specs: dict[str, str] = {}
        self.forward_address: Address | None = None
        self.reverse_address: Address | None = None
        self.transparent_address: Address | None = None

    @property
    def ca_cert_path(self) -> Path:
        return ca_cert_path(self._config.ca_dir)

    @property
    def running(self) -> bool:
        return self._master is not None

    async def start(self) -> None:
        # mitmproxy logs every listener and connection at INFO; our addons log what matters.
        logging.getLogger("mitmproxy").setLevel(logging.WARNING)
        ensure_ca(self._config.ca_dir)
        _mitm_body_size.install()
        _mitm_late_stream.install()
        _mitm_layers.install()
        _mitm_hooks.install()
        forward = claim_port(self._config.forward)
        self._specs = {"forward": _spec(forward, self._config.parent)}
        if self._config.reverse is not None:
            self._specs["reverse"] = _spec(claim_port(self._config.reverse), None)
        if self._config.transparent is not None:
            host, port = claim_port(self._config.transparent)
            self._specs["transparent"] = f"transparent@{host}:{port}"
        m = master.Master(Options(), event_loop=asyncio.get_running_loop())
        # mitmproxy's own addons first, then ours: the list order is the order hooks run in.
        ps = proxyserver.Proxyserver()  # type: ignore[no-untyped-call]
        addons = [core.Core(), ps, next_layer.NextLayer(), tlsconfig.TlsConfig(), *self._addons]
        m.addons.add(*addons)  # type: ignore[no-untyped-call]
        HookDispatch(m.addons).install()
        m.options.update(**_options(self._config, list(self._specs.values())))  # type: ignore[no-untyped-call]
        self._master = m
        if not await ps.setup_servers():
            await self._shutdown(m)
            raise OSError(f"proxy failed to listen on {', '.join(self._specs.values())}")
        self.forward_address = _bound(ps, self._specs["forward"])
        if "reverse" in self._specs:
            self.reverse_address = _bound(ps, self._specs["reverse"])
        if "transparent" in self._specs:
            self.transparent_address = _bound(ps, self._specs["transparent"])
        await m.running()

    async def stop(self) -> None:
        m, self._master = self._master, None
        if m is not None:
            await self._shutdown(m)

    async def _shutdown(self, m: master.Master) -> None:
        ps = m.addons.get("proxyserver")  # type: ignore[no-untyped-call]
        await ps.servers.update([])  # close the listening sockets
        handlers = list(ps.connections.values())
        for handler in handlers:
            if handler.client in handler.transports:  # not already closing
                handler.close_connection(handler.client)
        tasks = [io.handler for h in handlers for io in h.transports.values() if io.handler]
        if tasks:
            await asyncio.wait(tasks, timeout=_STOP_GRACE_SECONDS)
        await m.done()


def close_upstream(f: http.HTTPFlow) -> bool:
    """Close the provider connection of a call mid-response, so the provider stops generating
    (and billing) a stream we have cut. mitmproxy cannot kill a flow in transit (its issue
    #4711), so this closes the connection under it; the client then sees the end of its
    connection after the error event we already sent. An HTTP/2 upstream connection is left
    open: it may carry other calls' streams, and mitmproxy has no per-stream reset to offer.
    Returns whether a connection was closed."""
    server = f.server_conn
    if server is None or server.alpn == b"h2" or not server.connected:
        return False
    proxyserver = ctx.master.addons.get("proxyserver")  # type: ignore[no-untyped-call]
    handler = proxyserver.connections.get(f.client_conn.id) if proxyserver else None
    if handler is None or server not in handler.transports:
        return False
    handler.close_connection(server)
    return True


@dataclass(frozen=True, slots=True)
class _Destination:
    scheme: bytes
    host: str
    port: int
    host_header: bytes  # url.hostport(scheme, host, port), as Headers stores it
    authority: bytes  # the same, as Request.authority's setter encodes it


_HOST = b"host"
_DESTINATIONS_MAX = 1024  # reverse paths name hosts (azure/<name>): bounded, cleared when full


class Retarget:
    """Point a request elsewhere: what setting mitmproxy's ``scheme``, ``host``, ``port`` and
    ``path`` one by one does, field for field, for less. Each of those setters rewrites the
    Host header and authority (a scan of the headers for ``Host``, another to replace it, an
    IDNA encoding for the authority); here the destination's encoded forms are worked out
    once per destination and the Host header is replaced in one pass. ``host`` is a str,
    which mitmproxy's setter keeps as is too."""

    def __init__(self) -> None:
        self._destinations: dict[tuple[str, str, int], _Destination] = {}

    def __call__(self, request: http.Request, scheme: str, host: str, port: int, path: str) -> None:
        key = (scheme, host, port)
        dest = self._destinations.get(key)
        if dest is None:
            if len(self._destinations) >= _DESTINATIONS_MAX:
                self._destinations.clear()
            dest = self._destinations[key] = _destination(scheme, host, port)
        data = request.data
        data.scheme = dest.scheme
        data.host = dest.host
        data.port = dest.port
        data.path = path.encode("utf-8", "surrogateescape")
        # Request._update_host_and_authority: a Host header present is set (its first field
        # keeps its name and takes the value, later ones are dropped); an authority is set.
        headers = data.headers
        fields = headers.fields
        for i, (name, _) in enumerate(fields):
            if len(name) == 4 and name.lower() == _HOST:
                rest = tuple(f for f in fields[i + 1 :] if f[0].lower() != _HOST)
                headers.fields = (*fields[:i], (name, dest.host_header), *rest)
                break
        if data.authority:
            data.authority = dest.authority


def _destination(scheme: str, host: str, port: int) -> _Destination:
    value = url.hostport(scheme, host, port)
    try:
        authority = value.encode("idna", "strict")
    except UnicodeError:
        authority = value.encode("utf8", "surrogateescape")
    return _Destination(
        scheme.encode(), host, port, value.encode("utf-8", "surrogateescape"), authority
    )


# Values ``copy.deepcopy`` returns as they are: an option holding one needs no copy.
_IMMUTABLE = frozenset({str, bytes, int, float, bool, type(None)})


class Options(options.Options):
    """mitmproxy's options, read as plain attributes when their value is immutable.

    ``OptManager`` answers every option read through ``__getattr__`` (after a failed ordinary
    lookup) and deep-copies the value, so that no caller can change an option by mutating what
    it got. mitmproxy's HTTP layers read ~18 options per call (``stream_large_bodies``,
    ``body_size_limit``, ``validate_inbound_headers``...): ~0.5 µs each. A str, int, bool or
    None needs no copy (``copy.deepcopy`` returns it as is), so each such option's current
    value is also kept in the instance's ``__dict__``, where an ordinary lookup finds it
    (~0.04 µs); other values (lists, dicts) are still read through ``__getattr__`` and copied.
    The mirror is refreshed first on every change (``_notify_subscribers`` is the first
    receiver of ``changed``, before any addon's ``configure``), on a rollback, and after an
    update that raised before announcing itself.
    """

    def __getattr__(self, attr: str) -> Any:
        option = self._options.get(attr)
        if option is None:
            raise AttributeError(f"No such option: {attr}")
        return copy.deepcopy(_current(option))

    def _notify_subscribers(self, updated: set[str]) -> None:
        self._mirror(updated)
        super()._notify_subscribers(updated)

    def update_known(self, **kwargs: Any) -> dict[str, Any]:
        try:
            return super().update_known(**kwargs)  # type: ignore[no-any-return,no-untyped-call]
        finally:
            self._mirror(set(kwargs))

    def _mirror(self, names: set[str]) -> None:
        state = self.__dict__
        for name in names:
            option = self._options.get(name)
            if option is None or name in _MANAGER_ATTRIBUTES or hasattr(type(self), name):
                continue
            value = _current(option)
            if type(value) in _IMMUTABLE:
                state[name] = value
            else:
                state.pop(name, None)


def _current(option: Any) -> Any:
    return option.default if option.value is optmanager.unset else option.value


# OptManager's own instance attributes, which an option of the same name must not shadow.
_MANAGER_ATTRIBUTES = frozenset({"deferred", "changed", "errored", "_subscriptions", "_options"})


Handler = Callable[..., Any]
Handlers = tuple[tuple[Handler, bool], ...]


class HookDispatch:
    """A per-hook table of the handlers that exist, in place of mitmproxy's walk of the chain.

    For every hook of every flow, ``AddonManager.handle_lifecycle`` visits each addon (and its
    children) with ``getattr``, a generator context manager and a ``dataclasses.fields()`` call,
    then fires an ``update`` hook the same way, which no addon here listens to. With our ten
    addons and eight such events per call that walk was ~15% of the proxy's CPU per call. This
    resolves each hook name to its handlers once, and keeps mitmproxy's semantics: handlers run
    in chain order, an exception is logged and the next handler still runs, ``AddonHalt`` stops
    the chain, ``OptionsError`` propagates, ``update`` follows every flow hook. The table is
    rebuilt whenever the chain changes (addons added or removed).
    """

    runs_inline = True  # proxy._mitm_hooks runs hooks with start() where this is installed

    def __init__(self, manager: addonmanager.AddonManager) -> None:
        self._manager = manager
        self._table: dict[str, Handlers] = {}
        self._chain: list[object] = []
        self._chain_len = -1
        self._fields: dict[type[hooks.Hook], tuple[str, ...]] = {}

    def install(self) -> None:
        # An instance attribute shadows the method for every caller (connection handlers,
        # client playback); master.running()/done() keep mitmproxy's own trigger_event.
        self._manager.handle_lifecycle = self.handle_lifecycle  # type: ignore[method-assign]

    def handlers(self, name: str) -> Handlers:
        chain = self._manager.chain
        if chain is not self._chain or len(chain) != self._chain_len:
            self._table.clear()
            self._chain, self._chain_len = chain, len(chain)
        found = self._table.get(name)
        if found is None:
            found = self._table[name] = tuple(_resolve(chain, name))
        return found

    async def handle_lifecycle(self, event: hooks.Hook) -> None:
        pending = self.start(event)
        if pending is not None:
            await pending

    def start(self, event: hooks.Hook, args: list[Any] | None = None) -> Awaitable[None] | None:
        """Run the hook's handlers (then ``update``'s, for a flow hook) as far as they go
        without waiting: None when all of them ran, else an awaitable that runs the rest (a
        handler was async or returned an awaitable). ``proxy._mitm_hooks`` runs hooks inline
        with this, passing the event's ``args`` when it has them already."""
        if args is None:
            args = self._args(event)
        handlers = self.handlers(event.name)
        update = self._table.get("update")
        if update is None:
            update = self.handlers("update")
        if not (update and args and isinstance(args[0], flow.Flow)):
            update = ()
        pending = self._run(handlers, args) if handlers else None
        if pending is not None:
            return self._then(pending, update, [[args[0]]]) if update else pending
        return self._run(update, [[args[0]]]) if update else None

    def _run(self, handlers: Handlers, args: list[Any]) -> Awaitable[None] | None:
        for index, (func, is_async) in enumerate(handlers):
            try:
                result = func(*args)
                if is_async or (result is not None and inspect.isawaitable(result)):
                    return self._rest(result, handlers[index + 1 :], args)
            except exceptions.AddonHalt:
                return None
            except exceptions.OptionsError:
                raise
            except Exception as exc:  # noqa: BLE001 - an addon bug must not break the connection
                addonmanager.logger.error(f"Addon error: {exc}", exc_info=True)
        return None

    async def _rest(self, awaitable: Awaitable[Any], handlers: Handlers, args: list[Any]) -> None:
        """Wait for a handler's awaitable, then run the handlers after it."""
        try:
            await awaitable
        except exceptions.AddonHalt:
            return
        except exceptions.OptionsError:
            raise
        except Exception as exc:  # noqa: BLE001 - an addon bug must not break the connection
            addonmanager.logger.error(f"Addon error: {exc}", exc_info=True)
        pending = self._run(handlers, args) if handlers else None
        if pending is not None:
            await pending

    async def _then(self, pending: Awaitable[None], update: Handlers, args: list[Any]) -> None:
        await pending
        rest = self._run(update, args)
        if rest is not None:
            await rest

    def _args(self, event: hooks.Hook) -> list[Any]:
        """``Hook.args()``: the hook's field values in order, with each hook class's field
        names looked up once (``dataclasses.fields`` walks the class on every call)."""
        cls = type(event)
        names = self._fields.get(cls)
        if names is None:
            if cls.args is not hooks.Hook.args:  # a hook with its own args(): ask it
                return event.args()
            names = self._fields[cls] = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
        return [getattr(event, name) for name in names]


def _resolve(chain: list[object], name: str) -> list[tuple[Handler, bool]]:
    out: list[tuple[Handler, bool]] = []
    for addon in addonmanager.traverse(chain):  # type: ignore[no-untyped-call]
        func = getattr(addon, name, None)
        # mitmproxy skips a module imported under a hook's name (``from mitmproxy import log``)
        if func is None or isinstance(func, types.ModuleType):
            continue
        if not callable(func):
            raise exceptions.AddonManagerError(  # type: ignore[no-untyped-call]
                f"Addon handler {name} ({addon}) not callable"
            )
        if name == "request" and isinstance(addon, tlsconfig.TlsConfig):
            func = CrlRequest(addon)
        out.append((func, inspect.iscoroutinefunction(func)))
    return out


class CrlRequest:
    """``TlsConfig.request`` with the CRL path worked out once per CA instead of per request
    (its f-string of the CA serial was most of that hook's ~5 µs per call). The hook answers
    requests for the CRL and, with ``--emudhra``, blocks revocation lookups; for those
    requests (and only those) it is run as is."""

    def __init__(self, addon: tlsconfig.TlsConfig) -> None:
        self._addon = addon
        self._ca: object = None
        self._crl_path = ""

    def __call__(self, flow: http.HTTPFlow) -> None:
        if not flow.live or flow.error or flow.response:
            return
        ca = self._addon.certstore.default_ca
        if ca is not self._ca:
            self._ca, self._crl_path = ca, self._addon.crl_path()
        options = ctx.options
        if flow.request.path.endswith(self._crl_path) or options.emudhra or options.emudhra_old:
            self._addon.request(flow)


def _options(config: MitmConfig, modes: list[str]) -> dict[str, object]:
    return {
        "mode": modes,
        "confdir": str(config.ca_dir),
        # TLS is intercepted only for LLM hosts; every other CONNECT is a blind tunnel, so the
        # client sees the real server certificate.
        "allow_hosts": list(config.intercept.regexes) or ["^$"],
        "connection_strategy": "lazy",  # no upstream connection before requestheaders (overrides)
        "stream_large_bodies": str(config.stream_bodies_over),
        "http2": True,
        "http3": False,  # no UDP listeners in a sidecar
        "rawtcp": True,
        "upstream_cert": False,  # certs come from SNI; never connect upstream just to look
    }


def claim_port(address: Address) -> Address:
    """Port 0 means "any free port"; mitmproxy keys listeners by spec, so resolve it first.

    A fixed port is tried here too: mitmproxy only logs a failed bind, and the caller should
    get an ``OSError`` naming the address (EADDRINUSE) instead of a generic failure.
    """
    host, port = address
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from None
        return host, int(sock.getsockname()[1])


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _spec(address: Address, parent: str | None) -> str:
    """The forward listener relays to a parent proxy in upstream mode; the reverse listener's
    calls pick their way out per request (``proxy.egress``)."""
    host, port = address
    mode = f"upstream:{parent}" if parent else "regular"
    return f"{mode}@{host}:{port}"


def _bound(ps: proxyserver.Proxyserver, spec: str) -> Address:
    host, port, *_ = ps.servers[spec].listen_addrs[0]
    return str(host), int(port)
