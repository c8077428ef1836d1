/**
 * AgentOps Hub agent SDK (TypeScript): the same surface as the Python `agentops.sdk`.
 *
 *   import OpenAI from "openai";
 *   import { tag, taggedFetch, Reporter } from "@agentops-hub/sdk";
 *   const client = new OpenAI({ fetch: taggedFetch() });
 *   await tag({ runId: "nightly-42", agent: "refund-bot", tags: { ticket: "PAY-42" } }, () =>
 *     client.chat.completions.create({ ... }));      // carries X-AgentOps-* headers
 *
 *   const reporter = new Reporter("http://control-plane:8000", "aoh_...");
 *   reporter.reportEvent("nightly-42", "refund-bot", "step.done", { step: 3 });
 *   await reporter.close();
 *
 * Reports are sent in the background with retries and backoff, idempotent by run id, and never
 * throw into or block the agent: a full queue or a refused report is dropped (and counted).
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface Tagging {
  runId?: string;
  agent?: string;
  tags?: Record<string, string>;
}

const storage = new AsyncLocalStorage<Tagging>();

/** Run `fn` with its calls tagged; nested calls inherit what they do not set (tags merge). */
export function tag<T>(tagging: Tagging, fn: () => T): T {
  const outer = storage.getStore() ?? {};
  const inner: Tagging = {
    runId: tagging.runId ?? outer.runId,
    agent: tagging.agent ?? outer.agent,
    tags: { ...(outer.tags ?? {}), ...(tagging.tags ?? {}) },
  };
  return storage.run(inner, fn);
}

/** The X-AgentOps-* headers of the current context (empty outside any `tag`). */
export function currentHeaders(): Record<string, string> {
  const now = storage.getStore();
  const headers: Record<string, string> = {};
  if (!now) return headers;
  if (now.agent) headers["X-AgentOps-Agent"] = now.agent;
  if (now.runId) headers["X-AgentOps-Run-Id"] = now.runId;
  const tags = Object.entries(now.tags ?? {});
  if (tags.length) {
    headers["X-AgentOps-Tags"] = tags
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join(",");
  }
  return headers;
}

/** A fetch that adds the current tagging headers (pass it as the OpenAI/Anthropic SDK's `fetch`). */
export function taggedFetch(inner: typeof fetch = globalThis.fetch): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    for (const [name, value] of Object.entries(currentHeaders())) headers.set(name, value);
    return inner(input, { ...init, headers });
  };
}

export interface RunEvent {
  kind: string;
  at?: Date | string;
  data?: Record<string, unknown>;
}

export interface ReporterOptions {
  maxAttempts?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  timeoutMs?: number;
  queueSize?: number;
}

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Posts runs and events to /api/v1/ingest/run in the background. */
export class Reporter {
  sent = 0;
  dropped = 0;
  private readonly url: string;
  private readonly queue: string[] = [];
  private draining: Promise<void> | null = null;
  private readonly opts: Required<ReporterOptions>;

  constructor(apiUrl: string, private readonly apiKey: string, options: ReporterOptions = {}) {
    this.url = apiUrl.replace(/\/+$/, "") + "/api/v1/ingest/run";
    this.opts = {
      maxAttempts: 6, backoffMs: 500, maxBackoffMs: 30_000, timeoutMs: 10_000, queueSize: 1000,
      ...options,
    };
  }

  /** Queue a run with its calls and events; false (dropped) when the queue is full. */
  reportRun(runId: string, agent: string, body: { calls?: object[]; events?: RunEvent[] } = {}): boolean {
    if (this.queue.length >= this.opts.queueSize) {
      this.dropped += 1;
      return false;
    }
    const events = (body.events ?? []).map((e) => ({
      kind: e.kind,
      at: e.at instanceof Date ? e.at.toISOString() : (e.at ?? new Date().toISOString()),
      data: e.data ?? {},
    }));
    this.queue.push(JSON.stringify({ run_id: runId, agent, calls: body.calls ?? [], events }));
    this.draining ??= this.drain().finally(() => { this.draining = null; });
    return true;
  }

  /** Queue one event of a run (`at` defaults to now). */
  reportEvent(runId: string, agent: string, kind: string, data: Record<string, unknown> = {}, at?: Date): boolean {
    return this.reportRun(runId, agent, { events: [{ kind, at: at ?? new Date(), data }] });
  }

  /** Wait until every queued report was sent or dropped; false on timeout. */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.draining) {
      if (Date.now() > deadline) return false;
      await sleep(10);
    }
    return true;
  }

  close(timeoutMs = 10_000): Promise<boolean> {
    return this.flush(timeoutMs);
  }

  private async drain(): Promise<void> {
    let body: string | undefined;
    while ((body = this.queue.shift()) !== undefined) {
      if (await this.deliver(body)) this.sent += 1;
      else this.dropped += 1;
    }
  }

  private async deliver(body: string): Promise<boolean> {
    let delay = this.opts.backoffMs;
    for (let attempt = 1; attempt <= this.opts.maxAttempts; attempt++) {
      const outcome = await this.post(body);
      if (outcome === "ok") return true;
      if (outcome === "fatal" || attempt === this.opts.maxAttempts) break;
      await sleep(delay, false);
      delay = Math.min(delay * 2, this.opts.maxBackoffMs);
    }
    return false;
  }

  private async post(body: string): Promise<"ok" | "retry" | "fatal"> {
    try {
      const reply = await fetch(this.url, {
        method: "POST",
        body,
        headers: { "content-type": "application/json", authorization: `Bearer ${this.apiKey}` },
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      await reply.arrayBuffer();
      if (reply.ok) return "ok";
      return RETRYABLE.has(reply.status) ? "retry" : "fatal";
    } catch {
      return "retry"; // unreachable, reset, timed out: try again later
    }
  }
}

/** A backoff wait does not keep the agent's process alive (`keepAlive` false); flush does. */
function sleep(ms: number, keepAlive = true): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    if (!keepAlive) timer.unref();
  });
}
