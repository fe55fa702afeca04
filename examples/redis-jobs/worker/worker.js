// The Redis-triggered worker (Spin JS SDK, spin-redis world): each message on `jobs` is a JSON job
// { id, text }; the result (the text upper-cased and its word count) goes to the key-value store
// under `job:<id>`, where the API reads it.
import { Kv, RedisHandler } from '@fermyon/spin-sdk';

const dec = new TextDecoder();

class Worker extends RedisHandler {
  handleMessage(message) {
    const job = JSON.parse(dec.decode(message));
    const result = { id: job.id, upper: job.text.toUpperCase(), words: job.text.split(/\s+/).filter(Boolean).length };
    Kv.openDefault().set(`job:${job.id}`, JSON.stringify(result));
  }
}

export const inboundRedis = new Worker();
