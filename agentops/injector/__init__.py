"""The Kubernetes mutating admission webhook (``agentops injector``): pods labelled with an
agent name get the proxy sidecar, the CA bundle and the agent environment, or transparent
capture. ``patch`` decides (pure); ``server`` speaks AdmissionReview over TLS."""
