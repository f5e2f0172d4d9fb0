import { Temporal as Polyfill } from "@js-temporal/polyfill";

/**
 * Node has no global Temporal yet; Fedify's types name the standard one. This is the
 * polyfill, typed as the standard so that values pass to Fedify as they are.
 */
export const Temporal = Polyfill as unknown as typeof globalThis.Temporal;
