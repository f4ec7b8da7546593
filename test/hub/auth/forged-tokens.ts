/**
 * Builders of bad tokens for the auth tests, crafted for real (jose plus manual base64url), never
 * by toggling a flag in the code under test.
 */
import { createHmac, createPublicKey } from 'node:crypto';
import type { TokenService } from '../../../hub/auth/token-service.ts';

export const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** `alg: none` with the claims of a genuine admin token, empty signature. */
export function algNone(claims: Record<string, unknown>): string {
  return `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}.`;
}

/** HS256 tokens keyed with the hub's public key in every form an attacker might try. */
export function hs256WithPublicKey(service: TokenService, claims: Record<string, unknown>): string[] {
  const jwk = service.key.publicJwk;
  const pem = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x! }, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
  const keys: Array<string | Buffer> = [pem, Buffer.from(jwk.x!, 'base64url'), jwk.x!, JSON.stringify(jwk)];
  return keys.map((key) => {
    const signingInput = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: jwk.kid }))}.${b64url(JSON.stringify(claims))}`;
    return `${signingInput}.${createHmac('sha256', key).update(signingInput).digest('base64url')}`;
  });
}

/** A genuine token whose payload was edited (scope raised to admin), signature kept. */
export function tamperedPayload(token: string, change: Record<string, unknown>): string {
  const [h, p, s] = token.split('.');
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')) as Record<string, unknown>;
  return `${h}.${b64url(JSON.stringify({ ...claims, ...change }))}.${s}`;
}

/** The claims of a compact JWT (no verification). */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
