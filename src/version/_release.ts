import denoJson from "../../deno.json" with { type: "json" };

/** Release version of this server, read from deno.json so there is one place to bump it. */
export const VERSION: string = denoJson.version;
