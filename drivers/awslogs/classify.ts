/** What a failed call means for the batch. */
export type Verdict = 'retry' | 'fail';

interface SdkError { name?: string; code?: string; $fault?: string; $metadata?: { httpStatusCode?: number } }

/** Errors the service documents as transient (besides any 5xx). */
const TRANSIENT = new Set(['ThrottlingException', 'ServiceUnavailableException', 'InternalServerException', 'RequestTimeout',
  'RequestTimeoutException', 'ExpiredTokenException', 'RequestExpired', 'OperationAbortedException', 'TooManyRequestsException']);

/**
 * Throttling, 5xx and anything that never got an HTTP answer (refused, reset, timed out,
 * aborted by close) is retried; any other answer of the service is about the request
 * itself (bad parameter, access denied, missing group that may not be created) and won't
 * change by sending it again. Missing credentials are a setup error: fail, counted, warned.
 */
export function classify(e: unknown): Verdict {
  const err = (e ?? {}) as SdkError;
  if (err.name && TRANSIENT.has(err.name)) return 'retry';
  if (err.name === 'CredentialsProviderError') return 'fail';
  const status = err.$metadata?.httpStatusCode;
  if (status === undefined) return 'retry';
  if (status >= 500 || status === 429 || err.$fault === 'server') return 'retry';
  return 'fail';
}

export const isNotFound = (e: unknown): boolean => (e as SdkError | undefined)?.name === 'ResourceNotFoundException';
export const isAlreadyExists = (e: unknown): boolean => (e as SdkError | undefined)?.name === 'ResourceAlreadyExistsException';

/** A failed call, named for the operator: "PutLogEvents (group g, stream s): ThrottlingException: Rate exceeded". */
export class CallError extends Error {
  constructor(operation: string, where: string, cause: unknown) {
    const c = cause as { name?: string; message?: string } | undefined;
    super(`${operation} (${where}): ${c?.name ?? 'Error'}: ${c?.message ?? String(cause)}`, { cause });
    this.name = 'CallError';
  }
}
