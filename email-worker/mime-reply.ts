/**
 * Writes a {@link ReplyContent} as raw MIME with mimetext: multipart/alternative (text, then
 * HTML), UTF-8, base64 bodies so no line ever exceeds SMTP's 998 octets whatever the renderers
 * produce. Runtime-neutral (mimetext's browser build has no Node dependencies).
 */
import { createMimeMessage } from 'mimetext/browser';
import type { ReplyContent } from '../shared/email/email-reply.ts';

/** Envelope of the reply. */
export interface MimeReplyAddresses {
  /** Our address (the one the command was sent to). */
  from: string;
  /** Display name next to `from`. Default "meshprobe". */
  fromName?: string;
  /** The sender of the command. */
  to: string;
  /** A unique id for the Message-ID, e.g. crypto.randomUUID(). */
  id: string;
}

/** The raw reply message (CRLF line ends). */
export function mimeReply(reply: ReplyContent, addresses: MimeReplyAddresses): string {
  const msg = createMimeMessage();
  msg.setSender({ name: addresses.fromName ?? 'meshprobe', addr: addresses.from });
  msg.setRecipient(addresses.to);
  msg.setSubject(reply.subject);
  const domain = addresses.from.slice(addresses.from.lastIndexOf('@') + 1) || 'meshprobe.invalid';
  msg.setHeader('Message-ID', `<${addresses.id}@${domain}>`);
  if (reply.inReplyTo) msg.setHeader('In-Reply-To', reply.inReplyTo);
  if (reply.references) msg.setHeader('References', reply.references);
  for (const [k, v] of Object.entries(reply.headers)) msg.setHeader(k, v);
  msg.addMessage({ contentType: 'text/plain', encoding: 'base64', data: base64Lines(reply.text) });
  msg.addMessage({ contentType: 'text/html', encoding: 'base64', data: base64Lines(reply.html) });
  // Pictures the HTML shows by cid: inline parts (mimetext then writes multipart/related).
  for (const img of reply.images ?? []) {
    msg.addAttachment({ inline: true, filename: img.filename, contentType: img.contentType, data: base64Bytes(img.data), headers: { 'Content-ID': `<${img.cid}>` } });
  }
  return msg.asRaw();
}

/** UTF-8 → base64 in 76-character lines (RFC 2045 §6.8), without Buffer. */
export function base64Lines(text: string): string {
  return base64Bytes(new TextEncoder().encode(text));
}

/** Bytes → base64 in 76-character lines (RFC 2045 §6.8), without Buffer. */
export function base64Bytes(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  const b64 = btoa(bin);
  return b64.replace(/.{76}/g, '$&\r\n').replace(/\r\n$/, '');
}
