/**
 * The assembled server: what `src/main.ts` runs once the configuration is valid.
 *
 * @module
 */
export { serve } from "./serve.ts";
export { type Components, createComponents, type LifecycleFlags } from "./components.ts";
export { type Phase, ServerLifecycle } from "./lifecycle.ts";
