/**
 * A load-generator process: one role (unary loops, the paced writer, or
 * watch streams) given as a JSON argument, driven by commands on stdin and
 * answering on stdout (see `_protocol.ts`).
 *
 * @module
 */
import { now } from "./_clock.ts";
import { LineReader, LineWriter } from "./_ipc.ts";
import type { Command, WorkerConfig } from "./_protocol.ts";
import { UnaryLoad } from "./_load_unary.ts";
import { WriterLoad } from "./_load_writer.ts";
import { WatchLoad } from "./_load_watch.ts";

async function main(config: WorkerConfig): Promise<void> {
  const commands = new LineReader(Deno.stdin.readable);
  const replies = new LineWriter(Deno.stdout.writable);
  const load = config.role === "unary"
    ? new UnaryLoad(config)
    : config.role === "writer"
    ? new WriterLoad(config)
    : new WatchLoad(config);
  try {
    for (let msg = await commands.next(); msg; msg = await commands.next()) {
      const command = msg as Command;
      switch (command.cmd) {
        case "sync":
          await replies.send({ t: now() });
          break;
        case "start":
          await load.start();
          await replies.send({ ok: true });
          break;
        case "measure":
          if (!(load instanceof WatchLoad)) load.measure();
          await replies.send({ ok: true });
          break;
        case "stop":
          await replies.send(load instanceof WatchLoad ? { ok: true } : { ...await load.stop() });
          break;
        case "count":
          if (!(load instanceof WatchLoad)) throw new Error("Cannot count: not a watch worker");
          await replies.send({ received: load.received });
          break;
        case "collect":
          if (!(load instanceof WatchLoad)) throw new Error("Cannot collect: not a watch worker");
          await replies.send({ ...load.collect(command.writes) });
          break;
        case "exit":
          return;
      }
    }
  } catch (err) {
    await replies.send({ error: err instanceof Error ? err.message : String(err) });
  } finally {
    load.close();
    await replies.close();
  }
}

if (import.meta.main) {
  await main(JSON.parse(Deno.args[0] ?? "{}") as WorkerConfig);
  Deno.exit(0);
}
