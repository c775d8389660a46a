import { Command } from 'commander';

/**
 * The examples `--help` ends with, by command path ('' is corral itself). One place for all of
 * them: test/e2e/help.test.ts parses each with its command's own parser, so a renamed flag
 * breaks the test rather than the reader. A `# line` says what the example after it does.
 */
export const EXAMPLES: Record<string, string[]> = {
  '': [
    '# a workload with Docker\'s flags, then its logs and usage',
    'corral run -d --name web -m 256m --cpus 1.5 -- node server.js',
    'corral logs -f web',
    'corral top',
    '# a private agent and data root (CORRAL_ROOT does the same)',
    'corral --data-root /tmp/corral ps -a',
  ],
  agent: [
    '# in the foreground, workloads left running when it stops',
    'corral agent --live-restore',
    '# also show Docker containers and systemd services, read-only',
    'corral agent --watch-docker --watch-systemd --watch-cgroup /myapp/worker',
    '# install the systemd unit (then: systemctl daemon-reload && systemctl enable --now corral)',
    'corral agent --install',
    'corral agent --metrics-addr 0.0.0.0:9323 --hostname web-01',
    '# the web view on loopback, with stop/restart buttons; behind a token when reachable from elsewhere',
    'corral agent --web-addr 127.0.0.1:9324 --web-allow-control',
    'corral agent --web-addr 0.0.0.0:9324 --web-token-file /etc/corral/web-token',
  ],
  run: [
    'corral run -d --name web -m 256m --memory-swap 512m --cpus 1.5 --restart unless-stopped -- node server.js',
    '# attached: prints the output, exits with the workload\'s code',
    'corral run --rm -e MODE=once -w /srv/app -- ./migrate.sh --dry-run',
    'corral run -d --name api --log-driver fluentd --log-opt fluentd-address=127.0.0.1:24224 -l team=edge -- ./api',
    '# to the journal (journalctl CONTAINER_NAME=job), with a disk spool while journald is away',
    'corral run -d --name job --log-driver journald --log-opt spool-dir=default -- ./job',
  ],
  create: ['# made, not started (corral start batch starts it)', 'corral create --name batch -m 1g --pids-limit 100 -- python3 job.py'],
  start: ['corral start web', 'corral start web worker-1 worker-2'],
  stop: ['corral stop web', '# 30 seconds to exit after SIGTERM, then SIGKILL', 'corral stop -t 30 web worker-1'],
  restart: ['corral restart web', 'corral restart -t 5 web'],
  kill: ['corral kill web', 'corral kill -s SIGHUP web'],
  rm: ['corral rm web', '# stop it first if it runs', 'corral rm -f web worker-1'],
  wait: ['corral wait batch'],
  ps: ['corral ps', 'corral ps -a', 'corral ps -aq --no-trunc', 'corral ps --format json'],
  inspect: ['corral inspect web', 'corral inspect --no-redact web worker-1'],
  logs: [
    'corral logs -f --tail 100 web',
    'corral logs --since 10m --until 2m -t web',
    '# any Docker json-file log, with its rotated siblings; no agent needed',
    'corral logs --file /var/lib/docker/containers/ID/ID-json.log --since 2024-05-01T10:00:00Z',
    'corral logs --from mongodb --mongodb-uri mongodb://127.0.0.1:27017 --host web-01 web',
  ],
  events: [
    'corral events',
    'corral events --since 1h --filter event=oom --filter event=die',
    'corral events --since 30m --until 10m --filter container=web --format json',
    'corral events --filter label=team=edge --filter host=web-01',
  ],
  update: ['corral update -m 512m --memory-swap 1g web', 'corral update --cpus 2 --pids-limit 200 web worker-1'],
  stats: ['corral stats', 'corral stats --no-stream web', 'corral stats -a --no-stream --format json'],
  top: ['corral top', '# no terminal UI: print the table three times and exit', 'corral top --no-tui -n 3', 'corral top -a'],
  up: [
    '# ./corral.yaml, else /etc/corral/corral.yaml',
    'corral up -d',
    'corral up -f /srv/shop/corral.yaml -p shop -t 30',
  ],
  down: ['corral down', 'corral down -p shop -t 5'],
  config: ['corral config', 'corral config -q -f /etc/corral/corral.yaml'],
  system: ['corral system info', 'corral system df -v', 'corral system prune -f'],
  'system info': ['corral system info', 'corral system info --format json'],
  'system df': ['corral system df', 'corral system df -v --format json'],
  'system prune': ['corral system prune', '# no question asked', 'corral system prune -f', '# also the unsent spools of removed workloads', 'corral system prune -f --spools'],
  web: ['# prints the address of the running agent\'s page, opens it when there is a display', 'corral web', 'corral web --no-open'],
  completion: ['corral completion bash > /etc/bash_completion.d/corral', 'corral completion zsh > "${fpath[1]}/_corral"'],
};

/** The command's path below corral: 'system prune'. */
export function pathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Ends every command's --help with its examples. */
export function addExamples(program: Command): void {
  const visit = (cmd: Command) => {
    const lines = EXAMPLES[pathOf(cmd)];
    if (lines) cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
    cmd.commands.forEach(visit);
  };
  visit(program);
}
