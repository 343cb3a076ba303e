import assert from "node:assert/strict";
import { PRODUCTION_SCOPE } from "../../src/runtime/mod.ts";
import {
  argMap,
  CHART_DIR,
  helm,
  type Json,
  NAMESPACE,
  one,
  renderChart,
  renderFailure,
} from "./_chart.ts";
import { type KubeObject, validateObject } from "./_kube.ts";
import { objectMetaShape, objectShape, SCALAR, type Shape, unknownKeys } from "./_shape.ts";

const TLS_DIR = "/etc/device-api/tls";
const ISSUER = { name: "node-ca", kind: "ClusterIssuer", group: "cert-manager.io" };

/** Value sets rendered once for the tests below; each must lint and validate. */
const VALUE_SETS: Record<string, Record<string, unknown>> = {
  existingSecret: { tls: { enabled: true, existingSecret: "device-api-tls" } },
  mutual: { tls: { enabled: true, existingSecret: "device-api-tls", clientAuth: true } },
  certManager: {
    server: { grpcAddress: "0.0.0.0:50051" },
    tls: {
      enabled: true,
      clientAuth: true,
      certManager: {
        enabled: true,
        issuerRef: ISSUER,
        extraDnsNames: ["gpu-node.example.com"],
        extraIpAddresses: ["10.0.0.7"],
      },
    },
  },
};

const defaults = await renderChart();
const rendered: Record<string, KubeObject[]> = {};
for (const [name, values] of Object.entries(VALUE_SETS)) rendered[name] = await renderChart(values);

function server(objects: KubeObject[]): { pod: Json; container: Json; args: Map<string, string> } {
  const pod = one(objects, "DaemonSet").spec.template.spec;
  const container = pod.containers[0];
  return { pod, container, args: argMap(container.args) };
}

/** The cert-manager.io/v1 Certificate fields the chart may render (a subset, all real fields). */
const CERTIFICATE_SHAPE: Shape = objectShape({
  apiVersion: SCALAR,
  kind: SCALAR,
  metadata: objectMetaShape(),
  spec: objectShape({
    secretName: SCALAR,
    secretTemplate: objectShape({
      labels: { kind: "map", of: SCALAR },
      annotations: { kind: "map", of: SCALAR },
    }),
    commonName: SCALAR,
    duration: SCALAR,
    renewBefore: SCALAR,
    privateKey: objectShape({
      algorithm: SCALAR,
      size: SCALAR,
      rotationPolicy: SCALAR,
      encoding: SCALAR,
    }),
    usages: { kind: "array", of: SCALAR },
    dnsNames: { kind: "array", of: SCALAR },
    ipAddresses: { kind: "array", of: SCALAR },
    issuerRef: objectShape({ name: SCALAR, kind: SCALAR, group: SCALAR }),
  }),
});

Deno.test("helm lint --strict passes with every TLS value set", async () => {
  for (const [name, values] of Object.entries(VALUE_SETS)) {
    const res = await helm(["lint", "--strict", CHART_DIR], values);
    assert.ok(res.success, `${name}: ${res.stdout}${res.stderr}`);
  }
});

Deno.test("renderChart() TLS objects are valid, the Certificate against cert-manager's fields", () => {
  for (const [name, objects] of Object.entries(rendered)) {
    const builtIn = objects.filter((o) => o.kind !== "Certificate");
    assert.deepEqual(builtIn.flatMap(validateObject), [], name);
  }
  const cert = one(rendered.certManager!, "Certificate");
  assert.equal(cert.apiVersion, "cert-manager.io/v1");
  assert.deepEqual(unknownKeys(cert, CERTIFICATE_SHAPE), []);
  assert.equal(cert.metadata.namespace, NAMESPACE);
});

Deno.test("the default values render no TLS flag, volume or Certificate", () => {
  const { pod, container, args } = server(defaults);
  assert.ok(![...args.keys()].some((flag) => flag.startsWith("tls-")));
  assert.ok(!pod.volumes.some((v: Json) => v.secret));
  assert.ok(!container.volumeMounts.some((m: Json) => m.mountPath === TLS_DIR));
  assert.ok(!defaults.some((o) => o.kind === "Certificate"));
});

