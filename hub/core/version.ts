/**
 * The running meshprobe's name and version, read once from package.json so that the hub, the
 * CLI and `/v1/version` can never disagree.
 */
import { readFileSync } from 'node:fs';
import { API_VERSION, VERSION } from '../../shared/model/version.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string };

/** Package name, `meshprobe`. */
export const NAME: string = pkg.name;
export { VERSION, API_VERSION };
/** The runtime, e.g. `node v24.21.0`. */
export const RUNTIME = `node ${process.version}`;

/** What `GET /v1/version`, `version --json` and the CLI's direct mode answer: one object, built once. */
export const VERSION_INFO: { name: string; version: string; api: number; runtime: string } = { name: NAME, version: VERSION, api: API_VERSION, runtime: RUNTIME };
