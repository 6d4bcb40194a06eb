{{- define "sluice.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name; the release name alone when it already says "sluice". */}}
{{- define "sluice.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "sluice.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "sluice.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sluice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sluice.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "sluice.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
The operator's rights, shared by the ClusterRole and the namespaced Role so the two can never
drift apart. Each rule says why the operator needs it; nothing here lists, writes or deletes
Secrets, and nothing touches workloads until the Connect controller renders them.
*/}}
{{- define "sluice.rules" -}}
# Connectors: watched, reconciled, their finalizer and one-off annotations patched.
- apiGroups: ["sluice.dev"]
  resources: ["connectors"]
  verbs: ["get", "list", "watch", "patch"]
# Status is written through server-side apply on the status subresource.
- apiGroups: ["sluice.dev"]
  resources: ["connectors/status"]
  verbs: ["get", "patch"]
# Where OwnerReferencesPermissionEnforcement is on (OpenShift), setting finalizers needs this.
- apiGroups: ["sluice.dev"]
  resources: ["connectors/finalizers"]
  verbs: ["update"]
# Connects: watched and reconciled; a Connector's connectClusterRef is resolved through them.
- apiGroups: ["sluice.dev"]
  resources: ["connects"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["sluice.dev"]
  resources: ["connects/status"]
  verbs: ["get", "patch"]
# What a Connect renders, applied server-side (create for the first apply). Nothing is
# deleted by hand: owner references let the garbage collector remove it with the Connect.
- apiGroups: ["apps"]
  resources: ["statefulsets"]
  verbs: ["get", "list", "watch", "create", "patch"]
- apiGroups: [""]
  resources: ["services"]
  verbs: ["get", "create", "patch"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "create", "patch"]
# Where OwnerReferencesPermissionEnforcement is on, owning objects needs this.
- apiGroups: ["sluice.dev"]
  resources: ["connects/finalizers"]
  verbs: ["update"]
# The workers' pods: read for the plugin installer's termination message.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list"]
# Policies: watched, their modules loaded, their status written by server-side apply.
- apiGroups: ["sluice.dev"]
  resources: ["policies"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["sluice.dev"]
  resources: ["policies/status"]
  verbs: ["get", "patch"]
# A Policy's module from spec.module.configMapRef: read one by one, never listed; a
# Connect's worker config and plugin list: applied server-side.
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "create", "patch"]
# Credentials and certificates named by connectRest.authentication and tls: read one by
# one; a Connect's mounted Secrets: their metadata only (the version rolls the workers); the
# Secret with a Connect's REST credentials and certificate, issued server-side (create for
# the first apply; a Secret the Connect does not own is never written).
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "create", "patch"]
# The NetworkPolicy that lets only the operator and the workers reach a Connect's REST port.
- apiGroups: ["networking.k8s.io"]
  resources: ["networkpolicies"]
  verbs: ["get", "create", "patch"]
# Every action on Connect leaves an Event on the resource.
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end -}}
