/**
 * The MCP endpoint as routes of the hub's server (the embedded default): plain objects of the
 * shape hub/http/route.ts's HubRoute has, so that mcp/ need not import the hub. They are `public`
 * because the endpoint checks tokens itself, to answer with the MCP-specific challenge.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { McpHttpHandler } from './http.ts';

/** A route in the hub's shape. */
export interface MountedRoute {
  name: string;
  methods: string[];
  path: string;
  public: true;
  handle(ctx: { req: IncomingMessage; res: ServerResponse }): Promise<void>;
}

/** The endpoint and its protected-resource metadata as hub routes. */
export function mcpHubRoutes(handler: McpHttpHandler): MountedRoute[] {
  return handler.paths.map((path) => ({
    name: path === handler.path ? 'mcp' : 'mcp-metadata',
    methods: path === handler.path ? ['GET', 'POST', 'DELETE', 'OPTIONS'] : ['GET', 'OPTIONS'],
    path,
    public: true,
    handle: ({ req, res }) => handler.handle(req, res),
  }));
}
