/**
 * Loads the agent's native addon (agent/native: raw sockets in raw_socket.c, echo sets in
 * echo_set.c) once; each wrapper (raw-socket.ts, echo-set.ts) declares the part it uses.
 */
import { createRequire } from 'node:module';
import { ErrorCode, MeshprobeError } from '../../shared/model/errors.ts';

let addon: unknown;
let loadError: Error | undefined;

/** The addon's exports; throws a one-line reason when it is not built. */
export function nativeAddon(): unknown {
  if (addon) return addon;
  if (loadError) throw loadError;
  try {
    addon = createRequire(import.meta.url)('../native/build/Release/meshprobe_raw.node');
    return addon;
  } catch (err) {
    loadError = new MeshprobeError(ErrorCode.Internal, 'the raw-socket addon is not built: run `npm install` (it needs a C compiler and python3 for node-gyp)', { cause: err });
    throw loadError;
  }
}
