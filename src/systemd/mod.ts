/**
 * systemd integration for bare-metal hosts: the sd_notify protocol (READY, STOPPING, STATUS,
 * watchdog) over `$NOTIFY_SOCKET`, without native addons.
 *
 * @module
 */
export { createNotifier, type Notifier } from "./notify.ts";
export {
  NOTIFY_ENV_NAMES,
  type NotifyEnv,
  type NotifyPlan,
  planNotify,
  SENDER_SOCKET_NAME,
} from "./notify_env.ts";
export { readNotifyEnv } from "./read_env.ts";
