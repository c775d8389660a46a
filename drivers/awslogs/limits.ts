/**
 * CloudWatch Logs PutLogEvents rules (docs.aws.amazon.com/goto/WebAPI/logs/PutLogEvents):
 * message bytes are counted in UTF-8 plus a fixed overhead per event.
 */
export const EVENT_OVERHEAD = 26;
export const MAX_CALL_BYTES = 1_048_576;
export const MAX_CALL_EVENTS = 10_000;
/** The valid events of one call may not span more than this (Docker doesn't check: moby#41529). */
export const MAX_CALL_SPAN_MS = 24 * 60 * 60 * 1000;
/**
 * Message bytes per event: Docker's figure, the older 256 KiB limit less the overhead. The
 * service accepts 1 MB today, but a smaller event is accepted by both, and by every emulator.
 */
export const MAX_EVENT_BYTES = 262_144 - EVENT_OVERHEAD;

/** One CloudWatch event and the log messages (lines, chunks) folded into it. */
export interface CwEvent {
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly message: string;
  /** UTF-8 length of message. */
  readonly bytes: number;
  /** Log messages this event completes (0 on the leading pieces of a split line). */
  readonly messages: number;
  /** Of those, messages the outlet already counted as sent with an earlier batch. */
  readonly prior: number;
  /** Wall-clock ms the driver first held it back in a call that was not full yet (0: not held). */
  readonly heldAt: number;
}
