/**
 * The running meshprobe's name and version, read once from package.json so that the hub, the
 * CLI and `/v1/version` can never disagree.
 */
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string };

/** Package name, `meshprobe`. */
export const NAME: string = pkg.name;
export { VERSION, API_VERSION } from '../shared/version.ts';
/** The runtime, e.g. `node v24.21.0`. */
export const RUNTIME = `node ${process.version}`;
