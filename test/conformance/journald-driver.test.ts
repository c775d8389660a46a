import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { journald } from '../../drivers/journald';
import { decodeEntry } from '../../drivers/journald/decode';
import { atTime } from '../../drivers/journald/journalctl';
import { JournalSocket } from '../../drivers/journald/socket';
import { TestJournal, journaldInstalled } from '../helpers/peers/journald';
import { CONF_ID, DriverPeer, ReceivedLine, driverConformance } from './driver';

/**
 * A real systemd-journald (shared, see the peer). The conformance id is fixed, so only entries
 * received since this peer started count. down() stops journald reading (SIGSTOP: its socket
 * queue fills and sends answer EAGAIN), up() lets it go on; with the machine's own journald,
 * which tests never pause, both are no-ops.
 */
async function journalPeer(): Promise<DriverPeer> {
  const j = await TestJournal.acquire();
  const since = atTime(BigInt(Date.now()) * 1_000_000n);
  let resume: (() => void) | undefined;
  return {
    options: {},
    received: (): ReceivedLine[] => {
      const out = execFileSync('journalctl', ['-o', 'json', '--all', '--no-pager', '-q', '--since', since, `CONTAINER_ID_FULL=${CONF_ID}`], { maxBuffer: 64 << 20, encoding: 'utf8' });
      const lines: ReceivedLine[] = [];
      for (const l of out.split('\n')) {
        const m = l ? decodeEntry(JSON.parse(l) as Record<string, unknown>) : undefined;
        if (!m) continue;
        const attrs = m.attrs ? Object.fromEntries(Object.entries(m.attrs).map(([k, v]) => [k.toLowerCase(), v])) : undefined;
        lines.push({ stream: m.stream, text: m.line.toString(), partial: m.partial, attrs });
      }
      return lines;
    },
    down: async () => { resume = j.pause(); },
    up: async () => { resume?.(); resume = undefined; },
    close: async () => { resume?.(); await j.release(); },
  };
}

if (!journaldInstalled()) {
  test('journald driver conformance', { skip: 'systemd-journald is not installed (apt-get install systemd)' }, () => {});
} else if (!JournalSocket.supported()) {
  test('journald driver conformance', { skip: 'corral\'s native addon is not built (unix datagram sockets)' }, () => {});
} else {
  driverConformance({ def: journald, startPeer: journalPeer, carriesPartials: true, labelsOption: 'labels', acknowledged: false });
}
