{{/* Chart name. */}}
{{- define "agentops-hub.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-scoped name: <release>-agentops-hub, or the release name when it already contains the chart name. */}}
{{- define "agentops-hub.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Common labels. */}}
{{- define "agentops-hub.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/part-of: agentops-hub
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component; call with (dict "ctx" $ "component" "control-plane"). */}}
{{- define "agentops-hub.selectorLabels" -}}
app.kubernetes.io/name: {{ include "agentops-hub.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The image reference. */}}
{{- define "agentops-hub.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "agentops-hub.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "agentops-hub.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Env of every control-plane process (API, worker, migrations). */}}
{{- define "agentops-hub.controlPlaneEnv" -}}
- name: AGENTOPS_CONTROL_PLANE__DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.existingSecret }}
      key: database-url
- name: AGENTOPS_CONTROL_PLANE__REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.existingSecret }}
      key: redis-url
- name: AGENTOPS_CONTROL_PLANE__SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.existingSecret }}
      key: secret-key
- name: AGENTOPS_SENTRY_DSN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.existingSecret }}
      key: sentry-dsn
      optional: true
- name: AGENTOPS_CONTROL_PLANE__HOST
  value: "0.0.0.0"
- name: AGENTOPS_CONTROL_PLANE__PORT
  value: "8000"
{{- with .Values.controlPlane.appRole }}
- name: AGENTOPS_CONTROL_PLANE__APP_ROLE
  value: {{ . | quote }}
{{- end }}
- name: AGENTOPS_ENVIRONMENT
  value: {{ .Values.controlPlane.environment | quote }}
- name: AGENTOPS_LOG_FORMAT
  value: {{ .Values.controlPlane.logFormat | quote }}
{{- with .Values.controlPlane.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Writable scratch volumes for a read-only root file system. */}}
{{- define "agentops-hub.scratchVolumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
- name: home
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{- define "agentops-hub.scratchMounts" -}}
- name: tmp
  mountPath: /tmp
- name: home
  mountPath: /var/lib/agentops
{{- end -}}

{{/* exec probe against the proxy's admin port (bound to the proxy's listen host, maybe 127.0.0.1). */}}
{{- define "agentops-hub.proxyProbe" -}}
httpGet:
  path: {{ . }}
  port: proxy-metrics
{{- end -}}
