/** Which of the workload's output streams a line came from. */
export type Stream = 'stdout' | 'stderr';

/** A long line is cut into chunks of at most 16 KiB; the chunks share an id and the first chunk's time. */
export interface PartialMeta {
  readonly id: string;
  /** 1-based position of this chunk in its line. */
  readonly ordinal: number;
  /** True on the chunk that ends the line (the one followed by the newline). */
  readonly last: boolean;
}

/**
 * One line of a workload's output, or one chunk of a long line.
 * The bytes are `src[start, end)`: a view into the pipe chunk they were read in, so framing
 * allocates no buffer per line; `line` makes that view on first use. Hot paths (the json-file
 * encoder) work on src/start/end directly.
 * Ownership: a message is immutable once published. Nobody (framer, router, outlet,
 * driver) mutates its bytes or fields after that; drivers may keep references.
 */
export interface LogMessage {
  readonly stream: Stream;
  /** Wall-clock time of the read, in nanoseconds since the Unix epoch. */
  readonly time: bigint;
  readonly src: Buffer;
  readonly start: number;
  readonly end: number;
  /** The bytes of the line, without the trailing newline. */
  readonly line: Buffer;
  /** Present on chunks of a line longer than the framer's maximum. */
  readonly partial: PartialMeta | undefined;
  /** Attributes stored with the line (json-file `attrs`); set by readers, not by the framer. */
  readonly attrs: Readonly<Record<string, string>> | undefined;
}

class Message implements LogMessage {
  private view: Buffer | undefined;
  constructor(
    readonly stream: Stream,
    readonly time: bigint,
    readonly src: Buffer,
    readonly start: number,
    readonly end: number,
    readonly partial: PartialMeta | undefined,
    readonly attrs: Readonly<Record<string, string>> | undefined,
  ) {}

  get line(): Buffer {
    return (this.view ??= this.start === 0 && this.end === this.src.length ? this.src : this.src.subarray(this.start, this.end));
  }
}

/** True when the message ends a line: the stored form carries the newline. */
export function endsLine(m: LogMessage): boolean {
  return m.partial === undefined || m.partial.last;
}

/** Number of bytes in the line. */
export function lineLength(m: LogMessage): number {
  return m.end - m.start;
}

export function message(
  stream: Stream,
  time: bigint,
  line: Buffer,
  partial?: PartialMeta,
  attrs?: Readonly<Record<string, string>>,
): LogMessage {
  return new Message(stream, time, line, 0, line.length, partial, attrs);
}

/** A message whose bytes are src[start, end) (the framer's zero-copy form). */
export function messageIn(stream: Stream, time: bigint, src: Buffer, start: number, end: number, partial?: PartialMeta): LogMessage {
  return new Message(stream, time, src, start, end, partial, undefined);
}
