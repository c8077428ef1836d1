"""The console in a real browser (Debian's chromium driven by Playwright) over `agentops up`:
sign in with the printed one-time link, see an SDK call on Home and in its run's timeline,
kill the agent from its page and see the next SDK call refused, a viewer without the kill
button (and refused when forging the POST), a CSV whose total equals the API's. Each page is
saved to docs/screenshots/ for the README.

One `agentops up`, one browser for the module; the tests run in order and build on each
other's state, as a person clicking through the console would.
"""

from __future__ import annotations

import csv
import io
import json
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.fakeprovider.server import run_fake_provider_in_thread
from tests.harness.ports import free_port

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
AGENT = "support-bot"


class Instance:
    def __init__(self, proc: subprocess.Popen[str], home: Path, ports: dict[str, int]) -> None:
        self.proc, self.home, self.ports = proc, home, ports
        self.output = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['api']}"

    def line(self, label: str) -> str:
        return next(
            ln.split(label, 1)[1].split()[0] for ln in self.output.splitlines() if label in ln
        )

    def api(self, method: str, path: str, token: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            self.url + "/api/v1" + path, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"content-type": "application/json", "Authorization": f"Bearer {token}"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
            return json.loads(text) if text else None

    def login(self, email: str, password: str, org: str | None = None) -> str:
        body = {"email": email, "password": password, "org": org}
        request = urllib.request.Request(
            self.url + "/api/v1/auth/login", data=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as response:
            return str(json.loads(response.read())["access_token"])

    def admin_token(self) -> str:
        admin = json.loads((self.home / "embedded-admin.json").read_text())
        return self.login(admin["email"], admin["password"])

    def sdk(self) -> openai.OpenAI:
        """The official SDK through the forward proxy (HTTPS_PROXY + the proxy's CA bundle)."""
        bundle = self.home / "ca" / "agentops-ca-bundle.pem"
        trust = ssl.create_default_context(cafile=str(bundle))
        http = httpx.Client(proxy=f"http://127.0.0.1:{self.ports['proxy']}", verify=trust)
        return openai.OpenAI(
            api_key="sk-console-test", http_client=http, max_retries=0,
            default_headers={"X-AgentOps-Agent": AGENT, "X-AgentOps-Run-Id": "ticket-4711"},
        )  # fmt: skip


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    with run_fake_provider_in_thread() as provider:
        home = tmp_path_factory.mktemp("console") / "home"
        ports = {"api": free_port(), "proxy": free_port(), "reverse": free_port()}
        proc = subprocess.Popen(
            [sys.executable, "-c", "from cli.main import main; main()", "up",
             "--port", str(ports["api"]), "--proxy-port", str(ports["proxy"]),
             "--reverse-port", str(ports["reverse"]),
             "--upstream", f"api.openai.com={provider.url}"],
            env={"AGENTOPS_HOME": str(home), "AGENTOPS_PROXY__ADMIN_PORT": "0",
                 "AGENTOPS_CONTROL_PLANE__PASSWORD_HASH_FAST": "true", "PATH": "/usr/bin:/bin"},
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        running = Instance(proc, home, ports)
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        try:
            while "Press Ctrl-C to stop." not in running.output:
                line = proc.stdout.readline()
                assert line or proc.poll() is None, f"agentops up exited:\n{running.output}"
                running.output += line
                assert time.monotonic() < deadline, f"agentops up did not start:\n{running.output}"
            yield running
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def admin(browser: Browser, instance: Instance) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_up_prints_the_console_and_its_one_time_link_which_signs_in_once(
    instance: Instance, admin: Page, browser: Browser
) -> None:
    assert f"web console     {instance.url}/" in instance.output
    link = instance.line("sign in once")
    assert link.startswith(f"{instance.url}/login/link?token=aor_")
    admin.goto(link)
    expect(admin.get_by_role("heading", name="Home")).to_be_visible()
    expect(admin.get_by_text("admin@agentops.local")).to_be_visible()
    other = browser.new_context()
    try:
        replay = other.new_page()
        replay.goto(link)
        expect(replay.get_by_role("alert")).to_contain_text("already used")
    finally:
        other.close()
    # A replayed link may mean it leaked: the session it opened is ended too (refresh-token
    # reuse detection). The admin signs in again with the password from the 0600 file.
    admin.reload()
    expect(admin.get_by_role("heading", name="Sign in to AgentOps Hub")).to_be_visible()
    shot(admin, "sign-in")
    secrets = json.loads((instance.home / "embedded-admin.json").read_text())
    admin.get_by_label("E-mail").fill(secrets["email"])
    admin.get_by_label("Password").fill(secrets["password"])
    admin.get_by_role("button", name="Sign in").click()
    expect(admin.get_by_role("heading", name="Home")).to_be_visible()


def test_an_sdk_call_shows_on_home_and_in_its_runs_timeline(
    instance: Instance, admin: Page
) -> None:
    with instance.sdk() as sdk:
        reply = sdk.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Where is my parcel?"}]
        )
    assert reply.choices[0].message.content
    token = instance.admin_token()
    deadline = time.monotonic() + 20
    while not instance.api("GET", f"/runs?agent={AGENT}", token)["items"]:
        assert time.monotonic() < deadline, "the call never reached the store"
        time.sleep(0.2)
    admin.goto(instance.url + "/")
    expect(admin.get_by_role("link", name=AGENT)).to_be_visible()
    expect(admin.get_by_test_id("kpi-calls")).to_have_text("1")
    shot(admin, "home")
    admin.get_by_role("link", name="Runs", exact=True).click()
    admin.get_by_role("link", name="ticket-4711").click()
    timeline = admin.get_by_test_id("timeline")
    expect(timeline).to_contain_text("gpt-4o-mini")
    assert reply.usage is not None
    expect(timeline).to_contain_text(f"input {reply.usage.prompt_tokens}")
    shot(admin, "run-timeline")
    admin.goto(instance.url + "/runs")
    shot(admin, "runs")


def test_killing_an_agent_from_its_page_refuses_its_next_sdk_call(
    instance: Instance, admin: Page
) -> None:
    admin.goto(instance.url + "/agents")
    shot(admin, "agents")
    admin.get_by_role("link", name=AGENT).click()
    admin.get_by_label("Reason (shown to the agent)").first.fill("runaway loop INC-42")
    admin.get_by_role("button", name="Kill…").click()
    expect(admin.get_by_role("heading", name=f"Kill {AGENT}?")).to_be_visible()
    shot(admin, "kill-confirmation")
    admin.get_by_role("button", name=f"Yes, kill {AGENT}").click()
    expect(admin.get_by_test_id("agent-status")).to_have_text("killed")
    expect(admin.get_by_role("status")).to_contain_text("Kill applied")
    with instance.sdk() as sdk, pytest.raises(openai.PermissionDeniedError, match="INC-42"):
        sdk.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "again"}]
        )
    admin.reload()
    shot(admin, "agent")


