import { test } from 'node:test';
import { syslog } from '../../drivers/syslog';
import { Rsyslog, rsyslogInstalled } from '../helpers/peers/rsyslog';
import { DriverPeer, ReceivedLine, driverConformance } from './driver';

/** rsyslog over TCP: down() stops rsyslogd, up() starts it again on the same port. */
async function rsyslogPeer(): Promise<DriverPeer> {
  const rs = await Rsyslog.start({ plain: true });
  return {
    options: { 'syslog-address': `tcp://127.0.0.1:${rs.port}`, 'syslog-format': 'rfc5424micro' },
    received: (): ReceivedLine[] => rs.records().map((r) => ({ stream: r.syslogseverity === '3' ? 'stderr' : 'stdout', text: r.msg })),
    down: () => rs.down(),
    up: () => rs.up(),
    close: () => rs.close(),
  };
}

if (rsyslogInstalled()) {
  driverConformance({ def: syslog, startPeer: rsyslogPeer, carriesPartials: false, acknowledged: false });
} else {
  test('syslog driver conformance', { skip: 'rsyslogd is not installed (apt-get install rsyslog)' }, () => {});
}
