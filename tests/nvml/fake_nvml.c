/*
 * A fake libnvidia-ml.so.1 for tests: no GPU, no driver, deterministic data.
 *
 * Build: cc -shared -fPIC -O2 -pthread -Wl,-z,now -o libnvidia-ml.so.1 fake_nvml.c
 * Add -DFAKE_OLD_DRIVER for a library shaped like the oldest supported
 * driver: it lacks nvmlEventSetWait_v2, nvmlDeviceGetPciInfo_v3,
 * nvmlDeviceGetRemappedRows and nvmlDeviceGetCurrentClocksEventReasons (the
 * provider falls back to nvmlEventSetWait, nvmlDeviceGetPciInfo_v2, no
 * remapped-row data, and nvmlDeviceGetCurrentClocksThrottleReasons).
 *
 * Environment, read at the first nvmlInit_v2 (or the first fake_nvml_* call) unless
 * fake_nvml_configure() came first:
 *   FAKE_NVML_GPU_COUNT   number of GPUs, 0..16 (default 2)
 *   FAKE_NVML_INIT_ERROR  an nvmlReturn_t that nvmlInit_v2 returns (default 0)
 *   FAKE_NVML_INIT_DELAY_MS   nvmlInit_v2 takes this long (default 0)
 *   FAKE_NVML_QUERY_DELAY_MS  every device query takes this long (default 0)
 *   FAKE_NVML_LOST_DELAY_MS   a device query on a lost GPU takes this long before it
 *                         returns GPU_IS_LOST, as a GPU falling off the bus can (default 0)
 *   FAKE_NVML_CONTROL     path of a control file; a background thread reads
 *                         the lines appended to it, so another process (a
 *                         test driving a server that loaded this library)
 *                         can inject events. Lines already in the file are
 *                         applied synchronously by the first nvmlInit_v2.
 *
 * Control commands (one per line; also callable in-process as fake_nvml_*):
 *   xid <index> <xid>     XidCriticalError event with that XID
 *   ecc-dbe <index>       DoubleBitEccError event
 *   ecc-sbe <index>       SingleBitEccError event
 *   lost [index]          the GPU (default: all) stops answering: queries and
 *                         nvmlEventSetWait* return NVML_ERROR_GPU_IS_LOST
 *   recover [index]       the GPU (default: all) answers again
 *   unsupported <index>   nvmlDeviceRegisterEvents returns NOT_SUPPORTED
 *   no-serial <index>     nvmlDeviceGetSerial returns NOT_SUPPORTED
 *   wake                  pending waits return NVML_ERROR_TIMEOUT now
 *   delay-init <ms>       as FAKE_NVML_INIT_DELAY_MS
 *   delay-query <ms>      as FAKE_NVML_QUERY_DELAY_MS
 *   delay-lost <ms>       as FAKE_NVML_LOST_DELAY_MS
 *   remap <index> <pending> <failure>   row-remapping flags (0 or 1)
 *   retired <index> <pending> <sbe> <dbe>  retired pages: pending flag and page counts
 *   clocks <index> <mask>  current clock event reason bits (decimal)
 *   temperature <index> <celsius>  GPU temperature (thresholds: slowdown 90, shutdown 95)
 *   no-signals <index>    every polled-signal call returns NOT_SUPPORTED for the GPU
 *   reset <index>         a GPU reset: volatile ECC counts and pending remaps and
 *                         retirements clear, the GPU answers again
 *
 * Delays sleep without holding the library's lock, so other GPUs' calls go on meanwhile.
 *
 * Events reach an event set only for the types registered on it for that
 * device, as with the real library.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXPORT __attribute__((visibility("default")))

typedef int nvmlReturn_t;
enum {
  NVML_SUCCESS = 0,
  NVML_ERROR_UNINITIALIZED = 1,
  NVML_ERROR_INVALID_ARGUMENT = 2,
  NVML_ERROR_NOT_SUPPORTED = 3,
  NVML_ERROR_INSUFFICIENT_SIZE = 7,
  NVML_ERROR_TIMEOUT = 10,
  NVML_ERROR_GPU_IS_LOST = 15,
  NVML_ERROR_UNKNOWN = 999,
};

#define EVENT_SBE 0x1ULL
#define EVENT_DBE 0x2ULL
#define EVENT_PSTATE 0x4ULL
#define EVENT_XID 0x8ULL
#define EVENT_CLOCK 0x10ULL
#define SUPPORTED_EVENTS (EVENT_SBE | EVENT_DBE | EVENT_PSTATE | EVENT_XID | EVENT_CLOCK)

#define MAX_GPUS 16
#define MAX_SETS 8
#define QUEUE_CAP 256

typedef struct fake_device {
  unsigned index;
  int lost;
  int unsupported;
  int no_serial;
  unsigned long long sbe_count;
  unsigned long long dbe_count;
  int no_signals;
  int remap_pending;
  int remap_failure;
  unsigned remap_corr;
  unsigned remap_unc;
  int retired_pending;
  unsigned retired_sbe;
  unsigned retired_dbe;
  unsigned long long clock_reasons;
  unsigned temperature;
} fake_device;

typedef struct fake_event {
  fake_device *device;
  unsigned long long type;
  unsigned long long data;
} fake_event;

typedef struct fake_set {
  int live;
  unsigned long long mask[MAX_GPUS];
  fake_event queue[QUEUE_CAP];
  unsigned head;
  unsigned len;
} fake_set;

typedef struct {
  void *device;
  unsigned long long eventType;
  unsigned long long eventData;
  unsigned gpuInstanceId;
  unsigned computeInstanceId;
} nvmlEventData_t;

typedef struct {
  char busIdLegacy[16];
  unsigned domain;
  unsigned bus;
  unsigned device;
  unsigned pciDeviceId;
  unsigned pciSubSystemId;
  char busId[32];
} nvmlPciInfo_t;

typedef struct {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
} nvmlMemory_t;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t event_cond; /* CLOCK_MONOTONIC, set up in fake_ctor */
static pthread_cond_t control_cond;
static int configured;
static int init_count;
static int init_error;
static unsigned gpu_count;
static fake_device devices[MAX_GPUS];
static fake_set sets[MAX_SETS];
static unsigned wake_generation;
static int waiters;
static unsigned long long wait_calls;
static int init_delay_ms;
static int query_delay_ms;
static int lost_delay_ms;

