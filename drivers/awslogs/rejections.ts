import { RejectedLogEventsInfo } from '@aws-sdk/client-cloudwatch-logs';
import { messagesIn } from './calls';
import { CwEvent } from './limits';

/**
 * Why a message the driver answered 'ok' for is not in CloudWatch:
 * too-old / too-new / expired: refused by the service for its time (rejectedLogEventsInfo);
 * refused: its call failed for good after other calls of the same batch were stored, or from the flush timer;
 * empty: an empty line (CloudWatch stores no empty event; Docker skips them too);
 * lost: held back (a call not full yet, an unfinished event) and not delivered before close().
 */
export type RejectReason = 'too-old' | 'too-new' | 'expired' | 'refused' | 'empty' | 'lost';
type Counted = Exclude<RejectReason, 'empty'>;

/** Counts, by reason, the messages acknowledged to the outlet that did not reach CloudWatch. */
export class Rejections {
  readonly counts: Record<Counted, number> = { 'too-old': 0, 'too-new': 0, expired: 0, refused: 0, lost: 0 };

  add(reason: Counted, messages: number): void {
    this.counts[reason] += messages;
  }

  /** rejectedLogEventsInfo of a stored call: leading events too old (or past retention), trailing ones too new. */
  addRefusedByTime(call: readonly CwEvent[], info: RejectedLogEventsInfo | undefined): void {
    if (!info) return;
    const n = call.length;
    const clamp = (i: number | undefined, dflt: number) => Math.min(n, Math.max(0, i ?? dflt));
    const oldEnd = clamp(info.tooOldLogEventEndIndex, 0);
    const expiredEnd = Math.max(oldEnd, clamp(info.expiredLogEventEndIndex, 0));
    const newStart = Math.max(expiredEnd, clamp(info.tooNewLogEventStartIndex, n));
    this.counts['too-old'] += messagesIn(call, 0, oldEnd);
    this.counts.expired += messagesIn(call, oldEnd, expiredEnd);
    this.counts['too-new'] += messagesIn(call, newStart, n);
  }
}
