// Types of the workerd module the Email Worker replies with. @cloudflare/workers-types is not a
// dependency; these are the few members used, as documented for Email Workers.
declare module 'cloudflare:email' {
  /** A message to send (`message.reply`, `send_email` bindings): envelope from/to and raw MIME. */
  export class EmailMessage {
    constructor(from: string, to: string, raw: ReadableStream | string);
    readonly from: string;
    readonly to: string;
  }
}
