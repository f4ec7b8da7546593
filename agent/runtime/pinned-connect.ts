/**
 * One connection to an address already checked (agent/runtime/connect-check.ts), with the time
 * of each phase: the TCP handshake and, over TLS, the TLS handshake. Nothing here resolves a
 * name: the socket goes to the literal given, and a TLS server name is only the name sent in SNI
 * and checked against the certificate. Used by dns (DoT, DoH) and http, as undici's `connect`.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';

/** Where and how to connect. */
export interface PinnedTarget {
  /** The checked address literal. */
  address: string;
  port: number;
  /** TLS: the host name the certificate must name (the URL's host, the DoT server's name). */
  tls?: { serverName: string; alpn: string[]; insecure: boolean };
  signal?: AbortSignal;
}

/** The phases of one connection, ms since `t0` (performance.now()). */
export interface PinnedTimes {
  /** performance.now() when the connection was started. */
  start: number;
  /** performance.now() when TCP connected. */
  connected: number;
  /** performance.now() when TLS finished, or undefined over plain TCP. */
  secured?: number;
}

/** What a TLS session and the server's certificate were. */
export interface TlsDetails {
  protocol: string;
  cipher: string;
  alpn: string;
  subject: string;
  issuer: string;
  san: string[];
  validFrom: string;
  validTo: string;
  trusted: boolean;
  validForHost: boolean;
  problem?: string;
}

function dn(x: PeerCertificate['subject'] | undefined): string {
  if (!x || typeof x !== 'object') return '';
  return Object.entries(x).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`).join(', ');
}

/** The TLS details of a connected socket, checked against `serverName`. */
export function tlsDetails(s: TLSSocket, serverName: string): TlsDetails {
  const cert = s.getPeerCertificate();
  const identity = cert && Object.keys(cert).length ? checkServerIdentity(serverName, cert) : new Error('no certificate');
  // A name mismatch makes Node call the socket unauthorized too; the chain itself may be fine.
  const trusted = s.authorized || String(s.authorizationError) === 'ERR_TLS_CERT_ALTNAME_INVALID';
  const problem = !trusted ? `certificate not trusted: ${String(s.authorizationError ?? 'unknown reason')}` : identity ? `certificate not valid for ${serverName}: ${identity.message.split('\n')[0]}` : undefined;
  return {
    protocol: s.getProtocol() ?? '',
    cipher: s.getCipher()?.name ?? '',
    alpn: typeof s.alpnProtocol === 'string' ? s.alpnProtocol : '',
    subject: dn(cert?.subject),
    issuer: dn(cert?.issuer),
    san: (cert?.subjectaltname ?? '').split(/,\s*/).filter(Boolean).slice(0, 100),
    validFrom: cert?.valid_from ?? '',
    validTo: cert?.valid_to ?? '',
    trusted,
    validForHost: identity === undefined,
    ...(problem ? { problem } : {}),
  };
}

/**
 * Connects to `t`; resolves once TCP (and TLS) are up, with the phase times. Over TLS an
 * untrusted certificate, or one not valid for the server name, fails the connection unless
 * `insecure`, with the reason as the error's message.
 */
export function pinnedConnect(t: PinnedTarget): Promise<{ socket: Socket; times: PinnedTimes; tls?: TlsDetails }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const times: PinnedTimes = { start, connected: 0 };
    let socket: Socket;
    if (t.tls) {
      const sni = isIP(t.tls.serverName) ? undefined : t.tls.serverName;
      socket = tlsConnect({ host: t.address, port: t.port, ...(sni ? { servername: sni } : {}), ALPNProtocols: t.tls.alpn, rejectUnauthorized: false });
    } else {
      socket = tcpConnect({ host: t.address, port: t.port });
    }
    const fail = (err: Error): void => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onAbort = (): void => fail(Object.assign(new Error('cancelled'), { code: 'ABORT_ERR' }));
    const cleanup = (): void => {
      t.signal?.removeEventListener('abort', onAbort);
      socket.off('error', fail);
    };
    if (t.signal?.aborted) return onAbort();
    t.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', fail);
    socket.once('connect', () => {
      times.connected = performance.now();
      if (!t.tls) {
        cleanup();
        resolve({ socket, times });
      }
    });
    if (t.tls) {
      const tls = t.tls;
      socket.once('secureConnect', () => {
        times.secured = performance.now();
        // A TLS socket whose TCP 'connect' we did not see (a reused handle): the secure time bounds it.
        if (!times.connected) times.connected = times.secured;
        const details = tlsDetails(socket as TLSSocket, tls.serverName);
        if (!tls.insecure && details.problem) return fail(Object.assign(new Error(`${details.problem} (--insecure to go on)`), { code: 'CERT_REFUSED' }));
        cleanup();
        resolve({ socket, times, tls: details });
      });
    }
  });
}
