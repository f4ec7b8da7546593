/**
 * The agent's token file (`meshprobe agent --token-file PATH`): read at start, rewritten with
 * each token the hub renews, so that a restart dials with the latest one. Written atomically: a
 * temporary file in the same directory (mode 0600), fsync, rename over the old one, fsync of the
 * directory. A crash at any point leaves either the old token or the new one, never a torn file.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MAX_TOKEN_CHARS } from '../../shared/wire/agent-protocol-constants.ts';

/** Reads the token (first line, trimmed). Throws an Error with a one-line reason. */
export async function readTokenFile(path: string): Promise<string> {
  let text: string;
  try {
    const file = await open(path, 'r');
    try {
      // Read a bounded amount: a token file is one line.
      const buf = Buffer.alloc(MAX_TOKEN_CHARS + 2);
      const { bytesRead } = await file.read(buf, 0, buf.length, 0);
      text = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await file.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read the token file ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message}`);
  }
  const token = text.split('\n')[0]!.trim();
  if (!token) throw new Error(`the token file ${path} is empty (meshprobe token create --sub agent:NAME --scope agent --ttl 30d > ${path})`);
  if (token.length > MAX_TOKEN_CHARS) throw new Error(`the token file ${path} holds more than ${MAX_TOKEN_CHARS} characters on its first line; not a token`);
  return token;
}

/** Replaces the file's content with `token` atomically (see above). Rejects with the I/O error. */
export async function writeTokenFile(path: string, token: string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const file = await open(tmp, 'wx', 0o600);
  try {
    try {
      await file.writeFile(token + '\n', 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  // The rename is durable once the directory is.
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

