/**
 * The hub's enrichment as the operator configured it (issue 16): the sources named by
 * MESHPROBE_ENRICH_SOURCES in that order, each present only when it has what it needs
 * (`mmdb`: MESHPROBE_MMDB files; `bgp`: a loaded MRT table; `bundled`: the @ip-location-db/asn
 * package installed; the online providers: their keys), behind one Enricher.
 */
import { ENRICH_SOURCES, type EnrichSource } from '../../shared/config/settings.ts';
import { BundledAsnSource, bundledAsnDirectory, BUNDLED_ASN_PACKAGE } from './bundled-asn-source.ts';
import { Enricher, specialRangeSource, type AddressInfoSource } from './enricher.ts';
import { MmdbSource } from './mmdb-source.ts';
import { ip2locationProvider, ipinfoProvider, ipregistryProvider, OnlineSource, type OnlineProvider, type OnlineSourceOptions } from './online-source.ts';


/** Options of {@link createEnrichment}. */
export interface EnrichmentOptions {
  /** Source names in order of preference. Default: all of {@link ENRICH_SOURCES} in that order. */
  order?: readonly EnrichSource[];
  /** `.mmdb` files, in order of preference (MESHPROBE_MMDB). */
  mmdb?: readonly string[];
  /** How often the mmdb files are checked for changes, ms (0 = never). Default 5000. */
  mmdbWatchIntervalMs?: number;
  /** The BGP table's source (hub/bgp/), when one is loaded. */
  bgp?: AddressInfoSource;
  /** The directory of the bundled ASN data. Default: the installed @ip-location-db/asn, if any. */
  bundledDirectory?: string | null;
  /** Keys of the online providers; a provider without a key is off. */
  ipinfoToken?: string;
  ip2locationKey?: string;
  ipregistryKey?: string;
  /** Base URLs of the providers (tests point them at a local server). */
  providerUrls?: { ipinfo?: string; ip2location?: string; ipregistry?: string };
  /** Cache, TTL, rate and deadline of each online provider. */
  online?: Omit<OnlineSourceOptions, 'onAnswer' | 'log'>;
  /** Size of the enricher's merged cache. Default 65,536. */
  cacheSize?: number;
  log?: (line: string) => void;
}

/** The enricher and what holds resources (file watchers). */
export interface Enrichment {
  enricher: Enricher;
  /** One line per source in use, for the launcher's banner and logs. */
  describe: string[];
  close(): void;
}

/**
 * Builds the sources; an `.mmdb` file that cannot be read throws (one line naming it): the
 * operator asked for it, so the hub does not start without it.
 */
export function createEnrichment(o: EnrichmentOptions = {}): Enrichment {
  const log = o.log ?? (() => {});
  const sources: AddressInfoSource[] = [];
  const closers: (() => void)[] = [];
  const describe: string[] = [];
  // The enricher is made after its sources; callbacks reach it through this.
  let enricher: Enricher | undefined;
  const onlineOptions = (): OnlineSourceOptions => ({ ...o.online, onAnswer: (a) => enricher?.forget(a), log });
  const online = (p: OnlineProvider) => {
    sources.push(new OnlineSource(p, onlineOptions()));
    describe.push(`${p.name} (online, cached)`);
  };
  try {
    for (const name of o.order ?? ENRICH_SOURCES) {
      switch (name) {
        case 'labels':
          sources.push(specialRangeSource);
          break;
        case 'mmdb':
          for (const path of o.mmdb ?? []) {
            const s = new MmdbSource(path, { watchIntervalMs: o.mmdbWatchIntervalMs ?? 5000, log, onReload: () => enricher?.clear() });
            closers.push(() => s.close());
            sources.push(s);
            describe.push(`${path} (${s.databaseType})`);
          }
          break;
        case 'bgp':
          if (o.bgp) sources.push(o.bgp);
          break;
        case 'bundled': {
          const dir = o.bundledDirectory === undefined ? bundledAsnDirectory() : o.bundledDirectory;
          if (dir) {
            sources.push(new BundledAsnSource(dir, (err) => (err ? log(`enrich: the bundled ASN data cannot be read: ${err}`) : enricher?.clear())));
            describe.push(`${BUNDLED_ASN_PACKAGE} (bundled, ASN only)`);
          }
          break;
        }
        case 'ipinfo':
          if (o.ipinfoToken) online(ipinfoProvider(o.ipinfoToken, o.providerUrls?.ipinfo));
          break;
        case 'ip2location':
          if (o.ip2locationKey) online(ip2locationProvider(o.ip2locationKey, o.providerUrls?.ip2location));
          break;
        case 'ipregistry':
          if (o.ipregistryKey) online(ipregistryProvider(o.ipregistryKey, o.providerUrls?.ipregistry));
          break;
      }
    }
  } catch (err) {
    for (const c of closers) c();
    throw err;
  }
  enricher = new Enricher({ sources, ...(o.cacheSize !== undefined ? { cacheSize: o.cacheSize } : {}) });
  return {
    enricher,
    describe,
    close: () => {
      for (const c of closers) c();
    },
  };
}