static char control_path[4096];
static long control_offset;
static int control_running;
static int control_stop;
static pthread_t control_thread;

/* ---- helpers (mu held unless said otherwise) ---- */

static int env_int(const char *name, int fallback) {
  const char *v = getenv(name);
  return v && *v ? atoi(v) : fallback;
}

static int any_lost_locked(void) {
  for (unsigned i = 0; i < gpu_count; i++)
    if (devices[i].lost) return 1;
  return 0;
}

static fake_device *device_locked(void *handle, nvmlReturn_t *rc) {
  if (!init_count) { *rc = NVML_ERROR_UNINITIALIZED; return NULL; }
  fake_device *d = handle;
  if (d < devices || d >= devices + gpu_count) { *rc = NVML_ERROR_INVALID_ARGUMENT; return NULL; }
  if (d->lost) { *rc = NVML_ERROR_GPU_IS_LOST; return NULL; }
  *rc = NVML_SUCCESS;
  return d;
}

static void inject_locked(unsigned index, unsigned long long type, unsigned long long data) {
  if (index >= gpu_count) {
    fprintf(stderr, "fake-nvml: no GPU with index %u\n", index);
    return;
  }
  fake_device *d = &devices[index];
  if (type == EVENT_SBE) d->sbe_count++;
  if (type == EVENT_DBE) { d->dbe_count++; d->remap_pending = 1; d->remap_unc++; }
  for (int s = 0; s < MAX_SETS; s++) {
    fake_set *set = &sets[s];
    if (!set->live || !(set->mask[index] & type)) continue;
    if (set->len == QUEUE_CAP) {
      fprintf(stderr, "fake-nvml: event queue full, event dropped\n");
      continue;
    }
    set->queue[(set->head + set->len) % QUEUE_CAP] = (fake_event){d, type, data};
    set->len++;
  }
  pthread_cond_broadcast(&event_cond);
}

static void set_lost_locked(int index, int lost) {
  for (unsigned i = 0; i < gpu_count; i++)
    if (index < 0 || (unsigned)index == i) devices[i].lost = lost;
  pthread_cond_broadcast(&event_cond);
}

static void reset_locked(unsigned index) {
  fake_device *d = &devices[index];
  d->sbe_count = d->dbe_count = 0;
  if (d->remap_pending) d->remap_pending = 0;
  d->retired_pending = 0;
  d->lost = 0;
  pthread_cond_broadcast(&event_cond);
}

