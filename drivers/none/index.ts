import { DriverDefinition, LogDriver, unknownOption } from '../../engine/logs/driver';

/** Discards everything (Docker's `none`): no file, nothing to read back. */
export const none: DriverDefinition<Record<string, never>> = {
  name: 'none',
  parseOptions(opts) {
    for (const k of Object.keys(opts)) throw unknownOption(k, 'none');
    return {};
  },
  batch: { maxEvents: 1 << 20, maxBytes: 64 << 20, flushMs: 0 },
  async create(): Promise<LogDriver> {
    return { name: 'none', send: async () => ({ status: 'ok' }), close: async () => {} };
  },
};
