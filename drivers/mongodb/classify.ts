import type { Document } from 'mongodb';
import { SendResult } from '../../engine/logs/driver';
import { mongo } from './load';

/** Makes the Error a send reports: says where, never shows a password. */
export type Describe = (text: string) => Error;

/** MongoDB's duplicate-key code: a retried batch meeting the documents its first try stored. */
export const DUPLICATE_KEY = 11000;

/**
 * What a thrown error means for the batch: a lost connection, no server, a timeout or a
 * command-level refusal (auth, not primary) may pass later: 'retry'. Documents the client cannot
 * even encode will never pass: 'fail'.
 */
export function classifyInsertError(e: unknown, describe: Describe): SendResult {
  const m = mongo();
  const error = describe(e instanceof Error ? e.message : String(e));
  if (e instanceof m.MongoInvalidArgumentError || e instanceof m.BSON.BSONError) return { status: 'fail', error };
  return { status: 'retry', error };
}

/**
 * What an acknowledged insert reply means: duplicates only (a retried batch) is delivered;
 * documents refused for another reason fail; a write concern not met is retried.
 */
export function classifyInsertReply(reply: Document, describe: Describe, docs: number): SendResult {
  const error = describe;
  const wce = reply['writeConcernError'] as { errmsg?: string; code?: number } | undefined;
  if (wce) return { status: 'retry', error: error(`write concern: ${wce.errmsg ?? `code ${wce.code}`}`) };
  const refused = (reply['writeErrors'] ?? []) as { code?: number; errmsg?: string }[];
  const real = refused.filter((w) => w.code !== DUPLICATE_KEY);
  if (real.length) return { status: 'fail', error: error(`${real.length} of ${docs} documents refused: ${real[0]!.errmsg ?? `code ${real[0]!.code}`}`) };
  return { status: 'ok' };
}
