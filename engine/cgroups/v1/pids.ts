import { applyInOrder, Controller, read } from '../controller';
import { limit, num } from '../statparse';

/** pids: the same files on v1 and v2 ("max" = unlimited; threads count too). */
export const pidsController: Controller = {
  name: 'pids',
  refuse: () => null,

  desired(l) {
    return [{ file: 'pids.max', key: '', value: l.pidsLimit === null ? 'max' : String(l.pidsLimit) }];
  },

  apply(ctx, from, to) {
    applyInOrder(this, ctx, from, to);
  },

  readBack(ctx) {
    return { pidsLimit: limit(read(ctx, 'pids.max')) };
  },

  stats(files, out, errors) {
    const cur = files.read('pids.current', errors);
    if (cur !== null) out.pids.current = num(cur);
  },
};
