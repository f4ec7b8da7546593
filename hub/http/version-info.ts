/** This hub's version object, built once: `GET /v1/version` and `/v1/cli version` answer the same. */
import { versionInfo, type VersionInfo } from '../../shared/model/version.ts';

/** Name, version, API generation and runtime of the running hub. */
export const VERSION_INFO: VersionInfo = versionInfo(`node ${process.version}`);
