/**
 * The hub's Ed25519 signing key (design §8): created on first start in the data directory and
 * reused afterwards, so tokens survive restarts and agents keep working. The private JWK file is
 * created with mode 0600 and exclusive-create, so two processes starting at once (hub and
 * `meshprobe token create`) end up with the same key rather than overwriting each other's.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { ErrorCode, MeshprobeError, StateWriteError } from '../../shared/model/errors.ts';
import { writeFileAtomic } from './durable-file.ts';

/** The only JWS algorithm the hub signs with and accepts. */
export const SIGNING_ALG = 'EdDSA';

/** File name of the private key inside the data directory. */
export const SIGNING_KEY_FILE = 'signing-key.jwk';

export interface SigningKey {
  /** Key id: the RFC 7638 thumbprint of the public key; also the JWT header `kid`. */
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public half as published in the JWKS (kid, alg, use set). */
  publicJwk: JWK;
}

/** Loads the signing key from `dataDir`, creating the directory and the key when missing. */
export async function loadOrCreateSigningKey(dataDir: string): Promise<SigningKey> {
  const file = join(dataDir, SIGNING_KEY_FILE);
  const existing = await readKeyFile(file);
  if (existing) return fromPrivateJwk(existing, file);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  const stored: JWK = { ...jwk, kid, alg: SIGNING_ALG, use: 'sig' };
  try {
    // Written whole and fsynced under a temporary name, then linked into place: a crash or a
    // full disk never leaves an empty or half-written key that a restart would refuse.
    await writeFileAtomic(file, JSON.stringify(stored) + '\n', { mode: 0o600, exclusive: true });
  } catch (err) {
    // Someone else created it between our read and our write: use theirs.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new StateWriteError(`the signing key in ${dataDir}`, err);
    const theirs = await readKeyFile(file);
    if (!theirs) throw new MeshprobeError(ErrorCode.Internal, `the signing key ${file} is empty`);
    return fromPrivateJwk(theirs, file);
  }
  return fromPrivateJwk(stored, file);
}

async function readKeyFile(file: string): Promise<JWK | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MeshprobeError(ErrorCode.Internal, `cannot read the signing key ${file}: ${(err as Error).message}`, { cause: err });
  }
  // A writer that has created the file but not yet written it: give it a moment.
  for (let i = 0; text.trim() === '' && i < 50; i++) {
    await new Promise((r) => setTimeout(r, 20));
    text = await readFile(file, 'utf8');
  }
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as JWK;
  } catch {
    throw new MeshprobeError(ErrorCode.Internal, `the signing key ${file} is not valid JSON; move it away to create a new key`);
  }
}

async function fromPrivateJwk(jwk: JWK, file: string): Promise<SigningKey> {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string') {
    throw new MeshprobeError(ErrorCode.Internal, `the signing key ${file} is not an Ed25519 private JWK`);
  }
  const kid = jwk.kid ?? (await calculateJwkThumbprint(jwk));
  const privateKey = (await importJWK({ ...jwk, alg: SIGNING_ALG }, SIGNING_ALG)) as CryptoKey;
  const { d: _d, ...pub } = jwk;
  const publicJwk: JWK = { kty: pub.kty, crv: pub.crv, x: pub.x, kid, alg: SIGNING_ALG, use: 'sig' };
  const publicKey = (await importJWK(publicJwk, SIGNING_ALG)) as CryptoKey;
  return { kid, privateKey, publicKey, publicJwk };
}
