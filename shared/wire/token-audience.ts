/**
 * The `iss` and `aud` a hub writes into its tokens unless the deployment sets
 * MESHPROBE_TOKEN_ISSUER / MESHPROBE_TOKEN_AUDIENCE. Defined once here because the hub mints with
 * them and the MCP server (which may not import hub/) verifies with them: two copies could drift
 * and every token would then be refused.
 */

/** The default `iss` claim of a hub's tokens. */
export const DEFAULT_TOKEN_ISSUER = 'urn:meshprobe:hub';

/** The default `aud` claim of a hub's tokens. */
export const DEFAULT_TOKEN_AUDIENCE = 'urn:meshprobe:api';