static void apply_command_locked(const char *line) {
  char cmd[32] = {0};
  long a = -1, b = -1, c = -1, e = -1;
  int n = sscanf(line, "%31s %ld %ld %ld %ld", cmd, &a, &b, &c, &e);
  if (n < 1) return;
  if (n >= 2 && a >= 0 && (unsigned long)a < gpu_count) {
    fake_device *d = &devices[a];
    if (!strcmp(cmd, "remap") && n == 4) { d->remap_pending = (int)b; d->remap_failure = (int)c; return; }
    if (!strcmp(cmd, "retired") && n == 5) {
      d->retired_pending = (int)b; d->retired_sbe = (unsigned)c; d->retired_dbe = (unsigned)e; return;
    }
    if (!strcmp(cmd, "clocks") && n == 3) { d->clock_reasons = (unsigned long long)b; return; }
    if (!strcmp(cmd, "temperature") && n == 3) { d->temperature = (unsigned)b; return; }
    if (!strcmp(cmd, "no-signals") && n == 2) { d->no_signals = 1; return; }
    if (!strcmp(cmd, "reset") && n == 2) { reset_locked((unsigned)a); return; }
  }
  if (!strcmp(cmd, "xid") && n == 3) inject_locked((unsigned)a, EVENT_XID, (unsigned long long)b);
  else if (!strcmp(cmd, "ecc-dbe") && n == 2) inject_locked((unsigned)a, EVENT_DBE, 0);
  else if (!strcmp(cmd, "ecc-sbe") && n == 2) inject_locked((unsigned)a, EVENT_SBE, 0);
  else if (!strcmp(cmd, "lost")) set_lost_locked(n == 2 ? (int)a : -1, 1);
  else if (!strcmp(cmd, "recover")) set_lost_locked(n == 2 ? (int)a : -1, 0);
  else if (!strcmp(cmd, "unsupported") && n == 2 && (unsigned long)a < gpu_count) devices[a].unsupported = 1;
  else if (!strcmp(cmd, "no-serial") && n == 2 && (unsigned long)a < gpu_count) devices[a].no_serial = 1;
  else if (!strcmp(cmd, "wake")) { wake_generation++; pthread_cond_broadcast(&event_cond); }
  else if (!strcmp(cmd, "delay-init") && n == 2) init_delay_ms = (int)a;
  else if (!strcmp(cmd, "delay-query") && n == 2) query_delay_ms = (int)a;
  else if (!strcmp(cmd, "delay-lost") && n == 2) lost_delay_ms = (int)a;
  else fprintf(stderr, "fake-nvml: cannot apply control command: '%s'\n", line);
}

/* Applies the complete lines appended to the control file since last time. */
static void poll_control_locked(void) {
  if (!control_path[0]) return;
  FILE *f = fopen(control_path, "r");
  if (!f) return;
  if (fseek(f, 0, SEEK_END) == 0 && ftell(f) < control_offset) control_offset = 0; /* truncated */
  fseek(f, control_offset, SEEK_SET);
  char line[256];
  while (fgets(line, sizeof line, f)) {
    size_t len = strlen(line);
    if (len == 0 || line[len - 1] != '\n') break; /* partial line: read it next time */
    control_offset += (long)len;
    line[len - 1] = 0;
    apply_command_locked(line);
  }
  fclose(f);
}

static void deadline_after(struct timespec *ts, unsigned ms) {
  clock_gettime(CLOCK_MONOTONIC, ts);
  ts->tv_sec += ms / 1000;
  ts->tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) { ts->tv_sec++; ts->tv_nsec -= 1000000000L; }
}

static void *control_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  while (!control_stop) {
    poll_control_locked();
    struct timespec ts;
    deadline_after(&ts, 2);
    pthread_cond_timedwait(&control_cond, &mu, &ts);
  }
  pthread_mutex_unlock(&mu);
  return NULL;
}

static void configure_with_locked(int count, int error, const char *path) {
  configured = 1;
  gpu_count = count < 0 ? 0 : count > MAX_GPUS ? MAX_GPUS : (unsigned)count;
  init_error = error;
  memset(devices, 0, sizeof devices);
  memset(sets, 0, sizeof sets);
  for (unsigned i = 0; i < gpu_count; i++) { devices[i].index = i; devices[i].temperature = 40; }
  init_delay_ms = env_int("FAKE_NVML_INIT_DELAY_MS", 0);
  query_delay_ms = env_int("FAKE_NVML_QUERY_DELAY_MS", 0);
  lost_delay_ms = env_int("FAKE_NVML_LOST_DELAY_MS", 0);
  snprintf(control_path, sizeof control_path, "%s", path ? path : "");
  control_offset = 0;
  poll_control_locked();
  if (control_path[0] && !control_running) {
    control_stop = 0;
    control_running = pthread_create(&control_thread, NULL, control_main, NULL) == 0;
  }
}

