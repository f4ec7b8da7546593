/**
 * `ws` loads node:tls and node:https when it is loaded, though only a wss:// connection uses
 * them; with them an idle remote agent dialling ws:// holds ~3 MB more. This resolve hook gives
 * the modules of `ws` (and no other) stand-ins that load the real module on first use
 * (agent/runtime/deferred/). agent-command.ts calls it before it loads the runtime and `ws`; a
 * node without synchronous module hooks simply loads them as before.
 */
import * as nodeModule from 'node:module';

const DEFERRED = new Set(['tls', 'https', 'node:tls', 'node:https']);

/** Installs the hook, once per process. */
export function deferWsTls(): void {
  if (installed || typeof nodeModule.registerHooks !== 'function') return;
  installed = true;
  nodeModule.registerHooks({
    resolve(specifier, context, nextResolve) {
      if (DEFERRED.has(specifier) && context.parentURL?.includes('/node_modules/ws/')) {
        return { url: new URL(`./deferred/${specifier.replace('node:', '')}.cjs`, import.meta.url).href, format: 'commonjs', shortCircuit: true };
      }
      return nextResolve(specifier, context);
    },
  });
}
let installed = false;
