/**
 * Leaving a process without losing output. A pipe to a slow reader is asynchronous on Linux:
 * writes the pipe cannot take yet wait in the stream, and `process.exit()` would drop them.
 * The CLI and the launcher exit through here.
 */

/**
 * Resolves once everything written to `stream` so far has been handed to the kernel (or the
 * stream failed or was closed). Callbacks run in write order, so an empty write's callback runs
 * after every earlier write.
 */
export function drained(stream: NodeJS.WritableStream & { destroyed?: boolean; writableEnded?: boolean }): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return Promise.resolve();
  return new Promise((ok) => void stream.write('', () => ok()));
}

/** Exits with `code` once stdout and stderr have taken everything written to them. */
export async function exitWhenDrained(code: number): Promise<never> {
  process.exitCode = code;
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
}
