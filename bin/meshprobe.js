#!/usr/bin/env node
// The `meshprobe` command. Plain JavaScript so that any node can start it: the CLI itself is
// TypeScript run by Node's type stripping (>= 22.18). An older node (the system's v20, say)
// hands over to the runtime `npm install` put in node_modules.
import * as nodeModule from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [major, minor] = process.versions.node.split('.').map(Number);

if (major > 22 || (major === 22 && minor >= 18)) {
  // 22.18–23.x announce type stripping as experimental on every run; that line is noise here.
  const emitWarning = process.emitWarning;
  process.emitWarning = (warning, ...rest) => {
    const text = typeof warning === 'string' ? warning : warning?.message ?? '';
    if (/type stripping/i.test(text)) return;
    return emitWarning.call(process, warning, ...rest);
  };
  // Caches compiled modules, the TypeScript already stripped, on disk (in the system's temporary
  // directory, or NODE_COMPILE_CACHE): a warm start skips the type stripper, a WebAssembly module
  // that alone takes ~17 MB and ~40 ms, and V8's parse of every module. Best effort: it never fails.
  // (A namespace import: node 20, which takes the other branch, has no such export.)
  nodeModule.enableCompileCache?.();
  const { main } = await import('./cli.ts');
  await main();
} else {
  // No process.exit() here: the exit status is set and the process ends by itself once what it
  // wrote has gone out (stdout and stderr are the child's own; signal handlers do not hold it).
  const node = join(here, '..', 'node_modules', '.bin', 'node');
  if (!existsSync(node)) {
    process.stderr.write(`meshprobe: needs Node >= 22.18 (this is ${process.version}); run \`npm install\` in ${join(here, '..')} to fetch it\n`);
    process.exitCode = 2;
  } else {
    // Imported here, on this path only: a current node never needs it.
    const { spawn } = await import('node:child_process');
    const child = spawn(node, ['--disable-warning=ExperimentalWarning', join(here, 'cli.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
    // Signals are passed on. A terminal's Ctrl-C reaches the child twice (once from the process
    // group, once from us); the CLI treats two SIGINTs close together as one.
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
    child.on('error', (err) => {
      process.stderr.write(`meshprobe: cannot start ${node}: ${err.message}\n`);
      process.exitCode = 2;
    });
    child.on('exit', (code, signal) => {
      if (signal) {
        process.removeAllListeners(signal);
        process.kill(process.pid, signal);
      } else process.exitCode = code ?? 1;
    });
  }
}
