/**
 * A protocol an agent can answer for others (an echo responder): what `meshprobe agent --serve`
 * and `meshprobe echo-server` start. Each is declared in its measurement type's folder and
 * listed by agent/probes/registry.ts (`serve`), so these commands name no type themselves.
 */
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { ListenAddress } from '../../shared/net/listen-address.ts';

/** One socket a served protocol listens on. */
export interface ServedListener {
  /** The echo-server flag that sets its address (`--NAME [ADDR:]PORT`). */
  flag: string;
  transport: 'tcp' | 'udp';
  /** The port of the tool it stands in for. */
  defaultPort: number;
  /** One line for the usage text. */
  help: string;
}

/** What {@link ServedProtocol.start} is given. */
export interface ServeOptions {
  /** This responder's name, where the protocol carries one (latency-monitor's SOURCE). */
  name: string;
  /** Where the protocol registers its counters, when metrics are served. */
  registry?: Registry;
}

/** A served protocol running. */
export interface RunningServer {
  /** The bound addresses, in listener order (undefined: that listener was not asked for). */
  readonly addresses: readonly (AddressInfo | undefined)[];
  close(): Promise<void>;
}

/** A protocol an agent can serve. */
export interface ServedProtocol {
  /** The word of `--serve NAME[:PORT[/PORT]]`. */
  readonly name: string;
  readonly listeners: readonly ServedListener[];
  /** Starts it on `addresses`, one per listener, in order. */
  start(addresses: readonly ListenAddress[], o: ServeOptions): Promise<RunningServer>;
}