def test_a_viewer_sees_no_kill_button_and_a_forged_post_is_refused(
    instance: Instance, browser: Browser
) -> None:
    admin_token = instance.admin_token()
    with urllib.request.urlopen(urllib.request.Request(
        instance.url + "/api/v1/auth/signup", method="POST",
        data=json.dumps({"email": "vera@example.com", "password": "viewer-pass-1",
                         "org_name": "Vera's sandbox"}).encode(),
        headers={"content-type": "application/json"},
    ), timeout=10):  # fmt: skip
        pass
    instance.api(
        "POST", "/org-members", admin_token, {"email": "vera@example.com", "role": "viewer"}
    )
    agent = instance.api("GET", f"/agents?name_prefix={AGENT}", admin_token)["items"][0]
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    try:
        page = context.new_page()
        page.goto(instance.url + "/agents/" + agent["id"])
        page.get_by_label("E-mail").fill("vera@example.com")
        page.get_by_label("Password").fill("viewer-pass-1")
        page.get_by_label("Organisation").fill("default")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name=AGENT)).to_be_visible()
        expect(page.get_by_test_id("agent-actions")).to_have_count(0)
        expect(page.get_by_role("button", name="Resume…")).to_have_count(0)
        shot(page, "agent-as-viewer-phone")
        csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
        forged = page.request.post(
            instance.url + f"/agents/{agent['id']}/control",
            form={"csrf_token": csrf or "", "action": "resume", "confirm": "yes"},
            max_redirects=0,
        )
        assert forged.status == 403
        assert "lacks permission emergency:write" in forged.text()
    finally:
        context.close()
    assert instance.api("GET", f"/agents/{agent['id']}", admin_token)["status"] == "killed"


def test_the_downloaded_csv_totals_what_the_api_reports(instance: Instance, admin: Page) -> None:
    admin.goto(instance.url + "/costs?group_by=model")
    shot(admin, "costs")
    with admin.expect_download() as info:
        admin.get_by_test_id("download-csv").click()
    text = Path(info.value.path()).read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows, text
    cost_column = next(c for c in rows[0] if "cost" in c.lower())
    downloaded = sum(Decimal(r[cost_column]) for r in rows if r[cost_column])
    report = instance.api("GET", "/reports/costs?by=model", instance.admin_token())
    assert downloaded == Decimal(report["totals"]["cost_usd"])
    assert downloaded > 0


def test_the_other_pages_render_and_are_saved(instance: Instance, admin: Page) -> None:
    admin.goto(instance.url + "/budgets")
    admin.get_by_label("Name", exact=True).fill("monthly-org")
    admin.get_by_label("Limit (USD)").fill("50")
    admin.get_by_role("button", name="Create budget").click()
    expect(admin.get_by_role("status")).to_contain_text("Budget saved")
    expect(admin.get_by_role("progressbar")).to_have_count(1)
    shot(admin, "budgets")
    admin.goto(instance.url + "/settings")
    admin.get_by_label("Key name").fill("ci-reader")
    admin.get_by_role("button", name="Create key").click()
    expect(admin.get_by_test_id("secret-once")).to_contain_text("aoh_")
    admin.goto(instance.url + "/settings")
    expect(admin.get_by_role("cell", name="ci-reader", exact=True)).to_be_visible()
    shot(admin, "settings")
    admin.goto(instance.url + "/connect")
    expect(admin.locator("#code-python")).to_contain_text(
        f"HTTPS_PROXY=http://127.0.0.1:{instance.ports['proxy']}"
    )
    shot(admin, "connect")
    admin.goto(instance.url + "/approvals")
    shot(admin, "approvals")
    admin.emulate_media(color_scheme="dark")
    admin.goto(instance.url + "/")
    shot(admin, "home-dark")
    admin.emulate_media(color_scheme="light")
    admin.goto(instance.url + "/api/v1/docs")
    expect(admin.get_by_text("/api/v1/agents").first).to_be_visible(timeout=15000)
    shot(admin, "api-docs")
