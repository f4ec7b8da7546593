/**
 * `npm run build:web` (also the `prepare` script of `npm install`): bundles the page into
 * web/dist/ so that a hub installed without devDependencies (no esbuild) still serves it.
 */
import { writeWebDist } from './web-assets.ts';

const files = await writeWebDist();
process.stdout.write(`web/dist: ${files.join(', ')}\n`);
