{{/*
Chart name, truncated to the 63 characters a label value allows.
*/}}
{{- define "device-api-server.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name used as the prefix of every object: the release name, plus the chart
name unless the release name already contains it.
*/}}
{{- define "device-api-server.fullname" -}}
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

{{/*
Chart label value: name-version.
*/}}
{{- define "device-api-server.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every object.
*/}}
{{- define "device-api-server.labels" -}}
helm.sh/chart: {{ include "device-api-server.chart" . }}
{{ include "device-api-server.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: device-api-server
{{- end }}

{{/*
Labels that select the server pods (immutable in the DaemonSet selector).
*/}}
{{- define "device-api-server.selectorLabels" -}}
app.kubernetes.io/name: {{ include "device-api-server.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Name of the ServiceAccount the pods run as.
*/}}
{{- define "device-api-server.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "device-api-server.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference from (list $ imageValues): [registry/]repository, then
@digest or :tag (default appVersion). global.imageRegistry overrides the
image's own registry (a mirror).
*/}}
{{- define "device-api-server.imageRef" -}}
{{- $root := index . 0 }}
{{- $image := index . 1 }}
{{- $registry := default $image.registry ($root.Values.global | default dict).imageRegistry }}
{{- $name := ternary (printf "%s/%s" $registry $image.repository) $image.repository (ne (toString $registry) "") }}
{{- if $image.digest }}
{{- printf "%s@%s" $name $image.digest }}
{{- else }}
{{- printf "%s:%s" $name (toString (default $root.Chart.AppVersion $image.tag)) }}
{{- end }}
{{- end }}

{{/*
Server image reference.
*/}}
{{- define "device-api-server.image" -}}
{{- include "device-api-server.imageRef" (list . .Values.image) }}
{{- end }}

{{/*
Helper image reference (host-directory init container, helm test pod).
*/}}
{{- define "device-api-server.helperImage" -}}
{{- include "device-api-server.imageRef" (list . .Values.helperImage) }}
{{- end }}

{{/*
Seconds in a Go duration string ("1m30s", "500ms", "0"); values.schema.json
guarantees the format. Prints a float.
*/}}
{{- define "device-api-server.durationSeconds" -}}
{{- $unitSeconds := dict "ns" 0.000000001 "us" 0.000001 "µs" 0.000001 "ms" 0.001 "s" 1.0 "m" 60.0 "h" 3600.0 }}
{{- $total := 0.0 }}
{{- range regexFindAll "[0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h)" . -1 }}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?" . }}
{{- $unit := trimPrefix $number . }}
{{- $total = addf $total (mulf (float64 $number) (get $unitSeconds $unit)) }}
{{- end }}
{{- $total }}
{{- end }}

{{/*
Grace period: the server drains for up to shutdownDelay + shutdownTimeout after
SIGTERM; 10 more seconds let it exit before the kubelet sends SIGKILL.
*/}}
{{- define "device-api-server.terminationGracePeriodSeconds" -}}
{{- $delay := include "device-api-server.durationSeconds" .Values.server.shutdownDelay | float64 }}
{{- $timeout := include "device-api-server.durationSeconds" .Values.server.shutdownTimeout | float64 }}
{{- addf $delay $timeout 10 | ceil | int }}
{{- end }}

{{/*
Port of server.grpcAddress ("" when TCP is disabled).
*/}}
{{- define "device-api-server.grpcPort" -}}
{{- with .Values.server.grpcAddress }}{{ regexFind "[0-9]+$" . }}{{ end }}
{{- end }}

{{/*
"true" when server.grpcAddress binds a non-loopback address, i.e. other pods
can reach it through the headless Service.
*/}}
{{- define "device-api-server.grpcExposed" -}}
{{- with .Values.server.grpcAddress }}
{{- $host := regexReplaceAll ":[0-9]+$" . "" | trimPrefix "[" | trimSuffix "]" }}
{{- if not (or (hasPrefix "127." $host) (eq $host "localhost") (eq $host "::1")) }}true{{ end }}
{{- end }}
{{- end }}

{{/*
Host directories that hold the sockets, as a JSON object {volumeName: path}.
The consumer socket gets a second hostPath only when it lives elsewhere.
*/}}
{{- define "device-api-server.socketDirs" -}}
{{- $dirs := dict "socket-dir" (dir .Values.server.unixSocket) }}
{{- if .Values.server.consumerSocket.enabled }}
{{- $consumerDir := dir .Values.server.consumerSocket.path }}
{{- if ne $consumerDir (dir .Values.server.unixSocket) }}
{{- $_ := set $dirs "consumer-socket-dir" $consumerDir }}
{{- end }}
{{- end }}
{{- toJson $dirs }}
{{- end }}

{{/*
Where the TLS Secret is mounted: inside /etc/device-api, which the compiled
binary's permission scope lets the server read (src/runtime).
*/}}
{{- define "device-api-server.tlsDir" -}}
/etc/device-api/tls
{{- end }}

{{/*
Name of the Secret holding the TCP listener's certificate: tls.existingSecret,
or the one the cert-manager Certificate writes.
*/}}
{{- define "device-api-server.tlsSecretName" -}}
{{- if .Values.tls.certManager.enabled }}
{{- printf "%s-tls" (include "device-api-server.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- .Values.tls.existingSecret }}
{{- end }}
{{- end }}

{{/*
Flags the chart renders itself; extraArgs may not repeat them, so ports,
probes, Services and flags cannot disagree.
*/}}
{{- define "device-api-server.managedFlags" -}}
{{- list "grpc-address" "allow-insecure-non-loopback" "tls-cert-file" "tls-key-file" "tls-client-ca-file" "unix-socket" "socket-mode" "consumer-socket" "consumer-socket-mode" "health-bind-address" "health-port" "metrics-bind-address" "metrics-port" "shutdown-timeout" "shutdown-delay" "log-format" "v" "node-name" "enable-nvml-provider" "nvml-driver-root" | toJson }}
{{- end }}

{{/*
Server arguments, one flag per line as a YAML list.
*/}}
{{- define "device-api-server.args" -}}
{{- $s := .Values.server -}}
- --grpc-address={{ $s.grpcAddress }}
{{- if $s.allowInsecureNonLoopback }}
- --allow-insecure-non-loopback=true
{{- end }}
{{- if .Values.tls.enabled }}
- --tls-cert-file={{ include "device-api-server.tlsDir" . }}/tls.crt
- --tls-key-file={{ include "device-api-server.tlsDir" . }}/tls.key
{{- if .Values.tls.clientAuth }}
- --tls-client-ca-file={{ include "device-api-server.tlsDir" . }}/ca.crt
{{- end }}
{{- end }}
- --unix-socket={{ $s.unixSocket }}
- --socket-mode={{ $s.socketMode }}
{{- if $s.consumerSocket.enabled }}
- --consumer-socket={{ $s.consumerSocket.path }}
- --consumer-socket-mode={{ $s.consumerSocket.mode }}
{{- end }}
- --health-bind-address={{ $s.httpBindAddress }}
- --health-port={{ int $s.healthPort }}
- --metrics-bind-address={{ $s.httpBindAddress }}
- --metrics-port={{ ternary (int $s.metricsPort) 0 .Values.metrics.enabled }}
- --shutdown-timeout={{ $s.shutdownTimeout }}
- --shutdown-delay={{ $s.shutdownDelay }}
- --log-format={{ .Values.logging.format }}
- --v={{ int .Values.logging.verbosity }}
- --node-name=$(NODE_NAME)
- --enable-nvml-provider={{ .Values.nvml.enabled }}
{{- if .Values.nvml.enabled }}
- --nvml-driver-root=/driver-root
{{- end }}
{{- $managed := include "device-api-server.managedFlags" . | fromJsonArray }}
{{- range .Values.extraArgs }}
{{- $flag := regexReplaceAll "=.*$" (trimPrefix "-" (trimPrefix "-" .)) "" }}
{{- if has $flag $managed }}
{{- fail (printf "extraArgs: %q is rendered by the chart; set it through its value instead" .) }}
{{- end }}
- {{ . | quote }}
{{- end }}
{{- end }}

{{/*
Reject value combinations the server would refuse at start.
*/}}
{{- define "device-api-server.validate" -}}
{{- if and (include "device-api-server.grpcExposed" .) (not .Values.tls.enabled) (not .Values.server.allowInsecureNonLoopback) }}
{{- fail (printf "server.grpcAddress %q binds a non-loopback address without TLS: set tls.enabled=true (with tls.clientAuth=true to authenticate clients), or server.allowInsecureNonLoopback=true to accept an unauthenticated API" .Values.server.grpcAddress) }}
{{- end }}
{{- if .Values.tls.enabled }}
{{- if not .Values.server.grpcAddress }}
{{- fail "tls.enabled needs server.grpcAddress: TLS applies only to the TCP listener" }}
{{- end }}
{{- if and .Values.tls.certManager.enabled .Values.tls.existingSecret }}
{{- fail "set either tls.existingSecret or tls.certManager.enabled, not both" }}
{{- end }}
{{- if not (or .Values.tls.certManager.enabled .Values.tls.existingSecret) }}
{{- fail "tls.enabled needs a certificate: set tls.existingSecret or tls.certManager.enabled=true" }}
{{- end }}
{{- if and .Values.tls.certManager.enabled (not .Values.tls.certManager.issuerRef.name) }}
{{- fail "tls.certManager.enabled needs tls.certManager.issuerRef.name" }}
{{- end }}
{{- end }}
{{- if or (hasPrefix "127." .Values.server.httpBindAddress) (eq .Values.server.httpBindAddress "::1") }}
{{- fail "server.httpBindAddress must not be a loopback address: the kubelet probes and Prometheus reach the pod IP" }}
{{- end }}
{{- if and .Values.server.consumerSocket.enabled (eq .Values.server.consumerSocket.path .Values.server.unixSocket) }}
{{- fail "server.consumerSocket.path must differ from server.unixSocket" }}
{{- end }}
{{- $ports := list (int .Values.server.healthPort) }}
{{- if .Values.metrics.enabled }}
{{- if has (int .Values.server.metricsPort) $ports }}
{{- fail "server.metricsPort must differ from server.healthPort" }}
{{- end }}
{{- $ports = append $ports (int .Values.server.metricsPort) }}
{{- end }}
{{- $grpcPort := include "device-api-server.grpcPort" . }}
{{- if and $grpcPort (has (int $grpcPort) $ports) }}
{{- fail "the port of server.grpcAddress must differ from server.healthPort and server.metricsPort" }}
{{- end }}
{{- end }}

{{/*
"true" when a Prometheus Operator object is rendered: its value is true, or
"auto" and the cluster serves monitoring.coreos.com/v1 (helm template needs
--api-versions monitoring.coreos.com/v1 to see it). Call with (list $ value).
*/}}
{{- define "device-api-server.monitoringEnabled" -}}
{{- $root := index . 0 }}
{{- $enabled := index . 1 }}
{{- if eq (toString $enabled) "auto" }}
{{- if $root.Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}true{{ end }}
{{- else if $enabled }}true{{ end }}
{{- end }}

{{/*
Bytes in a Kubernetes memory quantity ("256Mi", "1Gi", "500M", "268435456");
"" when the quantity is empty. Fails on a form it cannot read.
*/}}
{{- define "device-api-server.quantityBytes" -}}
{{- with . }}
{{- $q := toString . }}
{{- $units := dict "" 1 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 }}
{{- if not (regexMatch "^[0-9]+(k|M|G|T|Ki|Mi|Gi|Ti)?$" $q) }}
{{- fail (printf "resources.limits.memory %q: use an integer with an optional k, M, G, T, Ki, Mi, Gi or Ti suffix" $q) }}
{{- end }}
{{- $number := regexFind "^[0-9]+" $q }}
{{- $unit := trimPrefix $number $q }}
{{- mul (int64 $number) (get $units $unit) }}
{{- end }}
{{- end }}
