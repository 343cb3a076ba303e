/**
 * go-grpc-prometheus server metrics for grpc-js, through a server
 * interceptor: the same metric names, labels and Go-style code names, so
 * dashboards and alerts written for Go servers work unchanged.
 *
 * @module
 */
import {
  type Deadline,
  ResponderBuilder,
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  ServerListenerBuilder,
  type ServerMethodDefinition,
  status as Status,
} from "@grpc/grpc-js";
import { Counter, Histogram, type Registry } from "prom-client";
import { codeName } from "../server/mod.ts";

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

// The series of one method, resolved once: the interceptor runs on every call.
interface MethodSeries {
  labels: [GrpcType, string, string];
  started: Counter.Internal;
  received: Counter.Internal;
  sent: Counter.Internal;
  seconds: Histogram.Internal<string>;
  handled: (Counter.Internal | undefined)[]; // by status code
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
  const started = new Counter({
    name: STARTED_TOTAL,
    help: "Total number of RPCs started on the server.",
    labelNames,
    registers,
  });
  const handled = new Counter({
    name: HANDLED_TOTAL,
    help: "Total number of RPCs completed on the server, regardless of success or failure.",
    labelNames: [...labelNames, "grpc_code"],
    registers,
  });
  const received = new Counter({
    name: MSG_RECEIVED_TOTAL,
    help: "Total number of RPC stream messages received on the server.",
    labelNames,
    registers,
  });
  const sent = new Counter({
    name: MSG_SENT_TOTAL,
    help: "Total number of gRPC stream messages sent by the server.",
    labelNames,
    registers,
  });
  const seconds = new Histogram({
    name: HANDLING_SECONDS,
    help: "Histogram of response latency (seconds) of gRPC that had been application-level " +
      "handled by the server.",
    labelNames,
    buckets: HANDLING_BUCKETS,
    registers,
  });
  const methods = new Map<string, MethodSeries>();

  function series(method: ServerMethodDefinition<unknown, unknown>): MethodSeries {
    let s = methods.get(method.path);
    if (!s) {
      const [service = "", name = ""] = method.path.slice(1).split("/");
      const labels: [GrpcType, string, string] = [grpcType(method), service, name];
      s = {
        labels,
        started: started.labels(...labels),
        received: received.labels(...labels),
        sent: sent.labels(...labels),
        seconds: seconds.labels(...labels),
        handled: [],
      };
      // Every series of a called method exists, at 0 until it counts something.
      s.received.inc(0);
      s.sent.inc(0);
      methods.set(method.path, s);
    }
    return s;
  }

  function countHandled(s: MethodSeries, code: number): void {
    let child = s.handled[code];
    if (!child) {
      child = handled.labels(...s.labels, codeName(code));
      s.handled[code] = child;
    }
    child.inc();
  }

  return (method, call) => {
    const s = series(method);
    s.started.inc();
    const start = performance.now();
    let done = false;
    const finish = (code: number) => {
      if (done) return;
      done = true;
      countHandled(s, code);
      s.seconds.observe((performance.now() - start) / 1000);
    };
    const listener = new ServerListenerBuilder()
      .withOnReceiveMessage((message, next) => {
        s.received.inc();
        next(message);
      })
      // Also fires after a normal status; `done` makes that a no-op.
      .withOnCancel(() => finish(cancelCode(call)))
      .build();
    const responder = new ResponderBuilder()
      .withStart((next) => next(listener))
      .withSendMessage((message, next) => {
        s.sent.inc();
        next(message);
      })
      .withSendStatus((status, next) => {
        finish(status.code);
        next(status);
      })
      .build();
    return new ServerInterceptingCall(call, responder);
  };
}

/** The grpc_type label of a method, from its streaming flags. */
export function grpcType(method: { requestStream: boolean; responseStream: boolean }): GrpcType {
  if (method.requestStream) return method.responseStream ? "bidi_stream" : "client_stream";
  return method.responseStream ? "server_stream" : "unary";
}

// A call that ended without a status: grpc-js's deadline timer sends its
// DEADLINE_EXCEEDED past the interceptors, so tell it apart from a cancel.
function cancelCode(call: ServerInterceptingCallInterface): number {
  return deadlinePassed(call.getDeadline()) ? Status.DEADLINE_EXCEEDED : Status.CANCELLED;
}

function deadlinePassed(deadline: Deadline): boolean {
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) && Date.now() >= ms;
}
