// The cron job (fermyon/spin-trigger-cron's handle-cron-event): counts its ticks in the key-value
// store under `ticks`.
import { Store } from 'fermyon:spin/key-value@2.0.0';

const enc = new TextEncoder();
const dec = new TextDecoder();

export function handleCronEvent(_metadata) {
  const store = Store.open('default');
  const current = store.get('ticks');
  store.set('ticks', enc.encode(String((current ? Number(dec.decode(current)) : 0) + 1)));
}
