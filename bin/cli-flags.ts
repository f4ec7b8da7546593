/** The CLI's own flags, taken out of argv before the command grammar sees it. */

/** When the CLI writes ANSI colours: `auto` (a terminal, and NO_COLOR unset), `always`, `never`. */
export type ColourMode = 'auto' | 'always' | 'never';

/** `--hub`, `--token` and `--color`, and the words left for the grammar. */
export interface CliFlags {
  hub?: string;
  token?: string;
  color?: ColourMode;
  rest: string[];
}

/** Removes the CLI's own flags (`--hub URL`, `--token T`, `--color WHEN`, also `--hub=URL`) from argv. */
export function takeCliFlags(argv: readonly string[]): CliFlags {
  const out: CliFlags = { rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--(hub|token|color|colour)(?:=(.*))?$/.exec(a);
    if (!m) {
      out.rest.push(a);
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined || value === '') throw new Error(`--${m[1]} needs a value`);
    if (m[1] === 'color' || m[1] === 'colour') {
      if (value !== 'auto' && value !== 'always' && value !== 'never') throw new Error(`--color takes auto, always or never, not ${value}`);
      out.color = value;
    } else out[m[1] as 'hub' | 'token'] = value;
  }
  return out;
}

/** Whether to write colours: `always`/`never` as said; `auto` on a terminal unless NO_COLOR is set (no-color.org). */
export function useColour(mode: ColourMode | undefined, terminal: boolean, noColor: string | undefined): boolean {
  if (mode === 'always') return true;
  if (mode === 'never') return false;
  return terminal && !noColor;
}
