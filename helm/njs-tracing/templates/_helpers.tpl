{{/*
Names and labels of this chart's own objects.
*/}}
{{- define "njs-tracing.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "njs-tracing.fullname" -}}
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

{{- define "njs-tracing.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "njs-tracing.selectorLabels" -}}
app.kubernetes.io/name: {{ include "njs-tracing.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "njs-tracing.labels" -}}
helm.sh/chart: {{ include "njs-tracing.chart" . }}
{{ include "njs-tracing.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: njs-tracing
{{- end }}

{{/*
The ingress-nginx controller pods, for the metrics Service and the
NetworkPolicy: the labels the ingress-nginx chart gives them, unless
global.tracing.controller.podSelector names others (an ingress-nginx release
installed separately).
*/}}
{{- define "njs-tracing.controllerSelector" -}}
{{- with .Values.global.tracing.controller.podSelector }}
{{- toYaml . }}
{{- else }}
app.kubernetes.io/name: {{ index .Values "ingress-nginx" "nameOverride" | default "ingress-nginx" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}
{{- end }}

{{/*
Everything below is also rendered inside the ingress-nginx chart, through the
tpl strings this chart sets in its values (values.yaml, "ingress-nginx:"):
there `.` is the ingress-nginx chart's scope, so these helpers read only
.Values.global.tracing (globals are the one part of the values both charts
see) and fixed names.

The ingress-nginx chart's extraVolumes are not passed through tpl, so the
ConfigMaps the controller pod mounts have fixed names: one njs-tracing per
namespace.
*/}}
{{- define "njs-tracing.filesConfigMap" -}}njs-tracing-files{{- end }}
{{- define "njs-tracing.sidecarConfigMap" -}}njs-tracing-sidecar{{- end }}
{{- define "njs-tracing.sidecarEnvConfigMap" -}}njs-tracing-sidecar-env{{- end }}
{{/* Where the controller sees tracing.js and the includes (ConfigMap volume). */}}
{{- define "njs-tracing.filesDir" -}}/etc/nginx/njs-tracing{{- end }}
{{/* The span record file, on an emptyDir shared by the controller and the sidecar. */}}
{{- define "njs-tracing.spansDir" -}}/var/log/njs-tracing{{- end }}
{{- define "njs-tracing.spansFile" -}}{{ include "njs-tracing.spansDir" . }}/spans.log{{- end }}
{{/* The sink defaults written in the built include files, replaced literally. */}}
{{- define "njs-tracing.builtSpansFile" -}}/var/log/nginx/njs-tracing-spans.log{{- end }}
{{- define "njs-tracing.sidecarDir" -}}/opt/njs-tracing{{- end }}
{{- define "njs-tracing.sidecarFile" -}}njs-tracing-sidecar.cjs{{- end }}
{{/* The per-Ingress policy's map files: an emptyDir the sidecar writes, read-only in the controller. */}}
{{- define "njs-tracing.policyDir" -}}/etc/nginx/njs-tracing-policy{{- end }}
{{- define "njs-tracing.policyOn" -}}
{{- $t := .Values.global.tracing }}
{{- if and $t.enabled (ne $t.policy.mode "off") }}true{{ end }}
{{- end }}

{{/* A knob value as nginx reads it: booleans as on/off, lists joined by commas. */}}
{{- define "njs-tracing.onOff" -}}{{ if . }}on{{ else }}off{{ end }}{{- end }}

{{/*
The sample ratio without exponent notation (Go prints 0.00001 as 1e-05, which
nginx would reject): 1 and 0 exactly (the native fast path's keys), else up
to six decimals.
*/}}
{{- define "njs-tracing.ratio" -}}
{{- $r := float64 . }}
{{- if eq $r 1.0 }}1{{ else if eq $r 0.0 }}0{{ else }}{{ regexReplaceAll "0+$" (printf "%.6f" $r) "" }}{{ end }}
{{- end }}

{{/*
Whether locations need tracing-location-formats.conf: to inject B3 or Jaeger
headers, or to strip them from distrusted requests.
*/}}
{{- define "njs-tracing.formatsInclude" -}}
{{- $t := .Values.global.tracing }}
{{- if or (not $t.trustIncoming) (ne (join "," $t.inject) "w3c") }}true{{ end }}
{{- end }}

{{/* ConfigMap key main-snippet: load the njs module the controller image ships; compile regexes (pcre_jit). */}}
{{- define "njs-tracing.mainSnippet" -}}
{{- $t := .Values.global.tracing }}
{{- if $t.enabled -}}
load_module {{ $t.controller.jsModule }};
{{- if $t.controller.pcreJit }}
pcre_jit on;
{{- end }}
{{- with $t.snippets.main }}
{{ . }}
{{- end }}
{{- end }}
{{- end }}

{{/*
ConfigMap key http-snippet: the http include, then every knob as a js_var
after it, which overrides the include's default (README, "Configuration").
*/}}
{{- define "njs-tracing.httpSnippet" -}}
{{- $t := .Values.global.tracing }}
{{- if $t.enabled -}}
js_path "{{ include "njs-tracing.filesDir" . }}/";
include {{ include "njs-tracing.filesDir" . }}/tracing-http.conf;
{{- if include "njs-tracing.policyOn" . }}
{{ include "njs-tracing.policyMaps" . }}
{{- else }}
js_var $tracing_sampler {{ $t.sampler }};
js_var $tracing_sample_ratio {{ include "njs-tracing.ratio" $t.sampleRatio }};
js_var $tracing_extract {{ join "," $t.extract }};
js_var $tracing_inject {{ join "," $t.inject }};
js_var $tracing_trust_incoming {{ include "njs-tracing.onOff" $t.trustIncoming }};
js_var $tracing_record_query {{ include "njs-tracing.onOff" $t.recordQuery }};
{{- end }}
js_var $tracing_sink {{ $t.sink }};
js_var $tracing_traceresponse {{ include "njs-tracing.onOff" $t.traceresponse }};
{{- with $t.snippets.http }}
{{ . }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The per-Ingress policy (README, "Per-Ingress policy"): the maps of
nginx-conf/tracing-policy.conf with this chart's values as their defaults
(src/k8s/policy-conf.ts renders the same text; test/helm/policy.test.ts
compares them). Each knob map defines the knob variable, taking over the
js_var default of tracing-http.conf; the sidecar writes the entries.
*/}}
{{- define "njs-tracing.policyMaps" -}}
{{- $t := .Values.global.tracing }}
{{- $current := printf "%s/current" (include "njs-tracing.policyDir" .) }}
{{- $knobs := list
  (list "enabled" (ternary "off" "on" (eq $t.policy.mode "annotated")))
  (list "sample_ratio" (include "njs-tracing.ratio" $t.sampleRatio))
  (list "sampler" $t.sampler)
  (list "extract" (join "," $t.extract))
  (list "inject" (join "," $t.inject))
  (list "trust_incoming" (include "njs-tracing.onOff" $t.trustIncoming))
  (list "record_query" (include "njs-tracing.onOff" $t.recordQuery))
  (list "route" "$location_path")
}}
map "$namespace/$ingress_name" $tracing__policy {
    default "";
    include {{ $current }}/ingresses*.map;
}
{{- range $knobs }}
map $tracing__policy $tracing_{{ index . 0 }} {
    default {{ index . 1 }};
    include {{ $current }}/{{ index . 0 }}*.map;
}
{{- end }}
{{- end }}

{{/* ConfigMap key location-snippet: the location include(s) for every Ingress location. */}}
{{- define "njs-tracing.locationSnippet" -}}
{{- $t := .Values.global.tracing }}
{{- if $t.enabled -}}
include {{ include "njs-tracing.filesDir" . }}/tracing-location.conf;
{{- if include "njs-tracing.formatsInclude" . }}
include {{ include "njs-tracing.filesDir" . }}/tracing-location-formats.conf;
{{- end }}
{{- if $t.traceresponse }}
include {{ include "njs-tracing.filesDir" . }}/tracing-traceresponse.conf;
{{- end }}
{{- with $t.snippets.location }}
{{ . }}
{{- end }}
{{- end }}
{{- end }}

{{/* The sidecar's environment as name/value pairs (a dict), from the values. */}}
{{- define "njs-tracing.sidecarEnvValues" -}}
{{- $t := .Values.global.tracing }}
{{- $e := $t.exporter }}
{{- $env := dict
  "NJS_TRACING_FILE" (include "njs-tracing.spansFile" .)
  "NJS_TRACING_UDP_ADDRESS" "127.0.0.1:5140"
  "NJS_TRACING_METRICS_ADDRESS" (printf "0.0.0.0:%v" $t.sidecar.metricsPort)
  "NJS_TRACING_LOG_LEVEL" $t.sidecar.logLevel
  "NJS_TRACING_QUERY_REDACTION" $t.queryRedaction
  "OTEL_TRACES_EXPORTER" $e.type
  "OTEL_SERVICE_NAME" $t.serviceName
}}
{{- with $t.sidecar.nodeOptions }}
{{- $_ := set $env "NODE_OPTIONS" . }}
{{- end }}
{{- if and (eq $e.type "otlp") $e.endpoint }}
{{- $_ := set $env "OTEL_EXPORTER_OTLP_ENDPOINT" $e.endpoint }}
{{- end }}
{{- if eq $e.type "jaeger" }}
{{- if $e.endpoint }}
{{- $_ := set $env "OTEL_EXPORTER_JAEGER_ENDPOINT" $e.endpoint }}
{{- else }}
{{- $_ := set $env "OTEL_EXPORTER_JAEGER_AGENT_HOST" $e.jaegerAgent.host }}
{{- $_ := set $env "OTEL_EXPORTER_JAEGER_AGENT_PORT" (toString $e.jaegerAgent.port) }}
{{- end }}
{{- end }}
{{- if include "njs-tracing.policyOn" . }}
{{- $_ := set $env "NJS_TRACING_POLICY_DIR" (include "njs-tracing.policyDir" .) }}
{{- $_ := set $env "NJS_TRACING_POLICY_HEADERS" (ternary "all" "w3c" (eq (include "njs-tracing.formatsInclude" .) "true")) }}
{{- $_ := set $env "NJS_TRACING_POLICY_MAP_HASH_BUCKET_SIZE" (toString $t.policy.mapHashBucketSize) }}
{{- end }}
{{- with $t.resourceAttributes }}
{{- $pairs := list }}
{{- range $k, $v := . }}
{{- $pairs = append $pairs (printf "%s=%s" $k (urlquery (toString $v))) }}
{{- end }}
{{- $_ := set $env "OTEL_RESOURCE_ATTRIBUTES" (join "," $pairs) }}
{{- end }}
{{- toYaml $env }}
{{- end }}

{{/* The sidecar's env list: the values above, the Downward API fields, the exporter headers Secret. */}}
{{- define "njs-tracing.sidecarEnv" -}}
{{- $t := .Values.global.tracing }}
{{- range $name, $value := fromYaml (include "njs-tracing.sidecarEnvValues" .) }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
- name: POD_NAME
  valueFrom: {fieldRef: {fieldPath: metadata.name}}
- name: POD_NAMESPACE
  valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
- name: NODE_NAME
  valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
{{- with $t.exporter.headersSecret }}
{{- if .name }}
- name: {{ if eq $t.exporter.type "jaeger" }}OTEL_EXPORTER_JAEGER_PASSWORD{{ else }}OTEL_EXPORTER_OTLP_HEADERS{{ end }}
  valueFrom:
    secretKeyRef: {name: {{ .name | quote }}, key: {{ .key | quote }}}
{{- end }}
{{- end }}
{{- with $t.sidecar.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
The sidecar: a native sidecar (an init container with restartPolicy: Always)
in the controller pod: the kubelet starts it before the controller and stops
it after, so it reads from the first record on and its SIGTERM flush sees the
last requests.
*/}}
{{- define "njs-tracing.sidecarContainer" -}}
{{- $t := .Values.global.tracing }}
{{- $s := $t.sidecar }}
image: "{{ $s.image.repository }}:{{ $s.image.tag }}{{ with $s.image.digest }}@{{ . }}{{ end }}"
imagePullPolicy: {{ $s.image.pullPolicy }}
restartPolicy: Always
{{- if $s.runMountedFile }}
command: ["node", "{{ include "njs-tracing.sidecarDir" . }}/{{ include "njs-tracing.sidecarFile" . }}"]
{{- end }}
env:
{{- include "njs-tracing.sidecarEnv" . | trim | nindent 2 }}
ports:
  - name: tracing-metrics
    containerPort: {{ $s.metricsPort }}
    protocol: TCP
# No readiness probe: the sidecar's health must never take the pod out of its
# Services. /readyz is for you.
{{- if include "njs-tracing.policyOn" . }}
# With the per-Ingress policy, the controller starts once the sidecar has
# written the current policy (its first Ingress list), so a new pod never
# serves with the defaults first; the controller needs the same API to start.
startupProbe:
  httpGet: {path: /readyz, port: tracing-metrics}
  periodSeconds: 1
  failureThreshold: 300
{{- end }}
livenessProbe:
  httpGet: {path: /healthz, port: tracing-metrics}
  periodSeconds: 10
  failureThreshold: 3
{{- with $s.resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml $s.securityContext | nindent 2 }}
volumeMounts:
  {{- if $s.runMountedFile }}
  - name: njs-tracing-sidecar
    mountPath: {{ include "njs-tracing.sidecarDir" . }}
    readOnly: true
  {{- end }}
  - name: njs-tracing-spans
    mountPath: {{ include "njs-tracing.spansDir" . }}
  {{- if include "njs-tracing.policyOn" . }}
  - name: njs-tracing-policy
    mountPath: {{ include "njs-tracing.policyDir" . }}
  {{- end }}
{{- end }}

{{/*
The init container the ingress-nginx chart renders from
`name: njs-tracing{{ include "njs-tracing.controllerInitContainer" . }}`
(values.yaml): that chart passes extraInitContainers through tpl but fixes
their list in its values, so this continues the YAML after the name. With
tracing off it is a one-shot no-op from the controller's own image (already
on the node), since the list entry itself cannot go away.
*/}}
{{- define "njs-tracing.controllerInitContainer" -}}
{{- $t := .Values.global.tracing }}
{{- if $t.enabled -}}
-sidecar
{{- include "njs-tracing.sidecarContainer" . | trim | nindent 2 }}
{{- else -}}
-off
{{- with merge (deepCopy .Values.controller.image) (.Values.global.image | default dict) }}
  image: "{{ if .repository }}{{ .repository }}{{ else }}{{ .registry }}/{{ include "ingress-nginx.image" . }}{{ end }}:{{ .tag }}{{ include "ingress-nginx.imageDigest" . }}"
{{- end }}
  command: ["/bin/true"]
  securityContext:
    {{- toYaml $t.sidecar.securityContext | nindent 4 }}
{{- end }}
{{- end }}
