import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { AwsLogsOptions, JSON_EMF } from './options';

/** Sockets that never answer fail the call instead of holding the outlet (close() aborts sooner). */
const CONNECT_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The SDK client for one workload. Credentials come from the SDK's default chain (env,
 * shared files, SSO, container and instance roles) and never pass through corral's options.
 * The SDK does not retry: the outlet does, with back-off, and the driver resumes a batch
 * where it stopped, so nothing already stored is sent twice.
 */
export function cloudWatchClient(o: Pick<AwsLogsOptions, 'region' | 'endpoint' | 'format'>): CloudWatchLogsClient {
  const client = new CloudWatchLogsClient({
    region: o.region,
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    maxAttempts: 1,
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
    customUserAgent: [['corral']],
  });
  if (o.format === JSON_EMF) {
    // Docker's awslogs-format: the service reads each message as an Embedded Metric Format document.
    client.middlewareStack.add((next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-amzn-logs-format'] = JSON_EMF;
      return next(args);
    }, { step: 'build', name: 'corralLogsFormatHeader' });
  }
  return client;
}
