import assert from "node:assert/strict";
import { argMap, CHART_DIR, helm, type Json, one, renderChart } from "./_chart.ts";
import { type KubeObject, validateObject } from "./_kube.ts";

type KubeObjects = KubeObject[];

/** Value sets that every test below renders once; each must lint and validate. */
const VALUE_SETS: Record<string, Record<string, unknown>> = {
  monitoring: {
    metrics: {
      jobName: "dapi",
      serviceMonitor: { enabled: true, additionalLabels: { release: "kps" } },
      prometheusRule: { enabled: true },
    },
    dashboard: { enabled: true, annotations: { grafana_folder: "GPU" } },
  },
  nvml: { nvml: { enabled: true, driverRoot: "/", ignoredXids: "13,31" } },
  textLogging: { logging: { format: "text", verbosity: 4 } },
  // The other socket directory the compiled binary's permission scope allows.
  customSocket: { server: { unixSocket: "/run/device-api/device.sock", socketMode: "0600" } },
  consumerSocket: { server: { consumerSocket: { enabled: true } } },
  consumerSocketSameDirectory: {
    server: { consumerSocket: { enabled: true, path: "/var/run/device-api/consumer.sock" } },
  },
  metricsOff: {
    metrics: {
      enabled: false,
      serviceMonitor: { enabled: true },
      prometheusRule: { enabled: true },
    },
  },
  exposedGrpc: { server: { grpcAddress: "0.0.0.0:50051", allowInsecureNonLoopback: true } },
  durations: { server: { shutdownTimeout: "1m30s", shutdownDelay: "500ms" } },
  rbacAndPdb: {
    rbac: { create: true, rules: [{ apiGroups: [""], resources: ["nodes"], verbs: ["get"] }] },
    podDisruptionBudget: { enabled: true, maxUnavailable: "10%" },
    serviceAccount: { annotations: { a: "b" } },
    image: { digest: `sha256:${"a".repeat(64)}` },
    extraArgs: ["--max-gpus=8"],
    extraEnv: [{ name: "GRPC_TRACE", value: "all" }],
  },
  extensions: {
    global: { imageRegistry: "mirror.example.com:5000" },
    helperImage: { digest: `sha256:${"b".repeat(64)}` },
    extraVolumes: [{ name: "provider-config", configMap: { name: "gpu-provider" } }],
    extraVolumeMounts: [{ name: "provider-config", mountPath: "/etc/gpu-provider" }],
    initContainers: [{ name: "wait", image: "example.com/wait:1", command: ["true"] }],
    sidecars: [{ name: "provider", image: "example.com/provider:1" }],
    priorityClassQuota: { enabled: true },
    stateDir: "",
    networkPolicy: {
      enabled: true,
      metricsFrom: [{ namespaceSelector: { matchLabels: { name: "monitoring" } } }],
    },
  },
};

const rendered: Record<string, KubeObjects> = {};
for (const [name, values] of Object.entries(VALUE_SETS)) rendered[name] = await renderChart(values);

function server(objects: KubeObjects): { pod: Json; container: Json; args: Map<string, string> } {
  const pod = one(objects, "DaemonSet").spec.template.spec;
  const container = pod.containers[0];
  return { pod, container, args: argMap(container.args) };
}

Deno.test("helm lint --strict passes with every value set", async () => {
  for (const [name, values] of Object.entries(VALUE_SETS)) {
    const res = await helm(["lint", "--strict", CHART_DIR], values);
    assert.ok(res.success, `${name}: ${res.stdout}${res.stderr}`);
  }
});

Deno.test("renderChart() objects are valid for every value set", () => {
  for (const [name, objects] of Object.entries(rendered)) {
    assert.deepEqual(objects.flatMap(validateObject), [], name);
  }
});

