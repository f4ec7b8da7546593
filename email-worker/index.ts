/**
 * The Cloudflare Email Worker (issue 7): mail to the routed address runs one command of the
 * shared grammar through the hub and gets a threaded reply. Settings: see EmailWorkerEnv.
 */
import { EmailMessage } from 'cloudflare:email';
import { handleEmail } from './handle-email.ts';
import type { EmailWorkerEnv, InboundEmail } from './handle-email.ts';

export default {
  async email(message: InboundEmail, env: EmailWorkerEnv): Promise<void> {
    try {
      const outcome = await handleEmail(message, env, { EmailMessage, now: () => Date.now() });
      // One line per message in the Worker's logs (wrangler tail).
      console.log(`meshprobe email from ${message.from}: ${JSON.stringify(outcome)}`);
    } catch (err) {
      // A failure here (parse error, reply refused) must not retry-loop the message.
      console.log(`meshprobe email from ${message.from} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  },
};
