import * as fs from 'node:fs';
import { OptionError, unknownOption } from '../../engine/logs/driver';
import { ATTR_OPTS, checkAttrOptions } from '../shared/attrs';
import { checkTag } from '../shared/tag';
import { SyslogAddress, parseAddress } from './address';
import { unixgramSupported } from './unixgram';

export type SyslogFormat = '' | 'rfc3164' | 'rfc5424' | 'rfc5424micro';

export interface TlsFiles {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Docker: the key's presence turns verification off, whatever its value. */
  skipVerify: boolean;
}

export interface SyslogOptions {
  address: SyslogAddress;
  /** The facility number (0-23); PRI = facility * 8 + severity. */
  facility: number;
  format: SyslogFormat;
  /** The tag template (Docker's default: the 12-character short id). */
  tag: string;
  /** Read when the options are checked, so a missing file fails `run`, not the first line. */
  tls: TlsFiles;
}

/** Docker's facility names and their numbers. */
export const FACILITIES: Readonly<Record<string, number>> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

const FORMATS: readonly SyslogFormat[] = ['', 'rfc3164', 'rfc5424', 'rfc5424micro'];
const TLS_FILE_OPTS = { ca: 'syslog-tls-ca-cert', cert: 'syslog-tls-cert', key: 'syslog-tls-key' } as const;
const KEYS = new Set<string>([
  'syslog-address', 'syslog-facility', 'syslog-format', 'tag', 'syslog-tls-skip-verify', ...Object.values(TLS_FILE_OPTS), ...ATTR_OPTS,
]);

function parseFacility(text: string | undefined): number {
  if (text === undefined || text === '') return FACILITIES['daemon']!;
  const named = FACILITIES[text];
  if (named !== undefined) return named;
  if (/^[+-]?\d+$/.test(text) && Number(text) >= 0 && Number(text) <= 23) return Number(text);
  throw new OptionError(`invalid value "${text}" for log opt syslog-facility: invalid syslog facility (expected a name like daemon, user or local0-local7, or a number 0-23)`);
}

function parseFormat(text: string | undefined): SyslogFormat {
  const f = (text ?? '') as SyslogFormat;
  if (!FORMATS.includes(f)) throw new OptionError(`invalid value "${text}" for log opt syslog-format: Invalid syslog format (expected rfc3164, rfc5424, rfc5424micro or empty)`);
  return f;
}

function readTlsFile(key: string, file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new OptionError(`invalid value "${file}" for log opt ${key}: cannot read it (${(e as Error).message})`);
  }
}

/** Docker's syslog options, defaults and checks, with messages naming the key. */
export function parseSyslogOptions(opts: Readonly<Record<string, string>>): SyslogOptions {
  for (const k of Object.keys(opts)) if (!KEYS.has(k)) throw unknownOption(k, 'syslog');
  checkAttrOptions(opts); // labels/env are accepted and unused, as Docker; their regexes are still checked
  const address = parseAddress(opts['syslog-address'] ?? '');
  if (address.kind === 'unixgram' && !unixgramSupported()) {
    // Node has no unix datagram sockets: they come from corral's native addon.
    throw new OptionError(`invalid value "${opts['syslog-address']}" for log opt syslog-address: unixgram:// needs corral's native addon, which is not built (use unix:// for a stream socket, or udp/tcp)`);
  }
  const facility = parseFacility(opts['syslog-facility']);
  const format = parseFormat(opts['syslog-format']);
  const tag = opts['tag'] || '{{.ID}}';
  // A space or control byte would end the TAG/APP-NAME field early or start a forged record.
  if (/[\x00-\x20\x7f]/.test(checkTag(tag))) {
    throw new OptionError(`invalid value ${JSON.stringify(tag)} for log opt tag: a syslog tag cannot contain spaces or control characters`);
  }
  const tlsWanted = address.kind === 'tcp+tls'; // Docker reads the files only for tcp+tls
  const tls: TlsFiles = {
    ca: tlsWanted ? readTlsFile(TLS_FILE_OPTS.ca, opts[TLS_FILE_OPTS.ca]) : undefined,
    cert: tlsWanted ? readTlsFile(TLS_FILE_OPTS.cert, opts[TLS_FILE_OPTS.cert]) : undefined,
    key: tlsWanted ? readTlsFile(TLS_FILE_OPTS.key, opts[TLS_FILE_OPTS.key]) : undefined,
    skipVerify: 'syslog-tls-skip-verify' in opts,
  };
  if (!tls.cert !== !tls.key) {
    throw new OptionError('log opts syslog-tls-cert and syslog-tls-key go together: give both (a client certificate and its key) or neither');
  }
  return { address, facility, format, tag, tls };
}
