// Types for syslog-client 1.1.1 (pinned), which ships none. Besides the documented API this
// declares the prototype members the syslog driver overrides or reads (buildFormattedMessage,
// getTransport, transport_, onClose, onError): they exist in 1.1.1's index.js as written here.
declare module 'syslog-client' {
  import { EventEmitter } from 'node:events';
  import { Socket as DgramSocket } from 'node:dgram';
  import { Duplex } from 'node:stream';

  export const Transport: { readonly Tcp: 1; readonly Udp: 2 };
  export const Facility: Readonly<Record<string, number>>;
  export const Severity: Readonly<Record<string, number>>;

  export interface ClientOptions {
    port?: number;
    syslogHostname?: string;
    /** Connect timeout of the TCP transport (also set as the socket's idle timeout). */
    tcpTimeout?: number;
    transport?: 1 | 2;
    facility?: number;
    severity?: number;
    rfc3164?: boolean;
    appName?: string;
    dateFormatter?: (this: Date) => string;
  }

  export interface LogOptions {
    facility?: number;
    severity?: number;
    rfc3164?: boolean;
    appName?: string;
    syslogHostname?: string;
    timestamp?: Date;
    msgid?: string;
  }

  /** What log() writes to: a stream socket (Tcp) or a datagram socket (Udp). */
  export type ClientTransport = Duplex | DgramSocket;
  export type TransportCallback = (error: Error | null, transport?: ClientTransport) => void;

  export class Client extends EventEmitter {
    constructor(target?: string, options?: ClientOptions);
    readonly target: string;
    readonly port: number;
    /** Tcp or Udp: how log() hands a message to transport_ (write or send); set by a subclass that dials its own. */
    transport: 1 | 2;
    /** The connected transport; log() reuses it, getTransport() (re)creates it when absent. */
    transport_: ClientTransport | undefined;
    log(message: string, options: LogOptions, cb: (error?: Error) => void): this;
    close(): this;
    /** Turns a message into the bytes log() writes. */
    buildFormattedMessage(message: string, options: LogOptions): Buffer;
    /** Hands log() a connected transport, connecting first when there is none. */
    getTransport(cb: TransportCallback): void;
    onClose(): this;
    onError(error: Error): this;
  }

  export function createClient(target?: string, options?: ClientOptions): Client;
}