Deno.test("ServiceMonitor scrapes the metrics Service port and sets the alerts' job label", () => {
  const objects = rendered.monitoring!;
  const sm = one(objects, "ServiceMonitor");
  const svc = one(objects, "Service", "-metrics");
  for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) {
    assert.equal(svc.metadata.labels?.[k], v);
  }
  const headless = one(objects, "Service", "-server");
  const selectsHeadless = Object.entries(sm.spec.selector.matchLabels)
    .every(([k, v]) => headless.metadata.labels?.[k] === v);
  assert.ok(
    !selectsHeadless,
    "the ServiceMonitor must not also scrape the headless health Service",
  );
  assert.equal(sm.spec.endpoints[0].port, svc.spec.ports[0].name);
  assert.deepEqual(sm.spec.namespaceSelector, { matchNames: [svc.metadata.namespace] });
  assert.deepEqual(sm.spec.endpoints[0].relabelings[0], {
    action: "replace",
    targetLabel: "job",
    replacement: "dapi",
  });
  assert.equal(sm.metadata.labels?.release, "kps");
  const rule = one(objects, "PrometheusRule");
  const exprs: string[] = rule.spec.groups.flatMap((g: Json) => g.rules.map((r: Json) => r.expr));
  assert.ok(exprs.every((e) => e.includes('job="dapi"') && !e.includes('job="device-api-server"')));
});

Deno.test("dashboard ConfigMap carries the sidecar label and files/dashboard.json", async () => {
  const cm = one(rendered.monitoring!, "ConfigMap", "-dashboard");
  assert.equal(cm.metadata.labels?.grafana_dashboard, "1");
  assert.equal(cm.metadata.annotations?.grafana_folder, "GPU");
  const file = await Deno.readTextFile(`${CHART_DIR}/files/dashboard.json`);
  assert.deepEqual(JSON.parse(cm.data["device-api-server.json"]), JSON.parse(file));
});

Deno.test("nvml.enabled adds the runtime class, driver mount and NVIDIA env", () => {
  const { pod, container, args } = server(rendered.nvml!);
  assert.equal(pod.runtimeClassName, "nvidia");
  assert.equal(args.get("enable-nvml-provider"), "true");
  assert.equal(args.get("nvml-driver-root"), "/driver-root");
  // Only the library directories of the host root, never the root itself.
  const mounts = container.volumeMounts.filter((m: Json) => m.mountPath.startsWith("/driver-root"));
  assert.deepEqual(mounts.map((m: Json) => [m.mountPath, m.readOnly]), [
    ["/driver-root/usr/lib64", true],
    ["/driver-root/usr/lib/x86_64-linux-gnu", true],
    ["/driver-root/usr/lib/aarch64-linux-gnu", true],
  ]);
  const hostPaths = mounts.map((m: Json) =>
    pod.volumes.find((v: Json) => v.name === m.name).hostPath
  );
  assert.deepEqual(hostPaths, [
    { path: "/usr/lib64" },
    { path: "/usr/lib/x86_64-linux-gnu" },
    { path: "/usr/lib/aarch64-linux-gnu" },
  ]);
  assert.ok(!pod.volumes.some((v: Json) => v.hostPath?.path === "/"));
  const env = Object.fromEntries(container.env.map((e: Json) => [e.name, e.value]));
  assert.equal(env.NVIDIA_VISIBLE_DEVICES, "all");
  assert.equal(env.NVIDIA_DRIVER_CAPABILITIES, "utility");
  assert.equal(one(rendered.nvml!, "ConfigMap").data.DEVICE_API_NVML_IGNORED_XIDS, "13,31");
  const off = server(rendered.textLogging!);
  assert.equal(off.pod.runtimeClassName, undefined);
  assert.ok(!off.args.has("nvml-driver-root"));
  assert.ok(!off.container.env.some((e: Json) => e.name.startsWith("NVIDIA_")));
});

Deno.test("logging values become --log-format and --v", () => {
  const { args } = server(rendered.textLogging!);
  assert.equal(args.get("log-format"), "text");
  assert.equal(args.get("v"), "4");
});

Deno.test("a custom socket path moves the flag, hostPath and mount together", () => {
  const { pod, container, args } = server(rendered.customSocket!);
  assert.equal(args.get("unix-socket"), "/run/device-api/device.sock");
  assert.equal(args.get("socket-mode"), "0600");
  const hostPaths = pod.volumes.filter((v: Json) => v.hostPath).map((v: Json) => v.hostPath);
  assert.deepEqual(hostPaths, [
    { path: "/run/device-api", type: "DirectoryOrCreate" },
    { path: "/var/lib/device-api", type: "DirectoryOrCreate" },
  ]);
  assert.ok(container.volumeMounts.some((m: Json) => m.mountPath === "/run/device-api"));
  assert.match(pod.initContainers[0].command.at(-1), /chown 64100:64100 \/run\/device-api\n/);
});

