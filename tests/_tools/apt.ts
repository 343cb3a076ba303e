/**
 * Installs Debian packages that a test needs (promtool, unzip, …) on demand.
 *
 * Tests run as root on Debian 12 (locally and in CI), so a missing tool is
 * installed with apt-get instead of skipping the test. Parallel test
 * processes serialise on a lock file under /tmp (flock from util-linux when
 * present) and on dpkg's own lock (`DPkg::Lock::Timeout`).
 *
 * @module
 */

const LOCK_FILE = "/tmp/device-api-server-apt.lock";
const DPKG_LOCK_TIMEOUT_S = 600;

let updated = false;

/** Finds a binary by name on PATH (or checks an absolute path), so tests can skip apt when a tool exists. */
export function findBinary(binary: string): string | undefined {
  if (binary.startsWith("/")) return isExecutable(binary) ? binary : undefined;
  const path = Deno.env.get("PATH") ??
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const dir of path.split(":")) {
    if (dir === "") continue;
    const candidate = `${dir}/${binary}`;
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Makes sure every binary exists, installing the Debian packages that provide them when one is missing.
 *
 * @param packages Debian package names passed to `apt-get install`
 * @param binaries binary names looked up on PATH, or absolute paths
 * @throws {Error} when apt-get fails or a binary is still missing afterwards
 */
export async function ensureDebianPackages(packages: string[], binaries: string[]): Promise<void> {
  const missing = binaries.filter((b) => findBinary(b) === undefined);
  if (missing.length === 0) return;
  const check = binaries
    .map((
      b,
    ) => (b.startsWith("/")
      ? `[ -x ${shellQuote(b)} ]`
      : `command -v ${shellQuote(b)} >/dev/null 2>&1`)
    )
    .join(" && ");
  await install(packages, check, missing.join(", "));
  const stillMissing = binaries.filter((b) => findBinary(b) === undefined);
  if (stillMissing.length > 0) {
    throw new Error(
      `Cannot find ${stillMissing.join(", ")}: still missing after installing ${
        packages.join(" ")
      }`,
    );
  }
}

/**
 * Makes sure every file exists (library sources, headers), installing the Debian packages that
 * provide them when one is missing.
 *
 * @throws {Error} when apt-get fails or a file is still missing afterwards
 */
export async function ensureDebianFiles(packages: string[], files: string[]): Promise<void> {
  const exists = (f: string) => {
    try {
      Deno.statSync(f);
      return true;
    } catch {
      return false;
    }
  };
  const missing = files.filter((f) => !exists(f));
  if (missing.length === 0) return;
  await install(
    packages,
    files.map((f) => `[ -e ${shellQuote(f)} ]`).join(" && "),
    missing.join(", "),
  );
  const still = files.filter((f) => !exists(f));
  if (still.length > 0) {
    throw new Error(
      `Cannot find ${still.join(", ")}: still missing after installing ${packages.join(" ")}`,
    );
  }
}

/** Debian's interpreter, which sees the modules of Debian's python3-* packages. */
export const DEBIAN_PYTHON = "/usr/bin/python3";

/**
 * Makes sure Python modules import under Debian's python3, installing the
 * Debian packages that provide them when one is missing.
 *
 * @throws {Error} when apt-get fails or a module still does not import
 */
export async function ensurePythonModules(packages: string[], modules: string[]): Promise<void> {
  const probe = `${DEBIAN_PYTHON} -c ${shellQuote(`import ${modules.join(", ")}`)} >/dev/null 2>&1`;
  const imports = async () =>
    (await new Deno.Command("sh", { args: ["-c", probe] }).output()).success;
  if (await imports()) return;
  await install(packages, probe, modules.join(", "));
  if (!(await imports())) {
    throw new Error(
      `Cannot import ${modules.join(", ")}: still missing after installing ${packages.join(" ")}`,
    );
  }
}

// Runs apt-get under the lock unless `check` (a shell condition) holds by then.
async function install(packages: string[], check: string, what: string): Promise<void> {
  const script = installScript(packages, check, !updated);
  const flock = findBinary("flock");
  const cmd = flock === undefined
    ? ["sh", "-c", script]
    : [flock, "-w", String(DPKG_LOCK_TIMEOUT_S), LOCK_FILE, "sh", "-c", script];
  const [program, ...args] = cmd as [string, ...string[]];
  const out = await new Deno.Command(program, {
    args,
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const log = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    throw new Error(
      `Cannot install Debian packages ${packages.join(" ")} for ${what}: ` +
        `apt-get exited with ${out.code} (run as root on Debian with access to the apt archive)\n` +
        log.slice(-4000),
    );
  }
  updated = true;
}

/** Shell script run under the lock: re-checks the condition (another process may have won the race), then installs. */
function installScript(packages: string[], check: string, update: boolean): string {
  const lockOpt = `-o DPkg::Lock::Timeout=${DPKG_LOCK_TIMEOUT_S}`;
  const steps = [
    update ? `apt-get ${lockOpt} update -q` : "true",
    `apt-get ${lockOpt} install -y -q --no-install-recommends ${
      packages.map(shellQuote).join(" ")
    }`,
  ];
  return `set -e; if ${check}; then exit 0; fi; ${steps.join(" && ")}`;
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'"'"'`)}'`;
}

function isExecutable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}
