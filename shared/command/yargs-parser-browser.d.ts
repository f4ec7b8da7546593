/**
 * Types for yargs-parser's browser build (the package ships none for it). The browser build is
 * the same parser without the `fs`/`path`/`util` imports, so it runs in workerd as well as Node.
 */
declare module 'yargs-parser/browser' {
  import type { Parser } from 'yargs-parser';
  const yargsParser: Parser;
  export default yargsParser;
}
