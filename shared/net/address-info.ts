/**
 * What meshprobe knows about one address beyond the address itself (issue 16): its network (ASN,
 * AS name), its place (country, city, coordinates), a special-range label, and the covering BGP
 * prefix and origin AS from a loaded routing table. Every field is optional: a source fills in
 * what it has. The hub adds it to events (hop responders, a start's target); agents never do.
 */
import { z } from 'zod';

/** Enrichment of one address. */
export interface AddressInfo {
  /** Autonomous system number announcing the address. */
  asn?: number;
  /** The AS's name or organisation. */
  asName?: string;
  /** ISO 3166-1 alpha-2 country code. */
  country?: string;
  city?: string;
  /** Coordinates in degrees, when the data has them. */
  lat?: number;
  lon?: number;
  /** A special-range label (`RFC1918`, `CGNAT`, `DN42`, `ULA`, …): shared/net/special-ranges.ts. */
  label?: string;
  /** The covering prefix of the loaded BGP table (MRT), e.g. `198.18.0.0/15`. */
  prefix?: string;
  /** The origin AS of that prefix in the loaded BGP table. */
  originAsn?: number;
}

const asn = () => z.number().int().min(0).max(4_294_967_295);

/** The schema of {@link AddressInfo} on the wire: bounded strings and numbers. */
export const AddressInfoSchema = z.object({
  asn: asn().optional(),
  asName: z.string().max(128).optional(),
  country: z.string().max(8).optional(),
  city: z.string().max(128).optional(),
  lat: z.number().min(-90).max(90).optional(),
  lon: z.number().min(-180).max(180).optional(),
  label: z.string().max(32).optional(),
  prefix: z.string().max(64).optional(),
  originAsn: asn().optional(),
});

/**
 * `v` as a well-formed AddressInfo (renderers' floor, like shared/model/event-guard.ts), or
 * undefined when it holds nothing usable. Never throws.
 */
export function saneAddressInfo(v: unknown): AddressInfo | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const out: AddressInfo = {};
  const int = (x: unknown) => (typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 4_294_967_295 ? x : undefined);
  const text = (x: unknown, max: number) => (typeof x === 'string' && x !== '' ? x.slice(0, max).replace(/[\u0000-\u001f\u007f]/g, ' ') : undefined);
  const deg = (x: unknown, lim: number) => (typeof x === 'number' && Number.isFinite(x) && Math.abs(x) <= lim ? x : undefined);
  const set = <K extends keyof AddressInfo>(k: K, x: AddressInfo[K] | undefined) => {
    if (x !== undefined) out[k] = x;
  };
  set('asn', int(o['asn']));
  set('asName', text(o['asName'], 128));
  set('country', text(o['country'], 8));
  set('city', text(o['city'], 128));
  set('lat', deg(o['lat'], 90));
  set('lon', deg(o['lon'], 180));
  set('label', text(o['label'], 32));
  set('prefix', text(o['prefix'], 64));
  set('originAsn', int(o['originAsn']));
  return Object.keys(out).length ? out : undefined;
}

/**
 * The compact one-word-or-two form chat lines use: `AS64500 DE` or the label (`RFC1918`); the
 * AS of the BGP table when no database named one. Empty when nothing is known.
 */
export function compactInfo(i: AddressInfo | undefined): string {
  if (!i) return '';
  if (i.label && i.asn === undefined && i.originAsn === undefined) return i.label;
  const as = i.asn ?? i.originAsn;
  return [as !== undefined ? `AS${as}` : '', i.country ?? ''].filter(Boolean).join(' ');
}

/**
 * The network of an address in at most `width` columns for a phone line: `AS64500 Example Net`
 * (the organisation cut with `…` to fit; the country instead when no name is known), or `''`
 * when no AS is known (a special-range label alone is left to the Details view).
 */
export function compactAsLine(i: AddressInfo | undefined, width: number): string {
  const as = i?.asn ?? i?.originAsn;
  if (!i || as === undefined) return '';
  const head = `AS${as}`;
  const org = i.asn !== undefined ? i.asName : undefined;
  const rest = org ?? i.country;
  if (!rest || head.length + 2 > width) return head.slice(0, width);
  const room = width - head.length - 1;
  return `${head} ${rest.length <= room ? rest : `${rest.slice(0, room - 1).trimEnd()}…`}`;
}
