{{/*
Sidecar injection snippets, driven by .Values.sidecar. Used by sidecar-snippet.yaml (a ConfigMap
to paste from) and example-agent.yaml. Add to an agent's pod spec:
  initContainers: agentops-hub.sidecar.initContainers
  containers:     the agent's own container + agentops-hub.sidecar.containers (classic mode)
  volumes:        agentops-hub.sidecar.volumes
  agent env:      agentops-hub.sidecar.agentEnv; agent volumeMounts: agentops-hub.sidecar.agentMounts
and the label <sidecar.agentLabel>: <agent name> on the pod template.
*/}}

{{- define "agentops-hub.sidecar.proxyContainer" -}}
- name: agentops-proxy
  image: {{ include "agentops-hub.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  {{- if .Values.sidecar.native }}
  restartPolicy: Always
  {{- end }}
  args: ["proxy"]
  ports:
    - name: proxy
      containerPort: 8080
    - name: proxy-reverse
      containerPort: 8081
    - name: proxy-admin
      containerPort: 8082
    - name: proxy-metrics
      containerPort: {{ .Values.metrics.port }}
  env:
    - name: AGENTOPS_PROXY__DEFAULT_AGENT
      valueFrom:
        fieldRef:
          fieldPath: {{ printf "metadata.labels['%s']" .Values.sidecar.agentLabel }}
    - name: AGENTOPS_PROXY__PIN_AGENT
      value: {{ .Values.sidecar.pinAgent | quote }}
    - name: POD_NAME
      valueFrom:
        fieldRef:
          fieldPath: metadata.name
    - name: POD_NAMESPACE
      valueFrom:
        fieldRef:
          fieldPath: metadata.namespace
    - name: POD_SERVICE_ACCOUNT
      valueFrom:
        fieldRef:
          fieldPath: spec.serviceAccountName
    - name: AGENTOPS_PROXY__PROXY_ID
      value: "$(POD_NAMESPACE)/$(POD_NAME)"
    - name: AGENTOPS_PROXY__DEFAULT_ORG
      value: {{ .Values.sidecar.defaultOrg | quote }}
    - name: AGENTOPS_PROXY__LISTEN_HOST
      value: "127.0.0.1"
    - name: AGENTOPS_PROXY__CONTROL_PLANE_URL
      valueFrom:
        secretKeyRef:
          name: {{ .Values.sidecar.proxySecret }}
          key: control-plane-url
    - name: AGENTOPS_PROXY__API_KEY
      valueFrom:
        secretKeyRef:
          name: {{ .Values.sidecar.proxySecret }}
          key: api-key
    - name: AGENTOPS_CONTROL_PLANE__REDIS_URL
      valueFrom:
        secretKeyRef:
          name: {{ .Values.sidecar.proxySecret }}
          key: redis-url
          optional: true
    - name: AGENTOPS_PROXY__CA_DIR
      value: /var/lib/agentops/ca
    - name: AGENTOPS_PROXY__METRICS_PORT
      value: {{ .Values.metrics.port | quote }}
    - name: AGENTOPS_PROXY__SPOOL_DIR
      value: /var/lib/agentops/spool
    - name: AGENTOPS_PROXY__SPOOL_MAX_BYTES
      value: {{ .Values.sidecar.spoolMaxBytes | quote }}
  {{- if .Values.sidecar.native }}
  startupProbe:
    {{- include "agentops-hub.proxyProbe" "/healthz" | nindent 4 }}
    periodSeconds: 1
    failureThreshold: 60
  {{- else }}
  lifecycle:
    preStop:
      exec:
        command: ["sleep", "10"]
  {{- end }}
  readinessProbe:
    {{- include "agentops-hub.proxyProbe" "/readyz" | nindent 4 }}
    periodSeconds: 10
    timeoutSeconds: 3
  livenessProbe:
    {{- include "agentops-hub.proxyProbe" "/healthz" | nindent 4 }}
    periodSeconds: 15
    timeoutSeconds: 3
    failureThreshold: 4
  resources:
    {{- toYaml .Values.sidecar.resources | nindent 4 }}
  securityContext:
    runAsUser: 10001
    {{- toYaml .Values.securityContext | nindent 4 }}
  volumeMounts:
    - name: agentops-home
      mountPath: /var/lib/agentops
    - name: agentops-ca
      mountPath: /var/lib/agentops/ca
      readOnly: true
    - name: agentops-spool
      mountPath: /var/lib/agentops/spool
    - name: agentops-tmp
      mountPath: /tmp
{{- end -}}

{{- define "agentops-hub.sidecar.caInitContainer" -}}
- name: agentops-ca-bundle
  image: {{ include "agentops-hub.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  args: ["ca", "export", "--out", {{ printf "%s/bundle.pem" .Values.sidecar.caBundleDir | quote }}, "--node-preload"]
  env:
    - name: AGENTOPS_PROXY__CA_DIR
      value: /var/lib/agentops/ca
  resources:
    requests:
      cpu: 10m
      memory: 64Mi
    limits:
      memory: 256Mi
  securityContext:
    runAsUser: 10001
    {{- toYaml .Values.securityContext | nindent 4 }}
  volumeMounts:
    - name: agentops-home
      mountPath: /var/lib/agentops
    - name: agentops-ca
      mountPath: /var/lib/agentops/ca
      readOnly: true
    - name: agentops-ca-bundle
      mountPath: {{ .Values.sidecar.caBundleDir }}
    - name: agentops-tmp
      mountPath: /tmp
{{- end -}}

{{/* initContainers: the CA bundle writer, then (native mode) the proxy itself. */}}
{{- define "agentops-hub.sidecar.initContainers" -}}
{{ include "agentops-hub.sidecar.caInitContainer" . }}
{{- if .Values.sidecar.native }}
{{ include "agentops-hub.sidecar.proxyContainer" . }}
{{- end }}
{{- end -}}

{{/* containers to add next to the agent (classic mode only). */}}
{{- define "agentops-hub.sidecar.containers" -}}
{{- if not .Values.sidecar.native }}
{{ include "agentops-hub.sidecar.proxyContainer" . }}
{{- end }}
{{- end -}}

{{- define "agentops-hub.sidecar.volumes" -}}
- name: agentops-ca
  secret:
    secretName: {{ .Values.sidecar.caSecret }}
    defaultMode: 0440
- name: agentops-ca-bundle
  emptyDir:
    sizeLimit: 4Mi
- name: agentops-spool
  emptyDir:
    sizeLimit: {{ .Values.sidecar.spoolSizeLimit }}
- name: agentops-home
  emptyDir:
    sizeLimit: 16Mi
- name: agentops-tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{- define "agentops-hub.sidecar.agentEnv" -}}
- name: HTTPS_PROXY
  value: http://127.0.0.1:8080
- name: https_proxy
  value: http://127.0.0.1:8080
- name: NO_PROXY
  value: localhost,127.0.0.1,.svc,.cluster.local
- name: no_proxy
  value: localhost,127.0.0.1,.svc,.cluster.local
- name: SSL_CERT_FILE
  value: {{ printf "%s/bundle.pem" .Values.sidecar.caBundleDir }}
- name: REQUESTS_CA_BUNDLE
  value: {{ printf "%s/bundle.pem" .Values.sidecar.caBundleDir }}
- name: NODE_EXTRA_CA_CERTS
  value: {{ printf "%s/bundle.pem" .Values.sidecar.caBundleDir }}
- name: HTTP_PROXY
  value: http://127.0.0.1:8080
- name: http_proxy
  value: http://127.0.0.1:8080
- name: CURL_CA_BUNDLE
  value: {{ printf "%s/bundle.pem" .Values.sidecar.caBundleDir }}
- name: AWS_CA_BUNDLE
  value: {{ printf "%s/bundle.pem" .Values.sidecar.caBundleDir }}
{{- /* Node >= 24 (and 22.21) honour the proxy with NODE_USE_ENV_PROXY; older Node gets the
preload the CA init container copied beside the bundle (undici's EnvHttpProxyAgent for fetch). */}}
- name: NODE_USE_ENV_PROXY
  value: "1"
- name: NODE_OPTIONS
  value: {{ printf "--import %s/node/preload.mjs" .Values.sidecar.caBundleDir }}
{{- end -}}

{{- define "agentops-hub.sidecar.agentMounts" -}}
- name: agentops-ca-bundle
  mountPath: {{ .Values.sidecar.caBundleDir }}
  readOnly: true
{{- end -}}
