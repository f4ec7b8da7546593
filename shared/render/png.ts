/**
 * A pure PNG encoder (PNG spec, ISO/IEC 15948) for the pictures every front-end sends: the sweep
 * bitmap and picture, path pictures, heatmaps. Runtime-neutral: the compressor is passed
 * in (node:zlib's deflateSync in Node, a CompressionStream in workerd), so that shared/ needs no
 * Node built-in; without one the image data is stored uncompressed (valid, only larger).
 *
 * Images of at most 256 colours (every picture meshprobe draws) are written as 8-bit palette
 * images, a third of the RGB size before compression; others as 8-bit RGB. Alpha is dropped.
 */
import type { RgbaBitmap } from './sweep-bitmap.ts';

/** A zlib (RFC 1950) compressor: `deflateSync` of node:zlib fits. */
export type ZlibDeflate = (data: Uint8Array) => Uint8Array;

/** Options of {@link encodePng}. */
export interface EncodePngOptions {
  /** The zlib compressor. Default: none (stored blocks, uncompressed). */
  deflate?: ZlibDeflate;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Encodes an RGBA bitmap as PNG bytes. */
export function encodePng(image: RgbaBitmap, options: EncodePngOptions = {}): Uint8Array {
  const { head, raw } = pngParts(image);
  return assemble(head, options.deflate ? options.deflate(raw) : storedZlib(raw));
}

/**
 * {@link encodePng} with an asynchronous compressor, e.g. workerd's
 * `new CompressionStream('deflate')` (whose output is a zlib stream).
 */
export async function encodePngAsync(image: RgbaBitmap, deflate: (data: Uint8Array) => Promise<Uint8Array>): Promise<Uint8Array> {
  const { head, raw } = pngParts(image);
  return assemble(head, await deflate(raw));
}

/** The chunks before IDAT and the filtered scanlines to compress. */
function pngParts(image: RgbaBitmap): { head: Uint8Array[]; raw: Uint8Array } {
  const { width, height, rgba } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`a PNG is at least 1×1 pixels, not ${width}×${height}`);
  if (rgba.length < width * height * 4) throw new RangeError(`${width}×${height} pixels need ${width * height * 4} bytes, got ${rgba.length}`);
  const palette = paletteOf(rgba, width * height);
  const chunks: Uint8Array[] = [];
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = palette ? 3 : 2; // colour type: palette or RGB
  chunks.push(chunk('IHDR', ihdr));
  let raw: Uint8Array;
  if (palette) {
    const plte = new Uint8Array(palette.colours.length * 3);
    palette.colours.forEach((c, i) => {
      plte[i * 3] = (c >>> 16) & 255;
      plte[i * 3 + 1] = (c >>> 8) & 255;
      plte[i * 3 + 2] = c & 255;
    });
    chunks.push(chunk('PLTE', plte));
    raw = new Uint8Array(height * (width + 1));
    for (let y = 0; y < height; y++) {
      raw[y * (width + 1)] = 0; // filter: none
      raw.set(palette.indices.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
    }
  } else {
    const stride = width * 3 + 1;
    raw = new Uint8Array(height * stride);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const s = (y * width + x) * 4;
        const d = y * stride + 1 + x * 3;
        raw[d] = rgba[s]!;
        raw[d + 1] = rgba[s + 1]!;
        raw[d + 2] = rgba[s + 2]!;
      }
    }
  }
  return { head: chunks, raw };
}

function assemble(head: Uint8Array[], idat: Uint8Array): Uint8Array {
  const chunks = [...head, chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))];
  const total = SIGNATURE.length + chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  out.set(SIGNATURE, 0);
  let o = SIGNATURE.length;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** The palette and per-pixel indices when the image has at most 256 colours; undefined otherwise. */
function paletteOf(rgba: Uint8Array, pixels: number): { colours: number[]; indices: Uint8Array } | undefined {
  const index = new Map<number, number>();
  const colours: number[] = [];
  const indices = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) {
    const c = (rgba[i * 4]! << 16) | (rgba[i * 4 + 1]! << 8) | rgba[i * 4 + 2]!;
    let k = index.get(c);
    if (k === undefined) {
      if (colours.length === 256) return undefined;
      k = colours.length;
      index.set(c, k);
      colours.push(c);
    }
    indices[i] = k;
  }
  return { colours, indices };
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

let CRC_TABLE: Uint32Array | undefined;

/** CRC-32 (ISO 3309) as PNG chunks use it. */
export function crc32(bytes: Uint8Array): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A zlib stream of stored (uncompressed) deflate blocks: valid for any decoder, no compressor needed. */
export function storedZlib(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / 65535));
  const out = new Uint8Array(2 + data.length + blocks * 5 + 4);
  out[0] = 0x78;
  out[1] = 0x01;
  let o = 2;
  for (let b = 0; b < blocks; b++) {
    const part = data.subarray(b * 65535, Math.min(data.length, (b + 1) * 65535));
    out[o++] = b === blocks - 1 ? 1 : 0;
    out[o++] = part.length & 255;
    out[o++] = part.length >>> 8;
    out[o++] = ~part.length & 255;
    out[o++] = (~part.length >>> 8) & 255;
    out.set(part, o);
    o += part.length;
  }
  let a = 1;
  let s = 0;
  for (let i = 0; i < data.length; i++) {
    a = (a + data[i]!) % 65521;
    s = (s + a) % 65521;
  }
  new DataView(out.buffer).setUint32(o, ((s << 16) | a) >>> 0);
  return out;
}
