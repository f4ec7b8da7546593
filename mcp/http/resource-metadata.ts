/** The OAuth protected-resource metadata of the MCP endpoint (RFC 9728). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BearerVerifier } from '../auth.ts';
import { json } from './json-reply.ts';

/** Where RFC 9728 metadata lives: here, and here + the endpoint's path. */
export const PRM_PATH = '/.well-known/oauth-protected-resource';

/** What the metadata describes. */
export interface ResourceMetadataOptions {
  /** The endpoint's path (e.g. /mcp). */
  path: string;
  /** The URL clients use to reach this server, when configured. */
  publicUrl?: string | undefined;
  verifier?: BearerVerifier | undefined;
}

/** The server's base URL: `publicUrl`, else http:// + the (already checked) Host header. */
export function baseUrl(req: IncomingMessage, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  return `http://${req.headers.host ?? 'localhost'}`;
}

/** The metadata document's URL, for the WWW-Authenticate challenge. */
export function resourceMetadataUrl(req: IncomingMessage, o: ResourceMetadataOptions): string {
  return baseUrl(req, o.publicUrl) + PRM_PATH + o.path;
}

/** Answers GET/HEAD with the metadata document. */
export function serveResourceMetadata(req: IncomingMessage, res: ServerResponse, o: ResourceMetadataOptions): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return json(res, 405, { error: 'method_not_allowed' });
  }
  const v = o.verifier;
  const doc: Record<string, unknown> = {
    resource: baseUrl(req, o.publicUrl) + o.path,
    bearer_methods_supported: ['header'],
    resource_name: 'meshprobe MCP server',
    scopes_supported: [v?.requiredScope ?? 'measure'],
  };
  if (v && /^https?:\/\//.test(v.issuer)) doc.authorization_servers = [v.issuer];
  if (!res.hasHeader('Access-Control-Allow-Origin')) res.setHeader('Access-Control-Allow-Origin', '*');
  json(res, 200, doc);
}
