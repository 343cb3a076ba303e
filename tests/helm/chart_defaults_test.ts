import assert from "node:assert/strict";
import {
  argMap,
  CHART_DIR,
  helm,
  type Json,
  NAMESPACE,
  one,
  renderChart,
  schedulable,
  WITH_PROMETHEUS_OPERATOR,
} from "./_chart.ts";
import { validateObject } from "./_kube.ts";
import { envNameOf, goDurationSeconds, SERVER_FLAGS } from "./_server_flags.ts";

const objects = await renderChart();
const ds = one(objects, "DaemonSet");
const pod = ds.spec.template.spec;
const container = pod.containers.find((c: Json) => c.name === "device-api-server");
const args = argMap(container.args);

Deno.test("helm lint --strict passes with the default values", async () => {
  const res = await helm(["lint", "--strict", CHART_DIR]);
  assert.ok(res.success, res.stdout + res.stderr);
});

Deno.test("renderChart() objects are valid Kubernetes objects with no unknown keys", () => {
  assert.deepEqual(objects.flatMap(validateObject), []);
  assert.ok(objects.every((o) => o.metadata.namespace === NAMESPACE));
});

Deno.test("renderChart() leaves optional objects out by default", () => {
  const kinds = objects.map((o) => o.kind).sort();
  assert.deepEqual(kinds, [
    "ConfigMap",
    "DaemonSet",
    "Pod",
    "Service",
    "Service",
    "ServiceAccount",
  ]);
  assert.ok(!objects.some((o) => ["PodDisruptionBudget", "Role", "RoleBinding"].includes(o.kind)));
});

Deno.test("renderChart() adds ServiceMonitor and PrometheusRule when the cluster serves monitoring.coreos.com/v1", async () => {
  const withOperator = await renderChart({}, [...WITH_PROMETHEUS_OPERATOR]);
  const kinds = withOperator.map((o) => o.kind);
  assert.ok(kinds.includes("ServiceMonitor") && kinds.includes("PrometheusRule"), kinds.join());
  assert.deepEqual(withOperator.flatMap(validateObject), []);
  const off = await renderChart(
    { metrics: { serviceMonitor: { enabled: false }, prometheusRule: { enabled: false } } },
    [...WITH_PROMETHEUS_OPERATOR],
  );
  assert.ok(!off.some((o) => ["ServiceMonitor", "PrometheusRule"].includes(o.kind)));
  // true forces them without the API (helm template for GitOps).
  const forced = await renderChart({
    metrics: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } },
  });
  assert.ok(forced.some((o) => o.kind === "ServiceMonitor"));
  assert.ok(forced.some((o) => o.kind === "PrometheusRule"));
});

Deno.test("DaemonSet runs only on GPU nodes and tolerates the GPU taint", () => {
  assert.equal(pod.nodeSelector, undefined);
  assert.deepEqual(pod.tolerations, [{
    key: "nvidia.com/gpu",
    operator: "Exists",
    effect: "NoSchedule",
  }]);
  assert.equal(pod.priorityClassName, "system-node-critical");
});

Deno.test("schedulable() finds GPU nodes by any of the device plugin's labels", () => {
  // The GPU Operator's label, Node Feature Discovery alone, and a Jetson (Tegra) node.
  assert.ok(schedulable(pod, { "nvidia.com/gpu.present": "true" }));
  assert.ok(schedulable(pod, { "feature.node.kubernetes.io/pci-10de.present": "true" }));
  assert.ok(schedulable(pod, { "feature.node.kubernetes.io/cpu-model.vendor_id": "NVIDIA" }));
  assert.ok(!schedulable(pod, { "kubernetes.io/os": "linux" }));
  assert.ok(!schedulable(pod, { "feature.node.kubernetes.io/pci-10de.present": "false" }));
  assert.ok(!schedulable(pod, { "feature.node.kubernetes.io/cpu-model.vendor_id": "Intel" }));
});

Deno.test("DaemonSet never surges: maxSurge 0 and maxUnavailable 1", () => {
  assert.deepEqual(ds.spec.updateStrategy, {
    type: "RollingUpdate",
    rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
  });
});

