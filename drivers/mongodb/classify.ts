import { SendResult } from '../../engine/logs/driver';
import { mongo } from './load';
import { redactText } from './uri';

/** MongoDB's duplicate-key code: a retried batch meeting the documents its first try stored. */
export const DUPLICATE_KEY = 11000;

/**
 * What an insert error means for the batch. Documents the server refused one by one (other
 * than duplicates) will be refused again: 'fail'. A lost connection, no server, a timeout or a
 * command-level refusal (auth, not primary, write concern) may pass later: 'retry'.
 */
export function classifyInsertError(e: unknown, uri: string, docs: number): SendResult {
  const m = mongo();
  const error = (text: string) => new Error(`mongodb: ${redactText(text, uri)}`);
  if (e instanceof m.MongoBulkWriteError) {
    const refused = e.writeErrors === undefined ? [] : Array.isArray(e.writeErrors) ? e.writeErrors : [e.writeErrors];
    const real = refused.filter((w) => w.code !== DUPLICATE_KEY);
    if (e.writeConcernError) return { status: 'retry', error: error(`write concern: ${e.writeConcernError.errmsg ?? e.message}`) };
    if (!real.length && refused.length) return { status: 'ok' };
    if (real.length) return { status: 'fail', error: error(`${real.length} of ${docs} documents refused: ${real[0]!.errmsg ?? `code ${real[0]!.code}`}`) };
    return { status: 'retry', error: error(e.message) };
  }
  if (e instanceof m.MongoInvalidArgumentError || e instanceof m.BSON.BSONError) return { status: 'fail', error: error((e as Error).message) };
  return { status: 'retry', error: error(e instanceof Error ? e.message : String(e)) };
}
