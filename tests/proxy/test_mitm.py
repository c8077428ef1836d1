"""The cheaper stand-ins ``proxy._mitm`` uses for mitmproxy's own steps give mitmproxy's results:
option reads, the retargeting of a request, a hook's arguments."""

from __future__ import annotations

from pathlib import Path

import pytest
from mitmproxy import exceptions, http, options
from mitmproxy.addons import proxyserver, tlsconfig
from mitmproxy.proxy.layers import http as http_layers
from mitmproxy.test import taddons, tflow, tutils

from proxy._mitm import CrlRequest, HookDispatch, Options, Retarget


def _loaded(opts: options.Options) -> options.Options:
    for addon in (proxyserver.Proxyserver(), tlsconfig.TlsConfig()):  # type: ignore[no-untyped-call]
        addon.load(opts)  # type: ignore[no-untyped-call]
    opts.update(stream_large_bodies="64m", mode=["regular@127.0.0.1:0"], allow_hosts=["^a$"])
    return opts


def test_options_read_as_mitmproxys_do_and_mutable_values_stay_copies() -> None:
    ours, theirs = _loaded(Options()), _loaded(options.Options())
    assert ours.keys() == theirs.keys()
    for name in sorted(theirs.keys()):
        assert getattr(ours, name) == getattr(theirs, name), name
    modes = ours.mode
    modes.append("reverse:http://x@1")  # the caller's copy, not the option
    assert ours.mode == ["regular@127.0.0.1:0"]
    ours.update(stream_large_bodies="1k")
    assert ours.stream_large_bodies == "1k"
    with pytest.raises(AttributeError, match="No such option"):
        _ = ours.no_such_option


def _refuse_13(opts: options.Options, updated: set[str]) -> None:
    """A subscriber refusing one value: mitmproxy rolls the update back."""
    if opts.stream_large_bodies == "13":
        raise exceptions.OptionsError("not 13")


def _rolled_back_and_half_set(opts: options.Options) -> list[object]:
    """Reads after a refused update, one that failed half-way (a bad type), and a reset."""
    opts.subscribe(_refuse_13, ["stream_large_bodies"])  # type: ignore[no-untyped-call]
    seen: list[object] = []
    with pytest.raises(exceptions.OptionsError):
        opts.update(stream_large_bodies="13", body_size_limit="1m")
    seen += [opts.stream_large_bodies, opts.body_size_limit]
    with pytest.raises(TypeError):
        opts.update(body_size_limit="2m", http2=7)  # http2 is a bool: raises mid-update
    seen += [opts.body_size_limit, opts.http2]
    opts.reset()  # type: ignore[no-untyped-call]
    seen += [getattr(opts, name) for name in sorted(opts.keys())]  # type: ignore[no-untyped-call]
    return seen


def test_option_reads_follow_rollbacks_failed_updates_and_resets() -> None:
    ours, theirs = (_rolled_back_and_half_set(_loaded(o)) for o in (Options(), options.Options()))
    assert ours == theirs
    assert ours[:2] == ["64m", None]


def _reference(request: http.Request, scheme: str, host: str, port: int, path: str) -> None:
    """What ``Retarget`` must do: mitmproxy's setters, one after the other."""
    request.scheme = scheme
    request.host = host
    request.port = port
    request.path = path


def _requests() -> list[http.Request]:
    origin = tutils.treq(
        host="127.0.0.1", port=8081, scheme=b"http", authority=b"", path=b"/openai/v1/x?k=1"
    )
    origin.headers = http.Headers(
        [(b"HOST", b"127.0.0.1:8081"), (b"accept", b"*/*"), (b"host", b"dup"), (b"x", b"y")]
    )
    no_host = tutils.treq(authority=b"")
    no_host.headers = http.Headers([(b"content-type", b"application/json")])
    absolute = tutils.treq(host="api.openai.com", port=443, authority=b"api.openai.com:443")
    h2 = tutils.treq(http_version=b"HTTP/2.0", authority=b"api.openai.com")
    h2.headers = http.Headers([(b"content-type", b"application/json")])
    return [origin, no_host, absolute, h2]