Deno.test("consumerSocket gets its own world-searchable hostPath directory by default", () => {
  const socketDirs = (pod: Json) =>
    pod.volumes.filter((v: Json) => v.hostPath && v.hostPath.path !== "/var/lib/device-api")
      .map((v: Json) => v.hostPath.path).sort();
  const own = server(rendered.consumerSocket!);
  assert.equal(own.args.get("consumer-socket"), "/var/run/device-api-consumer/consumer.sock");
  assert.equal(own.args.get("consumer-socket-mode"), "0666");
  const paths = socketDirs(own.pod);
  assert.deepEqual(paths, ["/var/run/device-api", "/var/run/device-api-consumer"]);
  for (const p of paths) assert.ok(own.container.volumeMounts.some((m: Json) => m.mountPath === p));
  // Consumers reach the 0666 socket without the provider socket's group.
  const script = own.pod.initContainers[0].command.at(-1);
  assert.match(script, /chmod 0755 \/var\/run\/device-api-consumer\n/);
  assert.match(script, /chmod 0755 \/var\/run\/device-api\n/);
  const same = server(rendered.consumerSocketSameDirectory!);
  assert.equal(same.args.get("consumer-socket"), "/var/run/device-api/consumer.sock");
  assert.deepEqual(socketDirs(same.pod), ["/var/run/device-api"]);
});

Deno.test("metrics.enabled=false turns the endpoint, every scrape object and the alerts off", () => {
  const objects = rendered.metricsOff!;
  const { container, args } = server(objects);
  assert.equal(args.get("metrics-port"), "0");
  assert.ok(!container.ports.some((p: Json) => p.name === "metrics"));
  // Alerts on metrics nobody scrapes would only page DeviceAPIServerMissing.
  assert.ok(
    !objects.some((o) =>
      ["ServiceMonitor", "PrometheusRule"].includes(o.kind) || o.metadata.name.endsWith("-metrics")
    ),
  );
});

Deno.test("a non-loopback grpcAddress is exposed through the pod port and headless Service", () => {
  const objects = rendered.exposedGrpc!;
  const { container, args } = server(objects);
  assert.equal(args.get("allow-insecure-non-loopback"), "true");
  assert.equal(container.ports.find((p: Json) => p.name === "grpc").containerPort, 50051);
  const svcPort = one(objects, "Service", "-server").spec.ports.find((p: Json) =>
    p.name === "grpc"
  );
  assert.deepEqual(svcPort, {
    name: "grpc",
    port: 50051,
    targetPort: "grpc",
    protocol: "TCP",
    appProtocol: "grpc",
  });
});

Deno.test("terminationGracePeriodSeconds is derived from fractional durations", () => {
  assert.equal(server(rendered.durations!).pod.terminationGracePeriodSeconds, 101);
});

Deno.test("rbac, PDB, digest, extraArgs and extraEnv render when set", () => {
  const objects = rendered.rbacAndPdb!;
  const role = one(objects, "Role");
  assert.deepEqual(role.rules, [{ apiGroups: [""], resources: ["nodes"], verbs: ["get"] }]);
  const binding = one(objects, "RoleBinding");
  assert.equal(binding.roleRef.name, role.metadata.name);
  assert.equal(binding.subjects[0].name, one(objects, "ServiceAccount").metadata.name);
  const pdb = one(objects, "PodDisruptionBudget");
  assert.equal(pdb.spec.maxUnavailable, "10%");
  assert.deepEqual(pdb.spec.selector, one(objects, "DaemonSet").spec.selector);
  const { container, args } = server(objects);
  assert.equal(container.image, `ghcr.io/nvidia/device-api-server@sha256:${"a".repeat(64)}`);
  assert.equal(args.get("max-gpus"), "8");
  assert.ok(container.env.some((e: Json) => e.name === "GRPC_TRACE"));
});

Deno.test("extension values add volumes, mounts, init containers and sidecars", () => {
  const { pod, container } = server(rendered.extensions!);
  assert.ok(pod.volumes.some((v: Json) => v.name === "provider-config" && v.configMap));
  assert.ok(
    container.volumeMounts.some((m: Json) => m.name === "provider-config"),
  );
  assert.deepEqual(pod.initContainers.map((c: Json) => c.name), ["host-dir-permissions", "wait"]);
  assert.deepEqual(pod.containers.map((c: Json) => c.name), ["device-api-server", "provider"]);
  // stateDir "" leaves the state directory out.
  assert.ok(!pod.volumes.some((v: Json) => v.hostPath?.path === "/var/lib/device-api"));
  assert.ok(!container.env.some((e: Json) => e.name === "DEVICE_API_STATE_DIR"));
});

