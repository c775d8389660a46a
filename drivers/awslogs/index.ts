import { BatchPolicy, DriverContext, DriverDefinition } from '../../engine/logs/driver';
import { cloudWatchClient } from './client';
import { CallError } from './classify';
import { AwsLogsDriver } from './driver';
import { EventAssembler } from './events';
import { MAX_CALL_BYTES, MAX_CALL_EVENTS } from './limits';
import { AwsLogsOptions, parseAwsLogsOptions, streamName } from './options';
import { LogStreamWriter } from './stream';

export { AwsLogsDriver } from './driver';
export { RejectReason } from './rejections';
export { AwsLogsOptions, parseAwsLogsOptions } from './options';

/**
 * The outlet hands batches over at once: the driver packs them into PutLogEvents calls, sends
 * the full ones and holds the last until it is full or awslogs-force-flush-interval-seconds old
 * (Docker's publishing rule), so the interval is per workload and a fast workload fills every call.
 */
const BATCH: BatchPolicy = { maxEvents: MAX_CALL_EVENTS, maxBytes: MAX_CALL_BYTES, flushMs: 0 };

function writerFor(o: AwsLogsOptions, ctx: DriverContext): LogStreamWriter {
  return new LogStreamWriter(cloudWatchClient(o), o.group, streamName(o, ctx), { group: o.createGroup, stream: o.createStream });
}

/** Opens the driver without touching the network: the stream is created with the first call. */
export function openAwsLogsDriver(o: AwsLogsOptions, ctx: DriverContext): AwsLogsDriver {
  return new AwsLogsDriver(writerFor(o, ctx), new EventAssembler(o.multiline), o.flushIntervalMs);
}

export const awslogs: DriverDefinition<AwsLogsOptions> = {
  name: 'awslogs',
  parseOptions: (opts) => parseAwsLogsOptions(opts),
  batch: BATCH,
  create: async (o, ctx) => openAwsLogsDriver(o, ctx),
  /** One DescribeLogStreams: proves the endpoint answers, the credentials work and the group exists (or may be created). */
  async probe(o, ctx, timeoutMs) {
    const writer = writerFor(o, ctx);
    try {
      await writer.describe(AbortSignal.timeout(timeoutMs));
    } catch (e) {
      const cause = e instanceof CallError ? (e.cause as { name?: string }) : undefined;
      if (cause?.name === 'ResourceNotFoundException' && o.createGroup) return; // created with the first line
      const where = o.endpoint ?? `CloudWatch Logs in ${o.region}`;
      throw new Error(`${where}: ${(e as Error).message}`);
    } finally {
      writer.destroy();
    }
  },
};
