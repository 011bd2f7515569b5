{{/*
Chart name, truncated to 63 characters (a DNS label).
*/}}
{{- define "hush-controller.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: the release name, prefixed to the chart name unless it already
contains it (release "hush-controller" -> "hush-controller").
*/}}
{{- define "hush-controller.fullname" -}}
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

{{- define "hush-controller.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every object. Note: app.kubernetes.io/managed-by is Helm here; the
controller puts managed-by: hush-controller on the Secrets it writes.
*/}}
{{- define "hush-controller.labels" -}}
helm.sh/chart: {{ include "hush-controller.chart" . }}
{{ include "hush-controller.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: controller
{{- end }}

{{- define "hush-controller.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hush-controller.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "hush-controller.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "hush-controller.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The Lease name; the Role grants get/patch on exactly this name.
*/}}
{{- define "hush-controller.leaseName" -}}
{{- default (include "hush-controller.fullname" .) .Values.leaderElection.leaseName }}
{{- end }}

{{/*
The policy ConfigMap's name, or empty when there is no policy.
*/}}
{{- define "hush-controller.policyConfigMap" -}}
{{- if .Values.policy.existingConfigMap }}
{{- .Values.policy.existingConfigMap }}
{{- else if .Values.policy.inline }}
{{- printf "%s-policy" (include "hush-controller.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "hush-controller.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
