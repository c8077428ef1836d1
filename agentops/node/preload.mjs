// AgentOps Hub: make Node's fetch honour HTTPS_PROXY / HTTP_PROXY / NO_PROXY on every Node.
//
// Node >= 24 (and >= 22.21) does it itself when NODE_USE_ENV_PROXY=1; older Node ignores the
// proxy variables, so an SDK built on fetch (openai, anthropic, ...) would connect directly and
// go unmetered. Loaded with NODE_OPTIONS='--import <this file>' (agentops run, agentops ca env,
// the Kubernetes injector), it installs undici's EnvHttpProxyAgent as the global dispatcher,
// which Node's built-in fetch uses. undici is vendored (undici.cjs, built from the pinned npm
// release by scripts/vendor-undici.sh; licence in UNDICI-LICENSE): no network, no npm install.
import { createRequire } from "node:module";

const [major, minor] = process.versions.node.split(".").map(Number);
const builtin = process.env.NODE_USE_ENV_PROXY === "1" && (major >= 24 || (major === 22 && minor >= 21));
const wanted = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"].some((n) => process.env[n]);

if (wanted && !builtin) {
  try {
    const { EnvHttpProxyAgent, setGlobalDispatcher } = createRequire(import.meta.url)("./undici.cjs");
    setGlobalDispatcher(new EnvHttpProxyAgent());
  } catch (error) {
    // Never silently unmetered: say so on stderr, and let the agent run.
    process.stderr.write(`agentops: could not route fetch through the proxy: ${error}\n`);
  }
}
