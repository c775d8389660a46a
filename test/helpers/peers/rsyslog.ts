import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestCerts } from './certs';

const RECORD_FIELDS = ['msg', 'rawmsg', 'timereported', 'hostname', 'syslogtag', 'programname', 'inputname', 'pri', 'syslogfacility',
  'syslogseverity', 'protocol-version', 'structured-data', 'app-name', 'procid', 'msgid'] as const;

/** One message as rsyslog parsed it (the fields of its %jsonmesg% the tests look at). */
export interface RsyslogRecord {
  msg: string;
  rawmsg: string;
  timereported: string;
  hostname: string;
  syslogtag: string;
  programname: string;
  inputname: string;
  pri: string;
  syslogfacility: string;
  syslogseverity: string;
  'protocol-version': string;
  'structured-data': string;
  'app-name': string;
  procid: string;
  msgid: string;
}

export interface RsyslogListeners {
  /** imudp and imtcp on one port. */
  plain?: boolean;
  /** imtcp over TLS (gtls): `anon` checks nothing of the client, `mutual` wants a certificate from certs.ca. */
  tls?: { certs: TestCerts; mutual?: boolean };
  /** imptcp on a unix stream socket. */
  unix?: boolean;
  /** imuxsock on a unix datagram socket (what /dev/log usually is). */
  unixgram?: boolean;
}

export function rsyslogInstalled(): boolean {
  try {
    execFileSync('rsyslogd', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const gnutlsInstalled = (): boolean => fs.existsSync('/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so');

/** A TCP port that is also free for UDP (both listeners share it). */
async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
      s.on('error', reject);
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = dgram.createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free port pair');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A private rsyslogd on 127.0.0.1 (its config, spool and output in a temp folder), started and stopped by the test. */
export class Rsyslog {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-rsyslog-'));
  port = 0;
  tlsPort = 0;
  get unixPath(): string { return path.join(this.dir, 'log.sock'); }
  get unixgramPath(): string { return path.join(this.dir, 'dgram.sock'); }
  private get output(): string { return path.join(this.dir, 'messages.json'); }
  private proc: ChildProcess | undefined;

  private constructor(private readonly want: RsyslogListeners) {}

  static async start(want: RsyslogListeners): Promise<Rsyslog> {
    const r = new Rsyslog(want);
    if (want.plain) r.port = await freePort();
    if (want.tls) r.tlsPort = await freePort();
    fs.mkdirSync(path.join(r.dir, 'spool'));
    fs.writeFileSync(path.join(r.dir, 'rsyslog.conf'), r.config());
    await r.up();
    return r;
  }

  private config(): string {
    const { plain, tls, unix } = this.want;
    const lines = [
      `global(workDirectory="${this.dir}/spool" maxMessageSize="64k")`,
      'module(load="imudp")', 'module(load="imtcp")', 'module(load="imptcp")',
      // %jsonmesg% minus fromhost-ip, which holds raw bytes for unix sockets and is not valid JSON then.
      `template(name="json" type="list" option.jsonf="on") { ${RECORD_FIELDS.map((f) => `property(outname="${f}" name="${f}" format="jsonf"${f === 'timereported' ? ' dateFormat="rfc3339"' : ''})`).join(' ')} }`,
      `ruleset(name="remote") { action(type="omfile" file="${this.output}" template="json") }`,
    ];
    if (plain) {
      lines.push(`input(type="imudp" address="127.0.0.1" port="${this.port}" ruleset="remote")`);
      lines.push(`input(type="imtcp" address="127.0.0.1" port="${this.port}" ruleset="remote")`);
    }
    if (tls) {
      lines.push(`input(type="imtcp" address="127.0.0.1" port="${this.tlsPort}" ruleset="remote" streamDriver.name="gtls" streamDriver.mode="1" `
        + `streamDriver.authMode="${tls.mutual ? 'x509/certvalid' : 'anon'}" streamDriver.CAFile="${tls.certs.ca}" `
        + `streamDriver.CertFile="${tls.certs.serverCert}" streamDriver.KeyFile="${tls.certs.serverKey}")`);
    }
    if (unix) lines.push(`input(type="imptcp" path="${this.unixPath}" unlink="on" ruleset="remote")`);
    if (this.want.unixgram) {
      lines.push('module(load="imuxsock" SysSock.Use="off")');
      lines.push(`input(type="imuxsock" Socket="${this.unixgramPath}" Ruleset="remote" UseSysTimeStamp="off" IgnoreOwnMessages="off")`);
    }
    return lines.join('\n') + '\n';
  }

  /** Starts rsyslogd and waits until every listener is there. */
  async up(): Promise<void> {
    const log = fs.openSync(path.join(this.dir, 'rsyslogd.out'), 'a');
    const proc = spawn('rsyslogd', ['-n', '-f', path.join(this.dir, 'rsyslog.conf'), '-i', path.join(this.dir, 'rsyslogd.pid')], { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.proc = proc;
    for (let i = 0; i < 250; i++) {
      if (proc.exitCode !== null || proc.signalCode !== null) break;
      if (this.listening()) return;
      await sleep(20);
    }
    await this.down();
    throw new Error(`rsyslogd did not start: ${fs.readFileSync(path.join(this.dir, 'rsyslogd.out'), 'utf8')}`);
  }

  private listening(): boolean {
    const ss = (args: string[]) => execFileSync('ss', ['-H', ...args], { encoding: 'utf8' }).trim() !== '';
    if (this.want.plain && !(ss(['-ltn', `sport = :${this.port}`]) && ss(['-lun', `sport = :${this.port}`]))) return false;
    if (this.want.tls && !ss(['-ltn', `sport = :${this.tlsPort}`])) return false;
    if (this.want.unix && !fs.existsSync(this.unixPath)) return false;
    if (this.want.unixgram && !fs.existsSync(this.unixgramPath)) return false;
    return true;
  }

  /** Stops rsyslogd (SIGTERM): its listeners and connections go away. */
  async down(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  }

  /** Everything rsyslog has written so far, in arrival order. */
  records(): RsyslogRecord[] {
    if (!fs.existsSync(this.output)) return [];
    const text = fs.readFileSync(this.output, 'utf8');
    // Only whole lines: rsyslog may be writing the last one.
    return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map((l) => JSON.parse(l) as RsyslogRecord);
  }

  /** Waits (bounded: about 10 s, or deadlineMs) until `n` records match. */
  async waitFor(what: string, match: (r: RsyslogRecord) => boolean, n = 1, deadlineMs = 10_000): Promise<RsyslogRecord[]> {
    for (let i = 0; i < deadlineMs / 20; i++) {
      const got = this.records().filter(match);
      if (got.length >= n) return got;
      await sleep(20);
    }
    throw new Error(`rsyslog never got ${n} x ${what}; it has: ${JSON.stringify(this.records().slice(-5))}`);
  }

  async close(): Promise<void> {
    await this.down();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
