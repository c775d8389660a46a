import { applyInOrder, Controller, read } from '../controller';

/** v2 cpuset: an empty list means "the parent's effective set", so unset writes "". */
export const cpusetV2: Controller = {
  name: 'cpuset',
  refuse: () => null,

  desired(l) {
    return [
      { file: 'cpuset.cpus', key: '', value: l.cpusetCpus ?? '' },
      { file: 'cpuset.mems', key: '', value: l.cpusetMems ?? '' },
    ];
  },

  apply(ctx, from, to) {
    applyInOrder(this, ctx, from, to);
  },

  readBack(ctx) {
    const v = (f: string) => read(ctx, f).trim() || null;
    return { cpusetCpus: v('cpuset.cpus'), cpusetMems: v('cpuset.mems') };
  },

  stats: () => undefined,
};
