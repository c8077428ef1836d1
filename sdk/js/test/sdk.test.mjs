// The TypeScript SDK against a live control plane (AGENTOPS_TEST_API_URL, an ingest key and an
// owner token from the pytest wrapper tests/sdk/test_js_sdk.py) and local HTTP servers.
import assert from "node:assert/strict";
import http from "node:http";
import { test } from "node:test";

import { Reporter, currentHeaders, tag, taggedFetch } from "../dist/index.js";

const API = process.env.AGENTOPS_TEST_API_URL;
const KEY = process.env.AGENTOPS_TEST_INGEST_KEY;
const TOKEN = process.env.AGENTOPS_TEST_TOKEN;

function server(handler) {
  return new Promise((resolve) => {
    const srv = http.createServer(handler);
    srv.listen(0, "127.0.0.1", () => resolve(srv));
  });
}

test("tag puts run, agent and tags on fetches made inside it, nested and async", async () => {
  const seen = [];
  const srv = await server((req, res) => { seen.push(req.headers); res.end("{}"); });
  const url = `http://127.0.0.1:${srv.address().port}/v1/chat/completions`;
  const fetchTagged = taggedFetch();
  await tag({ runId: "js-run-1", agent: "js-bot", tags: { ticket: "PAY-42" } }, async () => {
    await tag({ tags: { note: "a,b=c" } }, async () => {
      await new Promise((r) => setTimeout(r, 5)); // the context survives awaits
      await fetchTagged(url, { method: "POST", headers: { authorization: "Bearer sk-x" } });
    });
  });
  await fetchTagged(url, { method: "POST" });
  srv.close();
  assert.equal(seen[0]["x-agentops-run-id"], "js-run-1");
  assert.equal(seen[0]["x-agentops-agent"], "js-bot");
  assert.equal(seen[0]["x-agentops-tags"], "ticket=PAY-42,note=a%2Cb%3Dc");
  assert.equal(seen[0].authorization, "Bearer sk-x"); // the caller's headers are kept
  assert.equal(seen[1]["x-agentops-run-id"], undefined);
  assert.deepEqual(currentHeaders(), {});
});

test("reports reach the live control plane once however often they are sent", async () => {
  const reporter = new Reporter(API, KEY);
  const at = new Date("2026-12-01T12:00:00Z");
  const call = {
    call_id: "018f2b6e-1c2d-7a3b-9c4d-5e6f7a8b9c0e", provider: "openai",
    endpoint: "chat.completions", model_requested: "gpt-4o-mini", status: "ok",
    tokens: { input: 10, output: 5 }, cost: { total_usd: "0.0000045" },
    started_at: at.toISOString(),
  };
  for (let i = 0; i < 2; i++) {
    assert.ok(reporter.reportRun("js-orchestrated-1", "sdk-bot",
      { calls: [call], events: [{ kind: "plan.made", at, data: { steps: 3 } }] }));
    assert.ok(reporter.reportEvent("js-orchestrated-1", "sdk-bot", "step.done", { step: 1 }, at));
  }
  assert.ok(await reporter.close(30_000));
  assert.deepEqual([reporter.sent, reporter.dropped], [4, 0]);
  const auth = { authorization: `Bearer ${TOKEN}` };
  const run = await (await fetch(`${API}/api/v1/runs/js-orchestrated-1`, { headers: auth })).json();
  assert.deepEqual([run.calls, run.cost_usd, run.run_source], [1, "0.0000045000", "sdk"]);
  const events = await (await fetch(`${API}/api/v1/events/js-orchestrated-1`, { headers: auth })).json();
  const kinds = events.items.map((e) => e.kind);
  assert.equal(kinds.filter((k) => k === "sdk.plan.made").length, 1);
  assert.equal(kinds.filter((k) => k === "sdk.step.done").length, 1);
});

test("transient failures are retried with the same body; refusals and outages are dropped", async () => {
  const answers = [503, 429];
  const bodies = [];
  const srv = await server((req, res) => {
    let body = "";
    req.on("data", (c) => { body += c; });
    req.on("end", () => { bodies.push(body); res.statusCode = answers.shift() ?? 200; res.end("{}"); });
  });
  const base = `http://127.0.0.1:${srv.address().port}`;
  const flaky = new Reporter(base, "aoh_x", { backoffMs: 10 });
  assert.ok(flaky.reportEvent("r-1", "bot", "step.done", { n: 1 }));
  assert.ok(await flaky.close());
  assert.deepEqual([flaky.sent, flaky.dropped, bodies.length, new Set(bodies).size], [1, 0, 3, 1]);
  answers.push(422);
  const refused = new Reporter(base, "aoh_x", { backoffMs: 10 });
  refused.reportEvent("r-1", "bot", "step.done");
  assert.ok(await refused.close());
  assert.deepEqual([refused.sent, refused.dropped, bodies.length], [0, 1, 4]); // 4xx: no retry
  srv.close();
  const down = new Reporter("http://127.0.0.1:9", "aoh_x", { maxAttempts: 3, backoffMs: 10 });
  assert.ok(down.reportEvent("r-1", "bot", "step.done")); // returns at once, never throws
  assert.ok(await down.close());
  assert.deepEqual([down.sent, down.dropped], [0, 1]);
  const full = new Reporter("http://127.0.0.1:9", "aoh_x", { queueSize: 1, backoffMs: 5000 });
  const accepted = [1, 2, 3, 4, 5].map(() => full.reportEvent("r-1", "bot", "step.done"));
  assert.ok(accepted.filter((a) => !a).length >= 3); // a full queue drops instead of blocking
});
