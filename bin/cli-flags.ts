/** The CLI's own flags, taken out of argv before the command grammar sees it. */

/** `--hub` and `--token`, and the words left for the grammar. */
export interface CliFlags {
  hub?: string;
  token?: string;
  rest: string[];
}

/** Removes the CLI's own flags (`--hub URL`, `--token T`, also `--hub=URL`) from argv. */
export function takeCliFlags(argv: readonly string[]): CliFlags {
  const out: CliFlags = { rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--(hub|token)(?:=(.*))?$/.exec(a);
    if (!m) {
      out.rest.push(a);
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined || value === '') throw new Error(`--${m[1]} needs a value`);
    out[m[1] as 'hub' | 'token'] = value;
  }
  return out;
}