@pytest.mark.parametrize(
    ("scheme", "host", "port", "path"),
    [
        ("http", "127.0.0.1", 9000, "/v1/chat/completions"),
        ("https", "api.openai.com", 443, "/v1/chat/completions?x=1"),
        ("http", "gateway.internal", 80, "/base/v1/messages"),
        ("https", "bücher.example", 8443, "/ü/path"),
        ("https", "xn--bcher-kva.example", 443, "/"),
    ],
)
def test_retarget_makes_the_request_mitmproxys_setters_make(
    scheme: str, host: str, port: int, path: str
) -> None:
    retarget = Retarget()
    for index, request in enumerate(_requests()):
        expected = request.copy()
        _reference(expected, scheme, host, port, path)
        for _ in range(2):  # the destination worked out, then remembered
            got = request.copy()
            retarget(got, scheme, host, port, path)
            assert got.data == expected.data, index


def test_hook_arguments_are_those_mitmproxy_gives() -> None:
    dispatch = HookDispatch.__new__(HookDispatch)
    dispatch._fields = {}
    flow = tflow.tflow(resp=True)
    made = [
        http_layers.HttpRequestHeadersHook(flow),
        http_layers.HttpRequestHook(flow),
        http_layers.HttpResponseHook(flow),
        http_layers.HttpErrorHook(flow),
    ]
    for event in made * 2:
        assert dispatch._args(event) == event.args()


def test_tlsconfigs_request_hook_answers_as_mitmproxys(tmp_path: Path) -> None:
    """The CRL request is answered, a revocation lookup is blocked with ``emudhra``, anything
    else passes untouched: as ``TlsConfig.request`` does it, here from the hook table."""
    addon = tlsconfig.TlsConfig()
    with taddons.context(addon) as context:  # type: ignore[no-untyped-call]
        context.configure(addon, confdir=str(tmp_path))
        [(hook, _)] = HookDispatch(context.master.addons).handlers("request")
        assert isinstance(hook, CrlRequest)
        for emudhra in (False, True):
            context.options.update(emudhra=emudhra)
            for path, host in [
                (addon.crl_path(), "api.openai.com"),
                ("/v1/chat/completions", "api.openai.com"),
                ("/", "ocsp.comodoca.com"),
            ]:
                ours = tflow.tflow(req=tutils.treq(path=path.encode(), host=host))
                theirs = tflow.tflow(req=tutils.treq(path=path.encode(), host=host))
                hook(ours)
                addon.request(theirs)  # type: ignore[no-untyped-call]
                assert _answer(ours) == _answer(theirs), (emudhra, path)
                assert bool(ours.error) == bool(theirs.error), (emudhra, path)
                assert (path, bool(ours.response)) != (addon.crl_path(), False)


def _answer(flow: http.HTTPFlow) -> tuple[int, bytes | None] | None:
    return None if flow.response is None else (flow.response.status_code, flow.response.content)


class Step:
    def __init__(self, name: str, seen: list[str], fail: type[Exception] | None = None) -> None:
        self.name, self.seen, self.fail = name, seen, fail

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        self.seen.append(self.name)
        if self.fail is not None:
            raise self.fail("stop" if self.fail is exceptions.AddonHalt else "bug")

    async def update(self, flows: list[http.HTTPFlow]) -> None:
        self.seen.append(f"update:{self.name}")


async def test_hook_dispatch_keeps_mitmproxys_order_errors_halts_and_updates() -> None:
    seen: list[str] = []
    first, buggy, last = Step("a", seen), Step("b", seen, RuntimeError), Step("c", seen)
    with taddons.context(first, buggy, last) as context:  # type: ignore[no-untyped-call]
        dispatch = HookDispatch(context.master.addons)
        flow = tflow.tflow()
        await dispatch.handle_lifecycle(http_layers.HttpRequestHeadersHook(flow))
        assert seen == ["a", "b", "c", "update:a", "update:b", "update:c"]  # a bug is logged
        seen.clear()
        context.master.addons.remove(last)  # type: ignore[no-untyped-call]
        context.master.addons.add(Step("halt", seen, exceptions.AddonHalt), Step("d", seen))  # type: ignore[no-untyped-call]
        await dispatch.handle_lifecycle(http_layers.HttpRequestHeadersHook(flow))
        assert seen == ["a", "b", "halt", "update:a", "update:b", "update:halt", "update:d"]
