import { OptionError } from './driver';
import { ramInBytes } from '../units';

/** The delivery options every driver shares (Docker's `mode` and `max-buffer-size`). */
export interface DeliveryMode {
  mode: 'blocking' | 'non-blocking';
  /** Bytes of line data the outlet may hold before it blocks (blocking) or drops (non-blocking). */
  maxBufferBytes: number;
  /** Non-blocking only: which lines go when the buffer is full (Docker drops the newest, the default). */
  dropPolicy?: 'newest' | 'oldest';
}

export const GENERIC_LOG_OPTS = ['mode', 'max-buffer-size', 'drop-policy'] as const;
const DEFAULT_NON_BLOCKING_BUFFER = 1_000_000; // Docker's default when the option is absent
const BLOCKING_HIGH_WATER = 1 << 20; // how much the outlet holds before it pauses the pipe

/** Parses the generic options and returns the rest for the driver's own validator. */
export function splitDeliveryMode(opts: Readonly<Record<string, string>>): { delivery: DeliveryMode; rest: Record<string, string> } {
  const rest: Record<string, string> = { ...opts };
  const modeText = rest['mode'] ?? 'blocking';
  delete rest['mode'];
  if (modeText !== 'blocking' && modeText !== 'non-blocking' && modeText !== '') {
    throw new OptionError(`logger: logging mode not supported: ${modeText} (log-opt mode: expected blocking or non-blocking)`);
  }
  const mode = modeText === 'non-blocking' ? 'non-blocking' : 'blocking';
  const policyText = rest['drop-policy'];
  delete rest['drop-policy'];
  if (policyText !== undefined && policyText !== 'newest' && policyText !== 'oldest') {
    throw new OptionError(`invalid value "${policyText}" for log opt drop-policy: expected newest or oldest`);
  }
  if (policyText !== undefined && mode !== 'non-blocking') {
    throw new OptionError('logger: drop-policy option is only supported with \'mode=non-blocking\' (blocking mode never drops)');
  }
  const dropPolicy = policyText ?? 'newest';
  const sizeText = rest['max-buffer-size'];
  delete rest['max-buffer-size'];
  if (sizeText === undefined) {
    return { delivery: { mode, maxBufferBytes: mode === 'blocking' ? BLOCKING_HIGH_WATER : DEFAULT_NON_BLOCKING_BUFFER, dropPolicy }, rest };
  }
  if (mode !== 'non-blocking') {
    throw new OptionError('logger: max-buffer-size option is only supported with \'mode=non-blocking\'');
  }
  const bytes = ramInBytes(sizeText);
  if (bytes === undefined || bytes <= 0) {
    throw new OptionError(`invalid value "${sizeText}" for log opt max-buffer-size: expected a positive size like 1m or 512k (binary units)`);
  }
  return { delivery: { mode, maxBufferBytes: bytes, dropPolicy }, rest };
}
