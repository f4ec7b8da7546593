import { formatMs3 } from './format.ts';

/** RTTs with three decimals, as the statistics block of every front-end prints them; '-' when absent. */
export function fmtMs(n: number | null | undefined): string {
  return n === null || n === undefined ? '-' : formatMs3(n);
}