Deno.test("tls.existingSecret is mounted read-only at /etc/device-api/tls and named by the flags", () => {
  const objects = rendered.existingSecret!;
  const { pod, container, args } = server(objects);
  assert.equal(args.get("tls-cert-file"), `${TLS_DIR}/tls.crt`);
  assert.equal(args.get("tls-key-file"), `${TLS_DIR}/tls.key`);
  assert.ok(!args.has("tls-client-ca-file"));
  assert.ok(!args.has("allow-insecure-non-loopback"));
  const mount = container.volumeMounts.find((m: Json) => m.mountPath === TLS_DIR);
  // A subPath mount would never see the kubelet's updates, so rotation would need a restart.
  assert.deepEqual(mount, { name: mount.name, mountPath: TLS_DIR, readOnly: true });
  const volume = pod.volumes.find((v: Json) => v.name === mount.name);
  // 0440: readable by the server through fsGroup (its runAsGroup), by no other user.
  assert.deepEqual(volume.secret, { secretName: "device-api-tls", defaultMode: 0o440 });
  assert.equal(pod.securityContext.fsGroup, container.securityContext.runAsGroup);
  assert.ok(!objects.some((o) => o.kind === "Certificate"));
});

Deno.test("the TLS directory is inside the compiled binary's read-only permission scope", () => {
  const covered = PRODUCTION_SCOPE.readOnly.some((dir) =>
    TLS_DIR === dir || TLS_DIR.startsWith(`${dir}/`)
  );
  assert.ok(covered, `${TLS_DIR} is outside ${PRODUCTION_SCOPE.readOnly.join(", ")}`);
  const { args } = server(rendered.mutual!);
  for (const flag of ["tls-cert-file", "tls-key-file", "tls-client-ca-file"]) {
    assert.ok(args.get(flag)?.startsWith(`${TLS_DIR}/`), flag);
  }
});

Deno.test("tls.clientAuth adds --tls-client-ca-file with the Secret's ca.crt", () => {
  const { args } = server(rendered.mutual!);
  assert.equal(args.get("tls-client-ca-file"), `${TLS_DIR}/ca.crt`);
});

Deno.test("tls.certManager renders a Certificate for the Secret the pods mount", () => {
  const objects = rendered.certManager!;
  const cert = one(objects, "Certificate");
  const { pod, args } = server(objects);
  const volume = pod.volumes.find((v: Json) => v.secret);
  assert.equal(cert.spec.secretName, volume.secret.secretName);
  assert.equal(cert.spec.secretName, `${one(objects, "DaemonSet").metadata.name}-tls`);
  assert.deepEqual(cert.spec.issuerRef, ISSUER);
  assert.ok(cert.spec.usages.includes("server auth"));
  assert.equal(cert.spec.privateKey.rotationPolicy, "Always");
  assert.equal(cert.spec.duration, "2160h");
  assert.equal(cert.spec.renewBefore, "360h");
  assert.equal(args.get("tls-client-ca-file"), `${TLS_DIR}/ca.crt`);
});

Deno.test("the Certificate names loopback, the headless Service and the extra names", () => {
  const objects = rendered.certManager!;
  const cert = one(objects, "Certificate");
  const svc = one(objects, "Service", "-device-api-server").metadata.name;
  assert.deepEqual(cert.spec.dnsNames, [
    "localhost",
    svc,
    `${svc}.${NAMESPACE}`,
    `${svc}.${NAMESPACE}.svc`,
    "gpu-node.example.com",
  ]);
  assert.deepEqual(cert.spec.ipAddresses, ["127.0.0.1", "::1", "10.0.0.7"]);
});

