import { LogDocument } from './document';

/** Below MongoDB's 16 MiB command limit, with room for the command's own fields. */
export const MAX_COMMAND_BYTES = 15 * 1024 * 1024;
/** MongoDB's maxWriteBatchSize. */
export const MAX_COMMAND_DOCS = 100_000;

// Field names, fixed-size values and BSON framing of a document, beyond its strings.
const FIXED_BYTES = 200;

/** A document's BSON size, from above (no serialization: this runs for every line). */
export function sizeBound(d: LogDocument, attrsBytes: number): number {
  let n = FIXED_BYTES + 3 * d.log.length + d._id.length + d.container_id.length + 3 * (d.container_name.length + d.tag.length + d.host.length);
  if (d.log_raw) n += d.log_raw.length();
  if (d.attrs) n += attrsBytes;
  if (d.partial_id) n += d.partial_id.length + 64;
  return n;
}

/** Cuts documents into insert commands that stay under MongoDB's size and count limits. */
export function commandChunks(docs: readonly LogDocument[], attrsBytes: number): LogDocument[][] {
  const out: LogDocument[][] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < docs.length; i++) {
    const n = sizeBound(docs[i]!, attrsBytes);
    if (i > start && (bytes + n > MAX_COMMAND_BYTES || i - start >= MAX_COMMAND_DOCS)) {
      out.push(docs.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += n;
  }
  if (start < docs.length) out.push(start === 0 ? docs as LogDocument[] : docs.slice(start));
  return out;
}