static void configure_locked(void) {
  if (configured) return;
  configure_with_locked(env_int("FAKE_NVML_GPU_COUNT", 2), env_int("FAKE_NVML_INIT_ERROR", 0),
                        getenv("FAKE_NVML_CONTROL"));
}

static void stop_control_thread(void) {
  pthread_mutex_lock(&mu);
  int running = control_running;
  control_stop = 1;
  control_running = 0;
  pthread_cond_broadcast(&control_cond);
  pthread_mutex_unlock(&mu);
  if (running) pthread_join(control_thread, NULL);
}

__attribute__((constructor)) static void fake_ctor(void) {
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&event_cond, &attr);
  pthread_cond_init(&control_cond, &attr);
  pthread_condattr_destroy(&attr);
}

/* The control thread runs code of this library: it must end before unload. */
__attribute__((destructor)) static void fake_dtor(void) { stop_control_thread(); }

static nvmlReturn_t copy_string(char *buf, unsigned len, const char *value) {
  if (!buf) return NVML_ERROR_INVALID_ARGUMENT;
  if (strlen(value) + 1 > len) return NVML_ERROR_INSUFFICIENT_SIZE;
  strcpy(buf, value);
  return NVML_SUCCESS;
}

/* Sleeps ms with the lock released (mu held on entry and on return). */
static void sleep_unlocked(int ms) {
  if (ms <= 0) return;
  pthread_mutex_unlock(&mu);
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
  pthread_mutex_lock(&mu);
}

/* The configured delay of a query on this device: longer when it is lost. */
static void query_delay_locked(void *handle) {
  fake_device *d = handle;
  int lost = d >= devices && d < devices + gpu_count && d->lost;
  sleep_unlocked(lost ? lost_delay_ms : query_delay_ms);
}

#define LOCKED_DEVICE(handle)                 \
  nvmlReturn_t rc;                            \
  pthread_mutex_lock(&mu);                    \
  query_delay_locked(handle);                 \
  fake_device *d = device_locked(handle, &rc); \
  if (!d) { pthread_mutex_unlock(&mu); return rc; }

#define UNLOCK_RETURN(value) do { nvmlReturn_t r_ = (value); pthread_mutex_unlock(&mu); return r_; } while (0)

/* ---- NVML API ---- */

EXPORT nvmlReturn_t nvmlInit_v2(void) {
  pthread_mutex_lock(&mu);
  configure_locked();
  sleep_unlocked(init_delay_ms);
  if (init_error) UNLOCK_RETURN(init_error);
  init_count++;
  UNLOCK_RETURN(NVML_SUCCESS);
}

EXPORT nvmlReturn_t nvmlShutdown(void) {
  pthread_mutex_lock(&mu);
  if (!init_count) UNLOCK_RETURN(NVML_ERROR_UNINITIALIZED);
  init_count--;
  UNLOCK_RETURN(NVML_SUCCESS);
}

EXPORT const char *nvmlErrorString(nvmlReturn_t code) {
  switch (code) {
    case NVML_SUCCESS: return "Success";
    case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
    case NVML_ERROR_TIMEOUT: return "Timeout";
    case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
    default: return "Unknown Error";
  }
}

#ifdef FAKE_OLD_DRIVER
#define DRIVER_VERSION "418.226.00"
#define NVML_VERSION "10.418.226.00"
#else
#define DRIVER_VERSION "550.54.15"
#define NVML_VERSION "12.550.54.15"
#endif

EXPORT nvmlReturn_t nvmlSystemGetDriverVersion(char *buf, unsigned len) {
  pthread_mutex_lock(&mu);
  if (!init_count) UNLOCK_RETURN(NVML_ERROR_UNINITIALIZED);
  UNLOCK_RETURN(copy_string(buf, len, DRIVER_VERSION));
}

EXPORT nvmlReturn_t nvmlSystemGetNVMLVersion(char *buf, unsigned len) {
  return copy_string(buf, len, NVML_VERSION);
}

EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned *count) {
  pthread_mutex_lock(&mu);
  if (!init_count) UNLOCK_RETURN(NVML_ERROR_UNINITIALIZED);
  if (!count) UNLOCK_RETURN(NVML_ERROR_INVALID_ARGUMENT);
  *count = gpu_count;
  UNLOCK_RETURN(NVML_SUCCESS);
}

EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned index, void **out) {
  pthread_mutex_lock(&mu);
  if (!init_count) UNLOCK_RETURN(NVML_ERROR_UNINITIALIZED);
  if (index >= gpu_count || !out) UNLOCK_RETURN(NVML_ERROR_INVALID_ARGUMENT);
  if (devices[index].lost) UNLOCK_RETURN(NVML_ERROR_GPU_IS_LOST);
  *out = &devices[index];
  UNLOCK_RETURN(NVML_SUCCESS);
}

static void format_uuid(char *buf, size_t len, unsigned i) {
  snprintf(buf, len, "GPU-%08x-4f89-11d3-9a0c-%012llx", 0x3f2504e0u + i, 0x0305e82c3300ULL + i);
}

EXPORT nvmlReturn_t nvmlDeviceGetHandleByUUID(const char *uuid, void **out) {
  pthread_mutex_lock(&mu);
  if (!init_count) UNLOCK_RETURN(NVML_ERROR_UNINITIALIZED);
  if (!uuid || !out) UNLOCK_RETURN(NVML_ERROR_INVALID_ARGUMENT);
  for (unsigned i = 0; i < gpu_count; i++) {
    char buf[64];
    format_uuid(buf, sizeof buf, i);
    if (strcmp(buf, uuid)) continue;
    query_delay_locked(&devices[i]);
    if (devices[i].lost) UNLOCK_RETURN(NVML_ERROR_GPU_IS_LOST);
    *out = &devices[i];
    UNLOCK_RETURN(NVML_SUCCESS);
  }
  UNLOCK_RETURN(6 /* NOT_FOUND */);
}

EXPORT nvmlReturn_t nvmlDeviceGetUUID(void *dev, char *buf, unsigned len) {
  LOCKED_DEVICE(dev);
  char uuid[64];
  format_uuid(uuid, sizeof uuid, d->index);
  UNLOCK_RETURN(copy_string(buf, len, uuid));
}

EXPORT nvmlReturn_t nvmlDeviceGetName(void *dev, char *buf, unsigned len) {
  LOCKED_DEVICE(dev);
  UNLOCK_RETURN(copy_string(buf, len, d->index % 2 ? "NVIDIA A100-SXM4-40GB" : "NVIDIA H100 80GB HBM3"));
}

EXPORT nvmlReturn_t nvmlDeviceGetSerial(void *dev, char *buf, unsigned len) {
  LOCKED_DEVICE(dev);
  if (d->no_serial) UNLOCK_RETURN(NVML_ERROR_NOT_SUPPORTED);
  char serial[32];
  snprintf(serial, sizeof serial, "16500230%05u", d->index + 1);
  UNLOCK_RETURN(copy_string(buf, len, serial));
}

static void fill_pci(fake_device *d, nvmlPciInfo_t *info, int legacy) {
  memset(info, 0, sizeof *info);
  info->domain = 0;
  info->bus = 0x18 + 0x10 * d->index;
  info->device = 0;
  info->pciDeviceId = 0x233010deu;
  info->pciSubSystemId = 0x16c110deu;
  snprintf(info->busIdLegacy, sizeof info->busIdLegacy, "%04X:%02X:%02X.0", info->domain, info->bus, info->device);
  if (!legacy) snprintf(info->busId, sizeof info->busId, "%08X:%02X:%02X.0", info->domain, info->bus, info->device);
  /* The v2 struct has four reserved words where v3 has busId: fill them so that a reader
   * that takes busId from a v2 call gets garbage, as it might from a real old driver. */
  else memset(info->busId, 'R', 16);
}

/* The v2 layout ends after pciSubSystemId (plus reserved words); it has no 32-byte busId. */
EXPORT nvmlReturn_t nvmlDeviceGetPciInfo_v2(void *dev, nvmlPciInfo_t *info) {
  LOCKED_DEVICE(dev);
  if (!info) UNLOCK_RETURN(NVML_ERROR_INVALID_ARGUMENT);
  fill_pci(d, info, 1);
  UNLOCK_RETURN(NVML_SUCCESS);
}

