import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OptionError } from '../../engine/logs/driver';
import { parseAwsLogsOptions } from '../../drivers/awslogs/options';
import { regionOfEndpoint, streamName } from '../../drivers/awslogs/options';
import { strftimeToRegexSource } from '../../drivers/awslogs/strftime';

const base = { 'awslogs-group': 'g', 'awslogs-region': 'eu-west-1' };
const parse = (o: Record<string, string>, env: NodeJS.ProcessEnv = {}) => parseAwsLogsOptions(o, env);
const refuses = (o: Record<string, string>, re: RegExp, env: NodeJS.ProcessEnv = {}) =>
  assert.throws(() => parse(o, env), (e: Error) => e instanceof OptionError && re.test(e.message), JSON.stringify(o));

describe('awslogs options', () => {
  it("has Docker's defaults", () => {
    const o = parse(base);
    assert.deepEqual({ ...o, multiline: undefined }, {
      region: 'eu-west-1', endpoint: undefined, group: 'g', stream: undefined, tag: '{{.FullID}}', createGroup: false, createStream: true,
      multiline: undefined, flushIntervalMs: 5000, maxBufferedEvents: 4096, format: undefined,
    });
    const ctx = { id: 'a'.repeat(64), name: 'web', logDir: '', labels: {}, env: [], created: 0n, pid: () => 0 };
    assert.equal(streamName(o, ctx), 'a'.repeat(64), 'the stream defaults to the full id');
    assert.equal(streamName(parse({ ...base, tag: '{{.Name}}/{{.ID}}' }), ctx), `web/${'a'.repeat(12)}`);
    assert.equal(streamName(parse({ ...base, tag: '{{.Name}}', 'awslogs-stream': 'fixed' }), ctx), 'fixed', 'awslogs-stream wins over tag');
  });

  it('reads every option', () => {
    const o = parse({
      ...base, 'awslogs-endpoint': 'http://127.0.0.1:4566', 'awslogs-stream': 's', 'awslogs-create-group': 'true', 'awslogs-create-stream': 'false',
      'awslogs-force-flush-interval-seconds': '2', 'awslogs-max-buffered-events': '10', 'awslogs-format': 'json/emf', tag: '{{.Name}}',
    });
    assert.deepEqual([o.endpoint, o.stream, o.createGroup, o.createStream, o.flushIntervalMs, o.maxBufferedEvents, o.format, o.tag],
      ['http://127.0.0.1:4566', 's', true, false, 2000, 10, 'json/emf', '{{.Name}}']);
  });

  it('refuses unknown keys, a missing group and bad values, naming the key', () => {
    refuses({ ...base, 'awslogs-nope': '1' }, /^unknown log opt 'awslogs-nope' for awslogs log driver$/);
    refuses({ ...base, labels: 'a' }, /^unknown log opt 'labels' for awslogs log driver$/);
    refuses({ 'awslogs-region': 'r' }, /must specify a value for log opt 'awslogs-group'/);
    refuses({ ...base, 'awslogs-create-group': 'yes' }, /awslogs-create-group.*true or false/);
    refuses({ ...base, 'awslogs-create-stream': '2' }, /awslogs-create-stream/);
    refuses({ ...base, 'awslogs-force-flush-interval-seconds': '0' }, /positive integer for log opt 'awslogs-force-flush-interval-seconds': 0/);
    refuses({ ...base, 'awslogs-force-flush-interval-seconds': '1.5' }, /awslogs-force-flush-interval-seconds/);
    refuses({ ...base, 'awslogs-max-buffered-events': '-1' }, /positive integer for log opt 'awslogs-max-buffered-events'/);
    refuses({ ...base, 'awslogs-endpoint': 'not a url' }, /awslogs-endpoint.*URL/);
    refuses({ ...base, 'awslogs-endpoint': 'ftp://x' }, /awslogs-endpoint.*http or https/);
    refuses({ ...base, 'awslogs-format': 'json' }, /unsupported log format 'json'.*awslogs-format/);
    refuses({ ...base, 'awslogs-multiline-pattern': '(' }, /awslogs-multiline-pattern.*regular expression/);
    refuses({ ...base, tag: '{{.Nope}}' }, /log opt tag/);
  });

  it("refuses Docker's incompatible pairs", () => {
    refuses({ ...base, 'awslogs-datetime-format': '%Y', 'awslogs-multiline-pattern': '^x' },
      /you cannot configure log opt 'awslogs-datetime-format' and 'awslogs-multiline-pattern' at the same time/);
    refuses({ ...base, 'awslogs-format': 'json/emf', 'awslogs-multiline-pattern': '^x' }, /when log opt 'awslogs-format' is set to 'json\/emf'/);
  });

  it('takes the region from the option, then AWS_REGION, then the endpoint; else says how to set it', () => {
    assert.equal(parse({ ...base }, { AWS_REGION: 'us-west-2' }).region, 'eu-west-1');
    assert.equal(parse({ 'awslogs-group': 'g' }, { AWS_REGION: 'us-west-2' }).region, 'us-west-2');
    assert.equal(parse({ 'awslogs-group': 'g', 'awslogs-endpoint': 'https://logs.ap-south-1.amazonaws.com' }).region, 'ap-south-1');
    assert.equal(regionOfEndpoint('https://logs-fips.us-gov-west-1.amazonaws.com'), 'us-gov-west-1');
    assert.equal(regionOfEndpoint('https://logs.cn-north-1.amazonaws.com.cn'), 'cn-north-1');
    refuses({ 'awslogs-group': 'g' }, /cannot determine region for awslogs driver.*awslogs-region.*AWS_REGION/);
    refuses({ 'awslogs-group': 'g', 'awslogs-endpoint': 'http://127.0.0.1:1' }, /cannot determine region/);
  });

  it("turns awslogs-datetime-format into Docker's regular expression", () => {
    assert.equal(strftimeToRegexSource('%Y-%m-%d'), '\\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[1,2][0-9]|3[0,1])');
    assert.equal(strftimeToRegexSource('[%b %d, %Y %H:%M:%S%L %p]'),
      '[(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (?:0[1-9]|[1,2][0-9]|3[0,1]), \\d{4} (?:[0,1][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\\.\\d{3} [A,P]M]');
    assert.equal(strftimeToRegexSource('%Q%%x'), 'x', 'unknown sequences vanish, as in Docker');
    const re = parse({ ...base, 'awslogs-datetime-format': '%Y-%m-%dT%H:%M:%S' }).multiline!;
    assert.ok(re.test('2024-02-29T23:59:01 boot'));
    assert.ok(!re.test('    at main (app.js:1)'));
    const ci = parse({ ...base, 'awslogs-multiline-pattern': '(?i)^error' }).multiline!;
    assert.ok(ci.test('ERROR x') && !ci.test('x error'), 'a leading (?i) works as in Go');
  });
});
