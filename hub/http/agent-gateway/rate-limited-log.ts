/**
 * A log that lets `burst` lines through, then one per `everyMs`, the next line saying how many
 * were left out: refusals an agent can cause at will must not fill the disk.
 */
import { TokenBuckets } from '../../../shared/model/token-buckets.ts';

export function rateLimitedLog(log: (line: string) => void, burst: number, everyMs: number): (line: string) => void {
  const bucket = new TokenBuckets({ burst, refillPerS: 1000 / everyMs, maxKeys: 1 });
  let dropped = 0;
  return (line) => {
    if (!bucket.take('log', Date.now()).ok) {
      dropped++;
      return;
    }
    log(dropped > 0 ? `${line} (${dropped} similar lines left out)` : line);
    dropped = 0;
  };
}
