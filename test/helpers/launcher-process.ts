/**
 * Starts the embedded default (`bin/start.ts`, what `npm start` runs) as a real process on a free
 * loopback port with a temporary data directory, and reads the URL from its ready line.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The project's runtime (Node 24), as npm scripts use it. */
export const node24 = join(root, 'node_modules', '.bin', 'node');

export interface MainProcess {
  url: string;
  dataDir: string;
  /** Everything printed so far. */
  stdout(): string;
  stderr(): string;
  proc: ChildProcess;
  /** SIGTERM, wait for exit, remove the data directory. Returns the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startMain(env: Record<string, string> = {}): Promise<MainProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mp-main-'));
  const proc = spawn(node24, ['--disable-warning=ExperimentalWarning', join(root, 'bin', 'start.ts')], {
    cwd: root,
    // Anonymous use on: these tests are about measuring, not about tokens (the identity tests are).
    env: { ...process.env, MESHPROBE_LISTEN: '127.0.0.1:0', MESHPROBE_DATA_DIR: dataDir, MESHPROBE_ALLOW_ANONYMOUS: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((ok) => proc.once('exit', (code) => ok(code)));
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`hub did not print its URL within 15 s; stderr: ${err}`)), 15_000);
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`hub exited (${code}) before it was ready; stderr: ${err}`));
    });
  });
  return {
    url,
    dataDir,
    proc,
    stdout: () => out,
    stderr: () => err,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const code = await exited;
      await rm(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}
