/**
 * The assembled server: what `src/main.ts` runs once the configuration is valid.
 *
 * @module
 */
export { serve } from "./serve.ts";