Deno.test("DaemonSet runs non-root on a read-only root file system without privileges", () => {
  assert.deepEqual(container.securityContext, {
    runAsNonRoot: true,
    runAsUser: 64100,
    runAsGroup: 64100,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  });
  assert.deepEqual(pod.securityContext, { fsGroup: 64100, fsGroupChangePolicy: "OnRootMismatch" });
  assert.equal(pod.hostNetwork, false);
  assert.equal(pod.hostPID, undefined);
  assert.equal(pod.automountServiceAccountToken, false);
  assert.equal(one(objects, "ServiceAccount").automountServiceAccountToken, false);
  assert.equal(pod.serviceAccountName, one(objects, "ServiceAccount").metadata.name);
});

Deno.test("DaemonSet mounts the socket directory as a DirectoryOrCreate hostPath at the same path", () => {
  assert.equal(args.get("unix-socket"), "/var/run/device-api/device.sock");
  const volume = pod.volumes.find((v: Json) => v.hostPath?.path === "/var/run/device-api");
  assert.equal(volume?.hostPath.type, "DirectoryOrCreate");
  const mount = container.volumeMounts.find((m: Json) => m.name === volume.name);
  assert.equal(mount?.mountPath, "/var/run/device-api");
  assert.notEqual(mount?.readOnly, true);
  const init = pod.initContainers[0];
  assert.match(init.command.at(-1), /chown 64100:64100 \/var\/run\/device-api\n/);
  assert.deepEqual(init.securityContext.capabilities, { drop: ["ALL"], add: ["CHOWN", "FOWNER"] });
});

Deno.test("DaemonSet keeps its state in a hostPath the server owns, named by DEVICE_API_STATE_DIR", () => {
  const env = Object.fromEntries(container.env.map((e: Json) => [e.name, e.value]));
  assert.equal(env.DEVICE_API_STATE_DIR, "/var/lib/device-api");
  const volume = pod.volumes.find((v: Json) => v.hostPath?.path === "/var/lib/device-api");
  assert.equal(volume?.hostPath.type, "DirectoryOrCreate");
  const mount = container.volumeMounts.find((m: Json) => m.name === volume.name);
  assert.equal(mount?.mountPath, "/var/lib/device-api");
  assert.notEqual(mount?.readOnly, true);
  const init = pod.initContainers[0];
  assert.match(init.command.at(-1), /chown 64100:64100 \/var\/lib\/device-api\nchmod 0700 /);
  assert.ok(init.volumeMounts.some((m: Json) => m.mountPath === "/var/lib/device-api"));
});

Deno.test("DaemonSet gives the compiled binary a writable /tmp for its code cache", () => {
  const env = Object.fromEntries(container.env.map((e: Json) => [e.name, e.value]));
  assert.equal(env.TMPDIR, "/tmp");
  assert.equal(env.HOME, "/tmp");
  assert.equal(env.DENO_DIR, "/tmp/deno");
  const tmp = container.volumeMounts.find((m: Json) => m.mountPath === "/tmp");
  assert.ok(pod.volumes.find((v: Json) => v.name === tmp.name).emptyDir);
});

Deno.test("container args are known server flags and name the node from the downward API", () => {
  for (const flag of args.keys()) assert.ok(SERVER_FLAGS.includes(flag), `unknown flag --${flag}`);
  assert.equal(args.get("node-name"), "$(NODE_NAME)");
  const nodeName = container.env.find((e: Json) => e.name === "NODE_NAME");
  assert.deepEqual(nodeName.valueFrom, { fieldRef: { fieldPath: "spec.nodeName" } });
  assert.equal(args.get("enable-nvml-provider"), "false");
  assert.equal(args.get("log-format"), "json");
  assert.equal(args.get("grpc-address"), "127.0.0.1:50051");
  assert.deepEqual(container.command, ["/device-api-server"]);
});