#ifndef FAKE_OLD_DRIVER
EXPORT nvmlReturn_t nvmlDeviceGetPciInfo_v3(void *dev, nvmlPciInfo_t *info) {
  LOCKED_DEVICE(dev);
  if (!info) UNLOCK_RETURN(NVML_ERROR_INVALID_ARGUMENT);
  fill_pci(d, info, 0);
  UNLOCK_RETURN(NVML_SUCCESS);
}

EXPORT nvmlReturn_t nvmlDeviceGetRemappedRows(void *dev, unsigned *corr, unsigned *unc, unsigned *pending, unsigned *failure) {
  LOCKED_DEVICE(dev);
  if (!corr || !unc || !pending || !failure) UNLOCK_RETURN(NVML_ERROR_INVALID_ARGUMENT);
  if (d->no_signals) UNLOCK_RETURN(NVML_ERROR_NOT_SUPPORTED);
  *corr = d->remap_corr;
  *unc = d->remap_unc;
  *pending = (unsigned)d->remap_pending;
  *failure = (unsigned)d->remap_failure;
  UNLOCK_RETURN(NVML_SUCCESS);
}

EXPORT nvmlReturn_t nvmlDeviceGetCurrentClocksEventReasons(void *dev, unsigned long long *reasons) {
  LOCKED_DEVICE(dev);
  if (!reasons) UNLOCK_RETURN(NVML_ERROR_INVALID_ARGUMENT);
  if (d->no_signals) UNLOCK_RETURN(NVML_ERROR_NOT_SUPPORTED);
  *reasons = d->clock_reasons;
  UNLOCK_RETURN(NVML_SUCCESS);
}
#endif

/* The older name of nvmlDeviceGetCurrentClocksEventReasons, kept by newer drivers too. */
EXPORT nvmlReturn_t nvmlDeviceGetCurrentClocksThrottleReasons(void *dev, unsigned long long *reasons) {
  LOCKED_DEVICE(dev);
  if (!reasons) UNLOCK_RETURN(NVML_ERROR_INVALID_ARGUMENT);
  if (d->no_signals) UNLOCK_RETURN(NVML_ERROR_NOT_SUPPORTED);
  *reasons = d->clock_reasons;
  UNLOCK_RETURN(NVML_SUCCESS);
}

EXPORT nvmlReturn_t nvmlDeviceGetRetiredPagesPendingStatus(void *dev, unsigned *state) {
  LOCKED_DEVICE(dev);
  if (!state) UNLOCK_RETURN(NVML_ERROR_INVALID_ARGUMENT);
  if (d->no_signals) UNLOCK_RETURN(NVML_ERROR_NOT_SUPPORTED);
  *state = (unsigned)d->retired_pending;
  UNLOCK_RETURN(NVML_SUCCESS);
}

/* cause 0: multiple single-bit errors, 1: double-bit error. A count of 0 asks for the size. */
EXPORT nvmlReturn_t nvmlDeviceGetRetiredPages(void *dev, int cause, unsigned *count, unsigned long long *addresses) {
  LOCKED_DEVICE(dev);
  if (!count || cause < 0 || cause > 1) UNLOCK_RETURN(NVML_ERROR_INVALID_ARGUMENT);
  if (d->no_signals) UNLOCK_RETURN(NVML_ERROR_NOT_SUPPORTED);
  unsigned pages = cause ? d->retired_dbe : d->retired_sbe;
  if (*count < pages) { *count = pages; UNLOCK_RETURN(NVML_ERROR_INSUFFICIENT_SIZE); }
  for (unsigned i = 0; i < pages; i++) if (addresses) addresses[i] = 0x1000ULL * (i + 1);
  *count = pages;
  UNLOCK_RETURN(NVML_SUCCESS);
}

EXPORT nvmlReturn_t nvmlDeviceGetTemperature(void *dev, int sensor, unsigned *temp) {
  LOCKED_DEVICE(dev);
  if (!temp || sensor != 0) UNLOCK_RETURN(NVML_ERROR_INVALID_ARGUMENT);
  if (d->no_signals) UNLOCK_RETURN(NVML_ERROR_NOT_SUPPORTED);
  *temp = d->temperature;
  UNLOCK_RETURN(NVML_SUCCESS);
}

