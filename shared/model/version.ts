/**
 * meshprobe's name and version, for code that cannot read package.json (shared/ runs in workerd
 * too, and agents announce it). A test keeps them equal to package.json's.
 */
/** Package name, `meshprobe`. */
export const NAME = 'meshprobe';
/** The release, as in package.json. */
export const VERSION = '0.1.0';
/** API generation of the HTTP routes, the event stream and the agent protocol; bumped on an incompatible change. */
export const API_VERSION = 1;

/** What `GET /v1/version`, `version --json` and the CLI's direct mode answer. */
export interface VersionInfo {
  name: string;
  version: string;
  api: number;
  /** The runtime, e.g. `node v24.21.0`. */
  runtime: string;
}

/** The version object for a process running on `runtime` (e.g. `node ${process.version}`, passed in: shared/ reads no process state). */
export function versionInfo(runtime: string): VersionInfo {
  return { name: NAME, version: VERSION, api: API_VERSION, runtime };
}
