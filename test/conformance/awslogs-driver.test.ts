import { awslogs } from '../../drivers/awslogs';
import { ACCESS_KEY_ID, CloudWatchPeer, SECRET_ACCESS_KEY } from '../helpers/peers/cloudwatch';
import { DriverPeer, ReceivedLine, driverConformance } from './driver';

// The SDK's default credential chain reads these: the same path a real agent takes.
process.env['AWS_ACCESS_KEY_ID'] = ACCESS_KEY_ID;
process.env['AWS_SECRET_ACCESS_KEY'] = SECRET_ACCESS_KEY;
process.env['AWS_EC2_METADATA_DISABLED'] = 'true';

/** The suite's lines are stamped in November 2023: the peer's clock stands a minute later, so none is too old. */
const SUITE_NOW = 1_700_000_060_000;

async function cloudWatchPeer(): Promise<DriverPeer> {
  const peer = await CloudWatchPeer.start({ now: () => SUITE_NOW });
  return {
    options: { 'awslogs-region': 'us-east-1', 'awslogs-endpoint': peer.endpoint, 'awslogs-group': 'conformance', 'awslogs-create-group': 'true' },
    // A CloudWatch event is a time and a message: which stream it came from is not on the wire.
    received: (): ReceivedLine[] => peer.allEvents('conformance').map((e) => ({ stream: 'stdout', text: e.message })),
    down: () => peer.down(),
    up: () => peer.up(),
    close: () => peer.close(),
  };
}

driverConformance({ def: awslogs, startPeer: cloudWatchPeer, carriesPartials: false, carriesStream: false, joinsPartials: true, acknowledged: true });
