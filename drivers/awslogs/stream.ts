import {
  CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, DescribeLogStreamsCommand, PutLogEventsCommand, RejectedLogEventsInfo,
} from '@aws-sdk/client-cloudwatch-logs';
import { CallError, isAlreadyExists, isNotFound } from './classify';
import { CwEvent } from './limits';

export interface CreatePolicy {
  /** awslogs-create-group (default false). */
  group: boolean;
  /** awslogs-create-stream (default true). */
  stream: boolean;
}

/**
 * One log stream of one log group: puts events, and creates the stream (and the group when
 * allowed) before the first put and again if they vanish. Every failure is a CallError
 * naming the operation, the group and the stream; the SDK's error is its cause.
 */
export class LogStreamWriter {
  private ready = false;

  constructor(private readonly client: CloudWatchLogsClient, readonly group: string, readonly stream: string, private readonly create: CreatePolicy) {}

  private get where(): string { return `group "${this.group}", stream "${this.stream}"`; }

  /** Stores one call's events; returns what the service refused for their time, if anything. */
  async put(events: readonly CwEvent[], signal: AbortSignal): Promise<RejectedLogEventsInfo | undefined> {
    if (!this.ready && this.create.stream) await this.ensure(signal);
    try {
      return await this.putOnce(events, signal);
    } catch (e) {
      if (!this.create.stream || !isNotFound((e as CallError).cause)) throw e;
      this.ready = false; // deleted while we ran: create it again and send the same call
      await this.ensure(signal);
      return await this.putOnce(events, signal);
    }
  }

  /** The cheapest read that proves the endpoint, the credentials and the group: one stream name. */
  async describe(signal: AbortSignal): Promise<void> {
    await this.call('DescribeLogStreams', () =>
      this.client.send(new DescribeLogStreamsCommand({ logGroupName: this.group, logStreamNamePrefix: this.stream, limit: 1 }), { abortSignal: signal }));
  }

  destroy(): void {
    this.client.destroy();
  }

  private async putOnce(events: readonly CwEvent[], signal: AbortSignal): Promise<RejectedLogEventsInfo | undefined> {
    const logEvents = events.map((e) => ({ timestamp: e.timestamp, message: e.message }));
    const hint = this.create.stream ? '' : ' (awslogs-create-stream is false)';
    const out = await this.call('PutLogEvents', () =>
      this.client.send(new PutLogEventsCommand({ logGroupName: this.group, logStreamName: this.stream, logEvents }), { abortSignal: signal }), hint);
    return out.rejectedLogEventsInfo;
  }

  /** Docker's order: the stream first; a missing group is created (when allowed) and the stream again. */
  private async ensure(signal: AbortSignal): Promise<void> {
    const stream = () => this.call('CreateLogStream', () =>
      this.client.send(new CreateLogStreamCommand({ logGroupName: this.group, logStreamName: this.stream }), { abortSignal: signal }),
      this.create.group ? '' : ' (set awslogs-create-group=true to create the group)');
    try {
      await tolerateExisting(stream());
    } catch (e) {
      if (!this.create.group || !isNotFound((e as CallError).cause)) throw e;
      await tolerateExisting(this.call('CreateLogGroup', () =>
        this.client.send(new CreateLogGroupCommand({ logGroupName: this.group }), { abortSignal: signal })));
      await tolerateExisting(stream());
    }
    this.ready = true;
  }

  private async call<T>(operation: string, f: () => Promise<T>, hint = ''): Promise<T> {
    try {
      return await f();
    } catch (e) {
      const err = new CallError(operation, this.where, e);
      if (hint && isNotFound(e)) err.message += hint;
      throw err;
    }
  }
}

/** Someone (another workload, a restart) created it first: that is what we wanted. */
async function tolerateExisting(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!isAlreadyExists((e as CallError).cause)) throw e;
  }
}