Deno.test("global.imageRegistry moves every image to the mirror; digests pin them", () => {
  const { pod, container } = server(rendered.extensions!);
  assert.equal(container.image, "mirror.example.com:5000/nvidia/device-api-server:0.1.0");
  assert.equal(
    pod.initContainers[0].image,
    `mirror.example.com:5000/library/busybox@sha256:${"b".repeat(64)}`,
  );
  const test = rendered.extensions!.find((o) => o.kind === "Pod")!;
  assert.equal(test.spec.containers[0].image, pod.initContainers[0].image);
  const defaults = server(rendered.textLogging!);
  assert.equal(defaults.container.image, "ghcr.io/nvidia/device-api-server:0.1.0");
  assert.equal(defaults.pod.initContainers[0].image, "docker.io/library/busybox:1.37.0");
});

Deno.test("priorityClassQuota admits the priority class in the release namespace", () => {
  const quota = one(rendered.extensions!, "ResourceQuota");
  assert.deepEqual(quota.spec, {
    hard: { pods: "1000" },
    scopeSelector: {
      matchExpressions: [{
        operator: "In",
        scopeName: "PriorityClass",
        values: ["system-node-critical"],
      }],
    },
  });
  assert.ok(!rendered.textLogging!.some((o) => o.kind === "ResourceQuota"));
});

Deno.test("networkPolicy admits only the health and metrics ports, and gRPC only when exposed", () => {
  const policy = one(rendered.extensions!, "NetworkPolicy");
  assert.deepEqual(policy.spec.podSelector, one(rendered.extensions!, "DaemonSet").spec.selector);
  assert.deepEqual(policy.spec.policyTypes, ["Ingress"]);
  assert.deepEqual(policy.spec.ingress, [
    { ports: [{ port: "health", protocol: "TCP" }] },
    {
      ports: [{ port: "metrics", protocol: "TCP" }],
      from: [{ namespaceSelector: { matchLabels: { name: "monitoring" } } }],
    },
  ]);
  const { container } = server(rendered.extensions!);
  for (const rule of policy.spec.ingress) {
    for (const { port } of rule.ports) {
      assert.ok(container.ports.some((p: Json) => p.name === port), port);
    }
  }
  assert.ok(!rendered.textLogging!.some((o) => o.kind === "NetworkPolicy"));
});

Deno.test({
  name: "host-dir-permissions init container gives the host directories to the server's user",
  // chown to another user needs root: CI and the development machines run the tests as root.
  ignore: Deno.uid() !== 0,
  async fn() {
    const { pod, container } = server(rendered.consumerSocket!);
    const init = pod.initContainers[0];
    assert.deepEqual(init.command.slice(0, 2), ["sh", "-c"]);
    const root = await Deno.makeTempDir({ prefix: "dapi-hostdirs-" });
    try {
      // Run the rendered script on copies of the host directories, as kubelet leaves them.
      let script: string = init.command[2];
      const dirs: string[] = init.volumeMounts.map((m: Json) => m.mountPath);
      for (const dir of dirs) {
        await Deno.mkdir(`${root}${dir}`, { recursive: true, mode: 0o755 });
        script = script.replace(new RegExp(`${dir}(?=\\n|$)`, "g"), `${root}${dir}`);
      }
      const res = await new Deno.Command("sh", { args: ["-c", script], stderr: "piped" }).output();
      assert.ok(res.success, new TextDecoder().decode(res.stderr));
      const { runAsUser, runAsGroup } = container.securityContext;
      const modes: Record<string, number> = {
        "/var/run/device-api": 0o755,
        "/var/run/device-api-consumer": 0o755,
        "/var/lib/device-api": 0o700,
      };
      assert.deepEqual(dirs.toSorted(), Object.keys(modes).toSorted());
      for (const dir of dirs) {
        const info = await Deno.stat(`${root}${dir}`);
        assert.deepEqual([info.uid, info.gid, info.mode! & 0o7777], [
          runAsUser,
          runAsGroup,
          modes[dir],
        ], dir);
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
