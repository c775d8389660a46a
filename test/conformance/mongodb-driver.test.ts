import { mongodb } from '../../drivers/mongodb';
import { MongoPeer } from '../helpers/peers/mongodb';
import { Doc } from '../helpers/peers/mongodb-query';
import { DriverPeer, ReceivedLine, driverConformance } from './driver';

/** A stored document as the suite compares lines: partial fields and attrs read back from BSON. */
export function receivedLine(d: Doc): ReceivedLine {
  const line: ReceivedLine = { stream: d['source'] as 'stdout' | 'stderr', text: String(d['log']) };
  if (d['partial_message']) line.partial = { id: String(d['partial_id']), ordinal: Number(d['partial_ordinal']), last: Boolean(d['partial_last']) };
  if (d['attrs']) line.attrs = d['attrs'] as Record<string, string>;
  return line;
}

/** The wire-protocol peer: down() stops listening and cuts connections, up() listens on the same port. */
async function mongoPeer(): Promise<DriverPeer> {
  const peer = await MongoPeer.start({ recordCommands: false });
  return {
    options: { 'mongodb-uri': peer.uri, 'mongodb-database': 'conf', 'mongodb-collection': 'lines' },
    received: () => peer.documents('conf', 'lines').map(receivedLine),
    down: () => peer.down(),
    up: () => peer.up(),
    close: () => peer.close(),
  };
}

driverConformance({ def: mongodb, startPeer: mongoPeer, carriesPartials: true, labelsOption: 'labels', acknowledged: true });
