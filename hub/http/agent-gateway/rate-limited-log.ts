/**
 * A log that lets `burst` lines through, then one per `everyMs`, the next line saying how many
 * were left out: refusals an agent can cause at will must not fill the disk.
 */
export function rateLimitedLog(log: (line: string) => void, burst: number, everyMs: number): (line: string) => void {
  let tokens = burst;
  let last = Date.now();
  let dropped = 0;
  return (line) => {
    const now = Date.now();
    tokens = Math.min(burst, tokens + (now - last) / everyMs);
    last = now;
    if (tokens < 1) {
      dropped++;
      return;
    }
    tokens--;
    log(dropped > 0 ? `${line} (${dropped} similar lines left out)` : line);
    dropped = 0;
  };
}