Deno.test("TLS lets a non-loopback grpcAddress render without allowInsecureNonLoopback", () => {
  const objects = rendered.certManager!;
  const { container, args } = server(objects);
  assert.equal(args.get("grpc-address"), "0.0.0.0:50051");
  assert.ok(!args.has("allow-insecure-non-loopback"));
  assert.equal(container.ports.find((p: Json) => p.name === "grpc").containerPort, 50051);
  const svc = one(objects, "Service", "-device-api-server");
  assert.ok(svc.spec.ports.some((p: Json) => p.name === "grpc" && p.appProtocol === "grpc"));
});

Deno.test("probes and the helm test stay plain HTTP on the health port with TLS on", () => {
  const plain = server(defaults).container;
  for (const objects of Object.values(rendered)) {
    const { container } = server(objects);
    for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
      assert.deepEqual(container[probe], plain[probe], probe);
      assert.equal(container[probe].grpc, undefined);
    }
    assert.deepEqual(one(objects, "Pod").spec.containers, one(defaults, "Pod").spec.containers);
  }
});

Deno.test("NOTES.txt says whether the TCP listener uses TLS and mutual TLS", async () => {
  const notes = async (values: Record<string, unknown>) => {
    const res = await helm(
      ["install", "dapi", CHART_DIR, "--namespace", NAMESPACE, "--dry-run=client"],
      values,
    );
    assert.ok(res.success, res.stderr);
    return res.stdout.slice(res.stdout.indexOf("NOTES:"));
  };
  assert.match(await notes(VALUE_SETS.mutual!), /with TLS \(Secret device-api-tls.*\n.*mutual TLS/);
  assert.match(
    await notes(VALUE_SETS.existingSecret!),
    /with TLS .*\nwithout client authentication/,
  );
  assert.doesNotMatch(await notes({}), /with TLS/);
});

/** TLS values helm template must refuse, and a fragment of the error each must produce. */
const REJECTED: [string, Record<string, unknown>, RegExp][] = [
  ["TLS without a certificate source", { tls: { enabled: true } }, /tls\.existingSecret or/],
  [
    "both an existing Secret and cert-manager",
    {
      tls: {
        enabled: true,
        existingSecret: "x",
        certManager: { enabled: true, issuerRef: { name: "ca" } },
      },
    },
    /either tls\.existingSecret or tls\.certManager\.enabled, not both/,
  ],
  [
    "cert-manager without an issuer",
    { tls: { enabled: true, certManager: { enabled: true } } },
    /tls\.certManager\.enabled needs tls\.certManager\.issuerRef\.name/,
  ],
  [
    "TLS without a TCP listener",
    { server: { grpcAddress: "" }, tls: { enabled: true, existingSecret: "x" } },
    /tls\.enabled needs server\.grpcAddress/,
  ],
  [
    "a non-loopback grpcAddress with neither TLS nor opt-in",
    { server: { grpcAddress: "0.0.0.0:50051" } },
    /without TLS: set tls\.enabled=true .*or server\.allowInsecureNonLoopback=true/,
  ],
  ["an unknown key in tls", { tls: { cert: "x" } }, /'\/tls': additional properties 'cert'/],
  [
    "a string clientAuth",
    { tls: { clientAuth: "yes" } },
    /'\/tls\/clientAuth': got string, want boolean/,
  ],
  [
    "a malformed renewBefore",
    { tls: { certManager: { renewBefore: "15 days" } } },
    /'\/tls\/certManager\/renewBefore'.*pattern/,
  ],
  [
    "an unknown issuerRef key",
    { tls: { certManager: { issuerRef: { nam: "ca" } } } },
    /additional properties 'nam'/,
  ],
  [
    "a TLS flag in extraArgs",
    { extraArgs: ["--tls-cert-file=/tmp/x.crt"] },
    /extraArgs.*--tls-cert-file=\/tmp\/x\.crt/,
  ],
];

for (const [what, values, error] of REJECTED) {
  Deno.test(`values.schema.json and template checks reject ${what}`, async () => {
    assert.match(await renderFailure(values), error);
  });
}
