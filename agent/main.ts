/** Process entry of a remote agent (`node agent/main.ts …`); `meshprobe agent` runs the same. */
import { enableCompileCache } from 'node:module';

// Node's on-disk compile cache (as bin/meshprobe.js does): from the second start on, the modules
// below come already stripped of their types and compiled, which an idle agent's RSS shows
// (~13 MB less). Imported dynamically so that the cache is on before they load.
enableCompileCache();
const { runAgentCommand } = await import('./runtime/agent-command.ts');

process.exitCode = await runAgentCommand(process.argv.slice(2), process.env, {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
});
