// sha256 digests in the OCI form `sha256:<64 lower-case hex>` (image-spec `descriptor.md`, "Digests").
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** The digest of `bytes`. */
export function digestOf(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The digest and size (bytes) of a file, read as a stream (never whole into memory). */
export async function digestOfFile(path: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/** The hex part of a `sha256:` digest (a safe file name). */
export function digestHex(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1);
}
