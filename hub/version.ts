/**
 * The running meshprobe's name and version, read once from package.json so that the hub, the
 * CLI and `/v1/version` can never disagree.
 */
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };

/** Package name, `meshprobe`. */
export const NAME: string = pkg.name;
/** Package version, e.g. `0.1.0`. */
export const VERSION: string = pkg.version;
/** API generation of the HTTP routes and the event stream; bumped on an incompatible change. */
export const API_VERSION = 1;
/** The runtime, e.g. `node v24.21.0`. */
export const RUNTIME = `node ${process.version}`;
