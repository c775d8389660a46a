import { BatchPolicy, DriverContext, DriverDefinition } from '../../engine/logs/driver';
import { cloudWatchClient } from './client';
import { CallError } from './classify';
import { AwsLogsDriver } from './driver';
import { EventAssembler } from './events';
import { MAX_CALL_BYTES, MAX_CALL_EVENTS } from './limits';
import { AwsLogsOptions, parseAwsLogsOptions, streamName } from './options';
import { LogStreamWriter } from './stream';

export { AwsLogsDriver, RejectReason } from './driver';
export { AwsLogsOptions, parseAwsLogsOptions } from './options';

/**
 * The outlet's batches for one workload: as much as one PutLogEvents call holds (the driver
 * re-packs by the service's exact byte count), waiting up to awslogs-force-flush-interval-seconds.
 * The definition's static `batch` is Docker's default; this is what a per-options policy would give.
 */
export function awslogsBatch(o: Pick<AwsLogsOptions, 'flushIntervalMs'>): BatchPolicy {
  return { maxEvents: MAX_CALL_EVENTS, maxBytes: MAX_CALL_BYTES, flushMs: o.flushIntervalMs };
}

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
  batch: awslogsBatch({ flushIntervalMs: 5_000 }),
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
