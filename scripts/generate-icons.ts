/**
 * Draws the Teams app icons (no downloads, no image libraries): a PNG encoder on node:zlib and a
 * little supersampled rasteriser.
 *
 *   appPackage/color.png    192x192, full colour: a white shield with a check mark on crimson
 *   appPackage/outline.png  32x32, white on transparent (what Teams requires of outline icons)
 *
 * Run: npx tsx scripts/generate-icons.ts   (--check: exit 1 when the files differ from what it draws)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

type RGBA = [number, number, number, number];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

export function encodePng(width: number, height: number, pixels: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(pixels.buffer, pixels.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Shapes in a unit square (0..1), as inside-tests. */
type Shape = (x: number, y: number) => boolean;

const roundedRect = (r: number): Shape => (x, y) => {
  const dx = Math.max(r - x, x - (1 - r), 0);
  const dy = Math.max(r - y, y - (1 - r), 0);
  return dx * dx + dy * dy <= r * r;
};

/** A shield: flat top with rounded shoulders, sides curving to a point at the bottom. */
const shield = (cx: number, top: number, halfWidth: number, height: number): Shape => (x, y) => {
  if (y < top || y > top + height) return false;
  const t = (y - top) / height;
  const w = t < 0.45 ? halfWidth : halfWidth * Math.sqrt(Math.max(0, 1 - ((t - 0.45) / 0.55) ** 2));
  const shoulder = t < 0.08 ? halfWidth - 0.04 * (1 - t / 0.08) ** 2 * 3 : w;
  return Math.abs(x - cx) <= Math.min(w, shoulder);
};

/** A thick polyline (the check mark). */
const stroke = (points: [number, number][], width: number): Shape => (x, y) => {
  for (let i = 0; i < points.length - 1; i++) {
    const [ax, ay] = points[i]!;
    const [bx, by] = points[i + 1]!;
    const vx = bx - ax;
    const vy = by - ay;
    const t = Math.max(0, Math.min(1, ((x - ax) * vx + (y - ay) * vy) / (vx * vx + vy * vy)));
    const px = ax + t * vx - x;
    const py = ay + t * vy - y;
    if (px * px + py * py <= (width / 2) ** 2) return true;
  }
  return false;
};

/** Paints layers (later on top), 4x4 supersampled for smooth edges. */
function draw(size: number, layers: { shape: Shape; color: RGBA }[]): Uint8Array {
  const out = new Uint8Array(size * size * 4);
  const S = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const x = (px + (sx + 0.5) / S) / size;
          const y = (py + (sy + 0.5) / S) / size;
          let c: RGBA = [0, 0, 0, 0];
          for (const l of layers) if (l.shape(x, y)) c = l.color;
          // Premultiplied accumulation so transparent samples do not darken edges.
          r += c[0] * c[3];
          g += c[1] * c[3];
          b += c[2] * c[3];
          a += c[3];
        }
      }
      const i = (py * size + px) * 4;
      out[i + 3] = Math.round(a / (S * S));
      if (a > 0) {
        out[i] = Math.round(r / a);
        out[i + 1] = Math.round(g / a);
        out[i + 2] = Math.round(b / a);
      }
    }
  }
  return out;
}

const CRIMSON: RGBA = [196, 49, 75, 255];
const WHITE: RGBA = [255, 255, 255, 255];
const CLEAR: RGBA = [0, 0, 0, 0];
const check = (w: number, dy = 0): Shape => stroke([[0.37, 0.5 + dy], [0.47, 0.6 + dy], [0.65, 0.39 + dy]], w);

export function colorIcon(): Buffer {
  return encodePng(
    192,
    192,
    draw(192, [
      { shape: roundedRect(0.18), color: CRIMSON },
      { shape: shield(0.5, 0.19, 0.27, 0.64), color: WHITE },
      { shape: check(0.075), color: CRIMSON },
    ]),
  );
}

export function outlineIcon(): Buffer {
  // Teams: white (#FFFFFF) on a transparent background, nothing else.
  return encodePng(
    32,
    32,
    draw(32, [
      { shape: shield(0.5, 0.08, 0.38, 0.86), color: WHITE },
      { shape: shield(0.5, 0.17, 0.27, 0.66), color: CLEAR },
      { shape: check(0.1, -0.06), color: WHITE },
    ]),
  );
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!);
if (isMain) {
  const files = { 'appPackage/color.png': colorIcon(), 'appPackage/outline.png': outlineIcon() };
  const check = process.argv.includes('--check');
  let differs = false;
  for (const [path, png] of Object.entries(files)) {
    if (check) {
      let current: Buffer | null = null;
      try {
        current = readFileSync(path);
      } catch {
        current = null;
      }
      if (!current || !current.equals(png)) {
        console.error(`${path} differs from what scripts/generate-icons.ts draws`);
        differs = true;
      }
    } else {
      writeFileSync(path, png);
      console.log(`wrote ${path} (${png.length} bytes)`);
    }
  }
  if (differs) process.exit(1);
}
