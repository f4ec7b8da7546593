/**
 * One-line MP_ERR_STORE reasons for what SQLite and the file system report about the store's
 * file: what happened and what the operator does about it, never a stack trace.
 */
import { ErrorCode, MeshprobeError } from '../../shared/model/errors.ts';

/** SQLite's primary result codes the store tells apart (sqlite3.h). */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;

/** `err` (thrown while `doing`, on `file`) as a MeshprobeError with MP_ERR_STORE; MeshprobeErrors pass through. */
export function storeError(file: string, doing: string, err: unknown): MeshprobeError {
  if (err instanceof MeshprobeError) return err;
  const e = err as { errcode?: unknown; errstr?: unknown; code?: unknown; message?: unknown };
  const detail = oneLine(typeof e?.errstr === 'string' ? e.errstr : typeof e?.message === 'string' ? e.message : String(err));
  const reason = (text: string) => new MeshprobeError(ErrorCode.Store, `store ${file}: ${text}`, { cause: err });
  if (typeof e?.errcode === 'number') {
    switch (e.errcode & 0xff) {
      case SQLITE_NOTADB:
      case SQLITE_CORRUPT:
        return reason(`corrupt or not a SQLite database (${detail}) while ${doing}: move it aside to start afresh, or restore a backup`);
      case SQLITE_READONLY:
        return reason(`read-only (${detail}) while ${doing}: make the file and its directory writable by the hub`);
      case SQLITE_CANTOPEN:
        return reason(`cannot open (${detail}) while ${doing}: check that the data directory exists and is writable`);
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return reason(`locked by another process (${detail}) while ${doing}: stop the other hub using this data directory`);
      case SQLITE_FULL:
        return reason(`disk full while ${doing}: nothing was stored; free space and it is retried`);
      case SQLITE_IOERR:
        return reason(`I/O error (${detail}) while ${doing}: check the disk`);
    }
  }
  switch (e?.code) {
    case 'EROFS':
    case 'EACCES':
    case 'EPERM':
      return reason(`not writable (${e.code}) while ${doing}: make the data directory writable by the hub`);
    case 'ENOSPC':
      return reason(`disk full while ${doing}: free space and it is retried`);
  }
  return reason(`${doing} failed: ${detail}`);
}

function oneLine(text: string): string {
  const line = text.split('\n')[0]!.trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
