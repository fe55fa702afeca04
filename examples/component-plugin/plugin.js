// A plugin for the host application of examples/component-plugin, in JavaScript, built into a
// WASI 0.2 component with componentize-js against world.wit. Its exports take and return WIT
// values (records, variants, results, lists) that wasmlet lifts to and lowers from JS values.
import { log, getSetting } from 'example:plugin/host';
import { getEnvironment } from 'wasi:cli/environment@0.2.12';
import { getDirectories } from 'wasi:filesystem/preopens@0.2.12';

let counted = 0; // instance state: survives between calls only on a long-lived instance

export const greeter = {
  greet(person) {
    const greeting = getSetting('greeting') ?? 'Hello';
    log(`greeting ${person.name}`);
    return `${greeting}, ${person.name} (${person.age})!`;
  },
  area(shape) {
    switch (shape.tag) {
      case 'circle': return Math.PI * shape.val * shape.val;
      case 'rect': return shape.val[0] * shape.val[1];
      default: return 0;
    }
  },
  parseAge(text) {
    // A thrown value is the `err` case of the result.
    if (!/^\d+$/.test(text)) throw `not a number: ${text}`;
    return Number(text);
  },
  wordLengths(words) {
    return new Uint32Array(words.map((w) => w.length));
  },
  adults(people, minAge) {
    return people.filter((p) => p.age >= minAge).sort((a, b) => b.age - a.age);
  },
  environment() {
    return getEnvironment();
  },
  preopens() {
    return getDirectories().map(([, path]) => path);
  },
  allocate(mib) {
    const blocks = [];
    for (let i = 0; i < mib; i++) blocks.push(new Uint8Array(1 << 20).fill(1));
    return blocks.length;
  },
  spinForever() {
    for (;;) { /* a runaway plugin */ }
  },
  count() {
    return ++counted;
  },
};
