// The thread's client for outbound Redis (`fermyon:spin/redis`): one node-redis client per
// address, shared by every instance on the thread. Failure behaviour as the Redis key-value
// backend's (src/host/kv/redis-store.ts): calls fail at once while disconnected
// (`disableOfflineQueue`) and the client keeps reconnecting in the background; replies keep bulk
// strings binary (Buffer) and integers as numbers, as `execute` hands them to the guest.
import { createClient, RESP_TYPES } from '@redis/client';
import type { RedisCommands } from './redis.ts';

/** Longest wait for the first connection, in ms; past it `open` fails with `other`. */
export const REDIS_CONNECT_TIMEOUT_MS = 2000;

/** An open client: its commands and the way to close it. */
export interface RedisThreadClient extends RedisCommands {
  close(): Promise<void>;
}

/**
 * Connects to `address` (`redis://[user:pass@]host[:port][/db]`), waiting up to
 * {@link REDIS_CONNECT_TIMEOUT_MS} for the first connection.
 * @throws Error when the URL cannot be parsed or Redis does not answer in time (the caller maps
 *   it to the WIT `other`).
 */
export async function connectRedis(address: string): Promise<RedisThreadClient> {
  const client = createClient({
    url: address,
    disableOfflineQueue: true,
    socket: { connectTimeout: REDIS_CONNECT_TIMEOUT_MS, reconnectStrategy: (n: number) => Math.min(25 * 2 ** Math.min(n, 10), 500) },
    commandOptions: { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } },
  });
  client.on('error', () => {}); // reported by the calls; without a listener it would throw
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([client.connect(), new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis at ${address.replace(/\/\/[^@/]*@/, '//')} did not answer within ${REDIS_CONNECT_TIMEOUT_MS} ms`)), REDIS_CONNECT_TIMEOUT_MS);
    })]);
  } catch (err) {
    client.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return {
    send: (args) => client.sendCommand(args),
    close: async () => { client.destroy(); },
  };
}
