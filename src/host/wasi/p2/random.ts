// wasi:random@0.2.x: random (CSPRNG), insecure, insecure-seed, over the instance's
// version-neutral random source (../random.ts), the one WASI p1's random_get reads too.
import type { WasiRandom } from '../random.ts';

/** Longest list one `get-random-bytes` call returns: the guest picks the size, the host allocates. */
export const MAX_RANDOM_BYTES = 1 << 20;

/** Builds the `wasi:random/*` interface objects for one instance. */
export function createRandom(random: WasiRandom): Record<string, object> {
  const bytes = (len: bigint): Uint8Array => {
    if (len > BigInt(MAX_RANDOM_BYTES)) throw new RangeError(`wasi:random: ${len} bytes requested, at most ${MAX_RANDOM_BYTES}`);
    const out = new Uint8Array(Number(len));
    random.fill(out);
    return out;
  };
  const u64 = (): bigint => random.u64();
  return {
    random: { getRandomBytes: bytes, getRandomU64: u64 },
    insecure: { getInsecureRandomBytes: bytes, getInsecureRandomU64: u64 },
    'insecure-seed': { insecureSeed: (): [bigint, bigint] => random.insecureSeed() },
  };
}
