import { LogMessage } from './message';

/** What `corral logs` asks for: Docker's ReadConfig. Times are ns since the epoch. */
export interface ReadOptions {
  /** Only the last N messages (chunks of long lines count one each, as Docker); undefined = all. */
  tail?: number;
  since?: bigint;
  until?: bigint;
  follow: boolean;
}

/** Something a reader tells its caller besides messages (a corrupt entry skipped, lines missed). */
export interface ReadWarning {
  kind: 'corrupt' | 'missed';
  text: string;
  /** For 'missed': how many entries were rotated away before the follower got to them. */
  count?: number;
}

export interface LogReader {
  /**
   * Messages in order. Ends when the log has nothing more (no follow), when the writer closed
   * and everything was read (follow), or when signal aborts. Never throws on bad input:
   * corrupt entries are skipped and reported through onWarning.
   */
  read(o: ReadOptions, signal: AbortSignal, onWarning?: (w: ReadWarning) => void): AsyncIterable<LogMessage>;
}
