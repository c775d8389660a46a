import { fluentd } from '../../drivers/fluentd';
import { FluentdPeer } from '../helpers/peers/fluentd';
import { DriverPeer, ReceivedLine, driverConformance } from './driver';

const DOCKER_FIELDS = new Set(['container_id', 'container_name', 'source', 'log', 'partial_message', 'partial_id', 'partial_ordinal', 'partial_last']);

/** A record as the suite compares lines: Docker's partial fields decoded, every other extra key an attribute. */
function receivedLine(r: Record<string, unknown>): ReceivedLine {
  const line: ReceivedLine = { stream: r['source'] as 'stdout' | 'stderr', text: String(r['log']) };
  if (r['partial_message'] === 'true') line.partial = { id: String(r['partial_id']), ordinal: Number(r['partial_ordinal']), last: r['partial_last'] === 'true' };
  const attrs = Object.entries(r).filter(([k]) => !DOCKER_FIELDS.has(k));
  if (attrs.length) line.attrs = Object.fromEntries(attrs.map(([k, v]) => [k, String(v)]));
  return line;
}

/** The Forward Protocol peer: down() stops listening and cuts connections, up() listens on the same port. */
async function forwardPeer(): Promise<DriverPeer> {
  const peer = await FluentdPeer.start();
  return {
    // request-ack: what the outlet counts as sent is what the peer stored.
    options: { 'fluentd-address': peer.address, 'fluentd-request-ack': 'true', 'fluentd-retry-wait': '50ms', 'fluentd-read-timeout': '2s' },
    received: () => peer.events.map((e) => receivedLine(e.record)),
    down: () => peer.down(),
    up: () => peer.up(),
    close: () => peer.close(),
  };
}

driverConformance({ def: fluentd, startPeer: forwardPeer, carriesPartials: true, labelsOption: 'labels', acknowledged: true });
