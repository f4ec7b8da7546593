/**
 * Runs a Python program (an independent implementation of a wire format, written in the test from
 * the format's description, importing nothing of ours) and reads its stdout line by line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface PythonPeer {
  child: ChildProcess;
  /** The next stdout line (rejects after `timeoutMs` or when the program exits first). */
  line(timeoutMs?: number): Promise<string>;
  /** Every stderr line so far (for failure messages). */
  stderr: string[];
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  kill(): Promise<void>;
}

/** Starts `python3 -u -c program args…`. */
export function startPython(program: string, args: string[] = []): PythonPeer {
  const child = spawn('python3', ['-u', '-c', program, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const queue: string[] = [];
  const waiting: ((l: string | undefined) => void)[] = [];
  let ended = false;
  createInterface({ input: child.stdout! }).on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else queue.push(l);
  });
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      ended = true;
      for (const w of waiting.splice(0)) w(undefined);
      resolve(code);
    }),
  );
  return {
    child,
    stderr,
    exited,
    line(timeoutMs = 10_000) {
      const l = queue.shift();
      if (l !== undefined) return Promise.resolve(l);
      if (ended) return Promise.reject(new Error(`python exited; stderr: ${stderr.join(' | ')}`));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line from python within ${timeoutMs} ms; stderr: ${stderr.join(' | ')}`)), timeoutMs);
        waiting.push((x) => {
          clearTimeout(timer);
          if (x === undefined) reject(new Error(`python exited; stderr: ${stderr.join(' | ')}`));
          else resolve(x);
        });
      });
    },
    async kill() {
      if (!ended) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