/* 0 shutdown, 1 slowdown. */
EXPORT nvmlReturn_t nvmlDeviceGetTemperatureThreshold(void *dev, int type, unsigned *temp) {
  LOCKED_DEVICE(dev);
  if (!temp) UNLOCK_RETURN(NVML_ERROR_INVALID_ARGUMENT);
  if (d->no_signals || type > 1 || type < 0) UNLOCK_RETURN(NVML_ERROR_NOT_SUPPORTED);
  *temp = type ? 90 : 95;
  UNLOCK_RETURN(NVML_SUCCESS);
}

EXPORT nvmlReturn_t nvmlDeviceGetIndex(void *dev, unsigned *out) {
  LOCKED_DEVICE(dev);
  if (!out) UNLOCK_RETURN(NVML_ERROR_INVALID_ARGUMENT);
  *out = d->index;
  UNLOCK_RETURN(NVML_SUCCESS);
}

/* Minor numbers run backwards so that a test can tell them from indexes. */
EXPORT nvmlReturn_t nvmlDeviceGetMinorNumber(void *dev, unsigned *out) {
  LOCKED_DEVICE(dev);
  if (!out) UNLOCK_RETURN(NVML_ERROR_INVALID_ARGUMENT);
  *out = gpu_count - 1 - d->index;
  UNLOCK_RETURN(NVML_SUCCESS);
}

EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo(void *dev, nvmlMemory_t *mem) {
  LOCKED_DEVICE(dev);
  if (!mem) UNLOCK_RETURN(NVML_ERROR_INVALID_ARGUMENT);
  mem->total = (d->index % 2 ? 40ULL : 80ULL) << 30;
  mem->used = 1ULL << 20;
  mem->free = mem->total - mem->used;
  UNLOCK_RETURN(NVML_SUCCESS);
}

EXPORT nvmlReturn_t nvmlDeviceGetTotalEccErrors(void *dev, int errorType, int counterType, unsigned long long *count) {
  LOCKED_DEVICE(dev);
  (void)counterType;
  if (!count || errorType < 0 || errorType > 1) UNLOCK_RETURN(NVML_ERROR_INVALID_ARGUMENT);
  if (d->no_signals) UNLOCK_RETURN(NVML_ERROR_NOT_SUPPORTED);
  *count = errorType ? d->dbe_count : d->sbe_count;
  UNLOCK_RETURN(NVML_SUCCESS);
}

EXPORT nvmlReturn_t nvmlDeviceGetSupportedEventTypes(void *dev, unsigned long long *mask) {
  LOCKED_DEVICE(dev);
  if (!mask) UNLOCK_RETURN(NVML_ERROR_INVALID_ARGUMENT);
  *mask = SUPPORTED_EVENTS;
  UNLOCK_RETURN(NVML_SUCCESS);
}

EXPORT nvmlReturn_t nvmlEventSetCreate(void **out) {
  pthread_mutex_lock(&mu);
  if (!init_count) UNLOCK_RETURN(NVML_ERROR_UNINITIALIZED);
  if (!out) UNLOCK_RETURN(NVML_ERROR_INVALID_ARGUMENT);
  for (int s = 0; s < MAX_SETS; s++) {
    if (sets[s].live) continue;
    memset(&sets[s], 0, sizeof sets[s]);
    sets[s].live = 1;
    *out = &sets[s];
    UNLOCK_RETURN(NVML_SUCCESS);
  }
  UNLOCK_RETURN(NVML_ERROR_UNKNOWN);
}

static fake_set *set_locked(void *handle) {
  fake_set *s = handle;
  if (s < sets || s >= sets + MAX_SETS || !s->live) return NULL;
  return s;
}

EXPORT nvmlReturn_t nvmlDeviceRegisterEvents(void *dev, unsigned long long mask, void *set) {
  LOCKED_DEVICE(dev);
  fake_set *s = set_locked(set);
  if (!s) UNLOCK_RETURN(NVML_ERROR_INVALID_ARGUMENT);
  if (d->unsupported || (mask & ~SUPPORTED_EVENTS)) UNLOCK_RETURN(NVML_ERROR_NOT_SUPPORTED);
  s->mask[d->index] |= mask;
  UNLOCK_RETURN(NVML_SUCCESS);
}

EXPORT nvmlReturn_t nvmlEventSetFree(void *set) {
  pthread_mutex_lock(&mu);
  fake_set *s = set_locked(set);
  if (!s) UNLOCK_RETURN(NVML_ERROR_INVALID_ARGUMENT);
  s->live = 0;
  pthread_cond_broadcast(&event_cond);
  UNLOCK_RETURN(NVML_SUCCESS);
}

