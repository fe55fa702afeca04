// wasi:random@0.2.x: random (CSPRNG), insecure, insecure-seed.
import { randomBytes, randomFillSync } from 'node:crypto';

/** Longest list one `get-random-bytes` call returns: the guest picks the size, the host allocates. */
export const MAX_RANDOM_BYTES = 1 << 20;

function bytes(len: bigint): Uint8Array {
  if (len > BigInt(MAX_RANDOM_BYTES)) throw new RangeError(`wasi:random: ${len} bytes requested, at most ${MAX_RANDOM_BYTES}`);
  return randomFillSync(new Uint8Array(Number(len)));
}

function u64(): bigint {
  return randomBytes(8).readBigUInt64LE();
}

/** Builds the `wasi:random/*` interface objects for one instance. */
export function createRandom(): Record<string, object> {
  const seed: [bigint, bigint] = [u64(), u64()];
  return {
    random: { getRandomBytes: bytes, getRandomU64: u64 },
    insecure: { getInsecureRandomBytes: bytes, getInsecureRandomU64: u64 },
    'insecure-seed': { insecureSeed: (): [bigint, bigint] => seed },
  };
}
