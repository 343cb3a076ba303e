/**
 * go-grpc-prometheus server metrics for grpc-js, through a server
 * interceptor: the same metric names, labels and Go-style code names, so
 * dashboards and alerts written for Go servers work unchanged.
 *
 * @module
 */
import {
  type Deadline,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  type ServerMethodDefinition,
  status as Status,
} from "@grpc/grpc-js";
import { Counter, type Registry } from "prom-client";
import { type CallStatus, codeName, ListeningCall } from "../server/mod.ts";
import { BucketHistogram, type HistogramSeries } from "./bucket_histogram.ts";
import { CounterFeed } from "./counter_feed.ts";

const STARTED_TOTAL = "grpc_server_started_total";
const HANDLED_TOTAL = "grpc_server_handled_total";
const MSG_RECEIVED_TOTAL = "grpc_server_msg_received_total";
const MSG_SENT_TOTAL = "grpc_server_msg_sent_total";
const HANDLING_SECONDS = "grpc_server_handling_seconds";

/** prometheus.DefBuckets, the go-grpc-prometheus default. */
const HANDLING_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const LABELS = ["grpc_type", "grpc_service", "grpc_method"] as const;

/** go-grpc-prometheus's grpc_type label value of a method. */
export type GrpcType = "unary" | "client_stream" | "server_stream" | "bidi_stream";

// Codes a status can carry: OK (0) to UNAUTHENTICATED (16).
const CODES = 17;

// The counts of one method, resolved once: the interceptor runs on every
// call, so a call only adds to plain numbers here, and the counters read
// them when scraped (prom-client hashes a label set on every inc() and observe()).
class MethodSeries {
  readonly labels: [GrpcType, string, string];
  readonly seconds: HistogramSeries;
  started = 0;
  received = 0;
  sent = 0;
  readonly handled = new Float64Array(CODES);

  constructor(labels: [GrpcType, string, string], seconds: HistogramSeries) {
    this.labels = labels;
    this.seconds = seconds;
  }
}

/** One intercepted call: one object that counts into its method's series. */
class MetricsCall extends ListeningCall {
  readonly #series: MethodSeries;
  readonly #start = performance.now();
  #done = false;

  constructor(call: ServerInterceptingCallInterface, series: MethodSeries) {
    super(call);
    this.#series = series;
    series.started++;
  }

  override sendMessage(message: unknown, callback: () => void): void {
    this.#series.sent++;
    super.sendMessage(message, callback);
  }

  override sendStatus(status: CallStatus): void {
    this.#finish(status.code);
    super.sendStatus(status);
  }

  override onReceiveMessage(message: unknown): void {
    this.#series.received++;
    super.onReceiveMessage(message);
  }

  // Also fires after a normal status, on every call: then it counts nothing.
  override onCancel(): void {
    if (!this.#done) this.#finish(cancelCode(this));
    super.onCancel();
  }

  #finish(code: number): void {
    if (this.#done) return;
    this.#done = true;
    this.#series.handled[code >= 0 && code < CODES ? code : Status.UNKNOWN]!++;
    this.#series.seconds.observe((performance.now() - this.#start) / 1000);
  }
}

/**
 * Builds a server interceptor that records the go-grpc-prometheus metrics
 * on `registry`: started, handled (by code), messages received and sent,
 * and handling time, labelled by type, service and method.
 *
 * A call the client cancels never reaches the status hook in grpc-js, so it
 * is counted from the listener's cancel hook, as Canceled (DeadlineExceeded
 * when its deadline has passed); every call is counted as handled once.
 *
 * @param registry where the metrics are registered
 * @returns the interceptor, for `new Server({ interceptors })`
 */
export function grpcMetricsInterceptor(registry: Registry): ServerInterceptor {
  const registers = [registry];
  const labelNames = [...LABELS];
  const methods = new Map<string, MethodSeries>();
  // Reported values per counter, by method path (and code for handled).
  const feed = new CounterFeed();

  // Brings a counter up to the counts: called by prom-client on every scrape.
  function flush(
    counter: Counter,
    field: "started" | "received" | "sent",
  ): void {
    for (const [path, s] of methods) feed.report(counter, `${field} ${path}`, s.labels, s[field]);
  }

  const started: Counter = new Counter({
    name: STARTED_TOTAL,
    help: "Total number of RPCs started on the server.",
    labelNames,
    registers,
    collect: () => flush(started, "started"),
  });
  const handled: Counter = new Counter({
    name: HANDLED_TOTAL,
    help: "Total number of RPCs completed on the server, regardless of success or failure.",
    labelNames: [...labelNames, "grpc_code"],
    registers,
    collect: () => {
      for (const [path, s] of methods) {
        for (let code = 0; code < CODES; code++) {
          if (s.handled[code]! === 0) continue;
          feed.report(
            handled,
            `handled ${path} ${code}`,
            [...s.labels, codeName(code)],
            s.handled[code]!,
          );
        }
      }
    },
  });
  const received: Counter = new Counter({
    name: MSG_RECEIVED_TOTAL,
    help: "Total number of RPC stream messages received on the server.",
    labelNames,
    registers,
    collect: () => flush(received, "received"),
  });
  const sent: Counter = new Counter({
    name: MSG_SENT_TOTAL,
    help: "Total number of gRPC stream messages sent by the server.",
    labelNames,
    registers,
    collect: () => flush(sent, "sent"),
  });
  const seconds = new BucketHistogram({
    name: HANDLING_SECONDS,
    help: "Histogram of response latency (seconds) of gRPC that had been application-level " +
      "handled by the server.",
    labelNames,
    buckets: HANDLING_BUCKETS,
    registry,
  });

  function series(method: ServerMethodDefinition<unknown, unknown>): MethodSeries {
    let s = methods.get(method.path);
    if (!s) {
      const [service = "", name = ""] = method.path.slice(1).split("/");
      const labels: [GrpcType, string, string] = [grpcType(method), service, name];
      s = new MethodSeries(labels, seconds.series(...labels));
      methods.set(method.path, s);
    }
    return s;
  }

  return (method, call) => new MetricsCall(call, series(method));
}

/** The grpc_type label of a method, from its streaming flags. */
export function grpcType(method: { requestStream: boolean; responseStream: boolean }): GrpcType {
  if (method.requestStream) return method.responseStream ? "bidi_stream" : "client_stream";
  return method.responseStream ? "server_stream" : "unary";
}

// A call that ended without a status: grpc-js's deadline timer sends its
// DEADLINE_EXCEEDED past the interceptors, so tell it apart from a cancel.
function cancelCode(call: { getDeadline(): Deadline }): number {
  return deadlinePassed(call.getDeadline()) ? Status.DEADLINE_EXCEEDED : Status.CANCELLED;
}

function deadlinePassed(deadline: Deadline): boolean {
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) && Date.now() >= ms;
}