static nvmlReturn_t wait_common(void *set, nvmlEventData_t *data, unsigned timeout_ms, int v2) {
  pthread_mutex_lock(&mu);
  if (!init_count) UNLOCK_RETURN(NVML_ERROR_UNINITIALIZED);
  fake_set *s = set_locked(set);
  if (!s || !data) UNLOCK_RETURN(NVML_ERROR_INVALID_ARGUMENT);
  struct timespec deadline;
  deadline_after(&deadline, timeout_ms);
  unsigned generation = wake_generation;
  nvmlReturn_t rc;
  waiters++;
  wait_calls++;
  for (;;) {
    if (!s->live) { rc = NVML_ERROR_INVALID_ARGUMENT; break; }
    if (any_lost_locked()) { rc = NVML_ERROR_GPU_IS_LOST; break; }
    if (s->len) {
      fake_event e = s->queue[s->head];
      s->head = (s->head + 1) % QUEUE_CAP;
      s->len--;
      data->device = e.device;
      data->eventType = e.type;
      data->eventData = e.data;
      if (v2) {
        data->gpuInstanceId = 0xFFFFFFFFu;
        data->computeInstanceId = 0xFFFFFFFFu;
      }
      rc = NVML_SUCCESS;
      break;
    }
    if (generation != wake_generation) { rc = NVML_ERROR_TIMEOUT; break; }
    if (pthread_cond_timedwait(&event_cond, &mu, &deadline) == ETIMEDOUT && !s->len && !any_lost_locked()) {
      rc = NVML_ERROR_TIMEOUT;
      break;
    }
  }
  waiters--;
  UNLOCK_RETURN(rc);
}

/* Legacy: fills only device, eventType and eventData (24 bytes). */
EXPORT nvmlReturn_t nvmlEventSetWait(void *set, nvmlEventData_t *data, unsigned timeout_ms) {
  return wait_common(set, data, timeout_ms, 0);
}

#ifndef FAKE_OLD_DRIVER
EXPORT nvmlReturn_t nvmlEventSetWait_v2(void *set, nvmlEventData_t *data, unsigned timeout_ms) {
  return wait_common(set, data, timeout_ms, 1);
}
#endif

/* ---- in-process test hooks (not part of NVML) ---- */

/*
 * Configures the library without the environment (which is process-wide, shared by parallel
 * test workers). Call it before nvmlInit_v2, on a library copy of your own.
 */
EXPORT void fake_nvml_configure(int count, int init_error, const char *control) {
  stop_control_thread();
  pthread_mutex_lock(&mu);
  configure_with_locked(count, init_error, control);
  pthread_mutex_unlock(&mu);
}

#define HOOK_LOCKED(body) do { pthread_mutex_lock(&mu); configure_locked(); body; pthread_mutex_unlock(&mu); } while (0)

EXPORT void fake_nvml_inject_xid(unsigned index, unsigned long long xid) { HOOK_LOCKED(inject_locked(index, EVENT_XID, xid)); }
EXPORT void fake_nvml_inject_dbe(unsigned index) { HOOK_LOCKED(inject_locked(index, EVENT_DBE, 0)); }
EXPORT void fake_nvml_inject_sbe(unsigned index) { HOOK_LOCKED(inject_locked(index, EVENT_SBE, 0)); }
/* index -1: every GPU. */
EXPORT void fake_nvml_set_lost(int index, int lost) { HOOK_LOCKED(set_lost_locked(index, lost)); }
EXPORT void fake_nvml_set_unsupported(unsigned index) {
  HOOK_LOCKED(if (index < gpu_count) devices[index].unsupported = 1);
}
/* Applies one control command in-process, e.g. "remap 0 1 0". */
EXPORT void fake_nvml_command(const char *line) { HOOK_LOCKED(apply_command_locked(line)); }
EXPORT void fake_nvml_wake(void) { HOOK_LOCKED(wake_generation++; pthread_cond_broadcast(&event_cond)); }
EXPORT int fake_nvml_waiters(void) { int v; HOOK_LOCKED(v = waiters); return v; }
EXPORT double fake_nvml_wait_calls(void) { double v; HOOK_LOCKED(v = (double)wait_calls); return v; }
EXPORT int fake_nvml_init_count(void) { int v; HOOK_LOCKED(v = init_count); return v; }
EXPORT int fake_nvml_live_sets(void) {
  int v = 0;
  HOOK_LOCKED(for (int s = 0; s < MAX_SETS; s++) v += sets[s].live);
  return v;
}
