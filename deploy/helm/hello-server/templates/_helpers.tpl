{{/* The chart name, or nameOverride; 63 characters at most (a DNS label). */}}
{{- define "hello-server.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The objects' name: fullnameOverride, else the release name when it already
contains the chart name (`helm install hello-server …` gives "hello-server",
not "hello-server-hello-server"), else "<release>-<chart>".
*/}}
{{- define "hello-server.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels on every object (Kubernetes' recommended app.kubernetes.io set). */}}
{{- define "hello-server.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "hello-server.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The labels that select the pods: fixed for a release (a Deployment's selector is immutable). */}}
{{- define "hello-server.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hello-server.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Pods the release keeps at least: the HPA's minimum, or replicaCount. */}}
{{- define "hello-server.minReplicas" -}}
{{- if .Values.autoscaling.enabled }}{{ .Values.autoscaling.minReplicas }}{{ else }}{{ .Values.replicaCount }}{{ end }}
{{- end }}

{{/*
terminationGracePeriodSeconds: SIGTERM starts shutdownDelay seconds of
serving, then a drain of at most shutdownTimeout seconds; the kubelet's
SIGKILL must come after both. Computed with 5 s to spare, or the value given,
which must be larger than their sum.
*/}}
{{- define "hello-server.terminationGracePeriodSeconds" -}}
{{- $needed := add .Values.server.shutdownDelay .Values.server.shutdownTimeout }}
{{- $given := .Values.terminationGracePeriodSeconds }}
{{- if kindIs "invalid" $given }}
{{- add $needed 5 }}
{{- else if le (int $given) (int $needed) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be larger than server.shutdownDelay + server.shutdownTimeout (%d): the kubelet would kill pods in the middle of their drain" (int $given) (int $needed)) }}
{{- else }}
{{- $given }}
{{- end }}
{{- end }}