Deno.test("health port agrees across flag, containerPort, probes, Service and helm test", () => {
  const port = Number(args.get("health-port"));
  assert.equal(port, 8081);
  assert.equal(args.get("health-bind-address"), "0.0.0.0");
  const named = container.ports.find((p: Json) => p.name === "health");
  assert.equal(named.containerPort, port);
  assert.deepEqual(container.livenessProbe.httpGet, { path: "/livez", port: "health" });
  assert.deepEqual(container.readinessProbe.httpGet, { path: "/readyz", port: "health" });
  assert.deepEqual(container.startupProbe.httpGet, { path: "/livez", port: "health" });
  const svc = one(objects, "Service", "-device-api-server");
  assert.equal(svc.spec.clusterIP, "None");
  assert.deepEqual(svc.spec.ports, [{
    name: "health",
    port,
    targetPort: "health",
    protocol: "TCP",
  }]);
  assert.deepEqual(svc.spec.selector, ds.spec.selector.matchLabels);
  const test = one(objects, "Pod");
  assert.equal(test.metadata.annotations?.["helm.sh/hook"], "test");
  assert.equal(test.spec.hostNetwork, undefined);
  assert.equal(
    test.spec.containers[0].command.at(-1),
    `http://${svc.metadata.name}.${NAMESPACE}.svc:${port}/readyz`,
  );
});

Deno.test("metrics port agrees across flag, containerPort and metrics Service", () => {
  const port = Number(args.get("metrics-port"));
  assert.equal(port, 9090);
  assert.equal(args.get("metrics-bind-address"), "0.0.0.0");
  assert.equal(container.ports.find((p: Json) => p.name === "metrics").containerPort, port);
  const svc = one(objects, "Service", "-metrics");
  assert.deepEqual(svc.spec.ports, [{
    name: "metrics",
    port,
    targetPort: "metrics",
    protocol: "TCP",
  }]);
  assert.equal(svc.metadata.labels?.["app.kubernetes.io/component"], "metrics");
  assert.ok(
    !container.ports.some((p: Json) => p.name === "grpc"),
    "loopback gRPC is not a pod port",
  );
});

Deno.test("terminationGracePeriodSeconds outlasts shutdownDelay plus shutdownTimeout", () => {
  const drain = goDurationSeconds(args.get("shutdown-timeout")!) +
    goDurationSeconds(args.get("shutdown-delay")!);
  assert.equal(drain, 35);
  assert.equal(pod.terminationGracePeriodSeconds, 45);
});

Deno.test("ConfigMap env names real flags that the args do not also set", () => {
  const cm = one(objects, "ConfigMap");
  const envFlags = new Map(SERVER_FLAGS.map((f) => [envNameOf(f), f]));
  for (const key of Object.keys(cm.data)) {
    const flag = envFlags.get(key);
    assert.ok(flag !== undefined, `${key} is no server flag's variable`);
    assert.ok(!args.has(flag), `${key} duplicates --${flag}`);
  }
  assert.equal(cm.data.DEVICE_API_MAX_MESSAGE_BYTES, "4194304");
  assert.deepEqual(container.envFrom, [{ configMapRef: { name: cm.metadata.name } }]);
});

Deno.test("checksum/config changes only when the ConfigMap changes", async () => {
  const checksum = (o: typeof objects) =>
    one(o, "DaemonSet").spec.template.metadata.annotations["checksum/config"];
  assert.match(checksum(objects), /^[0-9a-f]{64}$/);
  assert.equal(checksum(await renderChart({ logging: { verbosity: 3 } })), checksum(objects));
  assert.notEqual(checksum(await renderChart({ limits: { maxGpus: 8 } })), checksum(objects));
});

Deno.test("NOTES.txt tells consumers the socket path and host directory", async () => {
  const res = await helm([
    "install",
    "dapi",
    CHART_DIR,
    "--namespace",
    NAMESPACE,
    "--dry-run=client",
  ]);
  assert.ok(res.success, res.stderr);
  const notes = res.stdout.slice(res.stdout.indexOf("NOTES:"));
  assert.match(notes, /unix:\/\/\/var\/run\/device-api\/device\.sock/);
  assert.match(notes, /host directory \/var\/run\/device-api \(hostPath\)/);
  assert.match(notes, /NVML provider: off/);
  assert.match(notes, /node affinity \(by default any GPU label/);
  assert.match(
    notes,
    /host directory \/var\/lib\/device-api \(stays on the nodes after uninstall\)/,
  );
  // No Prometheus Operator API in a dry run without --api-versions: no ServiceMonitor to name.
  assert.doesNotMatch(notes, /ServiceMonitor/);
});
