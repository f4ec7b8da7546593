/** Process entry of a remote agent (`node agent/main.ts …`); `meshprobe agent` runs the same. */
import { runAgentCommand } from './runtime/agent-command.ts';

process.exitCode = await runAgentCommand(process.argv.slice(2), process.env, {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
});
