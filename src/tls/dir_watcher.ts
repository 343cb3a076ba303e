/**
 * Notices changes in the directories that hold the TLS files, at no cost
 * while nothing changes: inotify through `Deno.watchFs`, not polling.
 *
 * A directory is watched rather than the files, because cert-manager and the
 * kubelet rotate a mounted Secret by swapping a `..data` symlink inside it,
 * and tools like openssl scripts replace a file by renaming a new one over
 * it: either way the file's inode changes and a watch on the old file would
 * go silent.
 *
 * @module
 */

/** Options of {@linkcode watchDirectories}. */
export interface DirectoryWatchOptions {
  /** Quiet time after the last event before `onChange` runs, in ms (default 200). */
  debounceMs?: number;
  /** Interval of the polling fallback used when the watcher cannot run, in ms (default 60 s). */
  fallbackIntervalMs?: number;
  /** Told why the watcher fell back to polling. */
  onFallback?: (err: unknown) => void;
}

/** A running directory watch. */
export interface DirectoryWatch {
  /** Whether changes are found by polling, because the file-system watcher failed. */
  readonly polling: boolean;
  /** Stops watching; `onChange` is not called afterwards. */
  close(): void;
}

/** Default debounce: a Secret update or a pair of renames lands well within it. */
export const DEFAULT_DEBOUNCE_MS = 200;
/** Default polling interval when inotify is unavailable (e.g. the instance limit is reached). */
export const DEFAULT_FALLBACK_INTERVAL_MS = 60_000;

/**
 * Calls `onChange` (debounced) whenever an entry of one of `dirs` is created,
 * changed, renamed or removed. When the file-system watcher cannot start or
 * fails later, falls back to calling `onChange` every `fallbackIntervalMs`.
 *
 * @param dirs directories to watch (not recursively)
 * @param onChange called after a burst of changes has settled
 */
export function watchDirectories(
  dirs: readonly string[],
  onChange: () => void,
  options: DirectoryWatchOptions = {},
): DirectoryWatch {
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const fallbackMs = options.fallbackIntervalMs ?? DEFAULT_FALLBACK_INTERVAL_MS;
  let closed = false;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  let poll: ReturnType<typeof setInterval> | undefined;
  let watcher: Deno.FsWatcher | undefined;

  const schedule = () => {
    if (closed) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      if (!closed) onChange();
    }, debounceMs);
  };
  const fallBack = (err: unknown) => {
    if (closed || poll !== undefined) return;
    watcher = undefined;
    options.onFallback?.(err);
    poll = setInterval(() => {
      if (!closed) onChange();
    }, fallbackMs);
  };

  try {
    watcher = Deno.watchFs([...dirs], { recursive: false });
  } catch (err) {
    fallBack(err);
  }
  if (watcher !== undefined) {
    const events = watcher;
    (async () => {
      try {
        for await (const _event of events) schedule();
        fallBack(new Error("Cannot watch the TLS directories: the watcher ended"));
      } catch (err) {
        fallBack(err);
      }
    })();
  }

  return {
    get polling() {
      return poll !== undefined;
    },
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(debounce);
      clearInterval(poll);
      try {
        watcher?.close();
      } catch { /* already closed */ }
    },
  };
}
