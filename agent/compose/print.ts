import { stringify } from 'yaml';
import { Project } from './model';

/**
 * `corral config`: the file as `up` will apply it, as YAML that is itself a valid corral.yaml:
 * defaults folded in, commands as lists, env files and `KEY`-from-the-shell resolved into
 * `env`, paths absolute.
 */
export function configText(p: Project): string {
  const workloads: Record<string, unknown> = {};
  for (const s of p.services) {
    const env = Object.fromEntries((s.request.env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    const logging = s.logging.map((e) => (Object.keys(e.options).length ? e : { driver: e.driver }));
    workloads[s.name] = {
      command: s.command,
      workdir: s.workdir,
      ...(Object.keys(env).length ? { env } : {}),
      ...(s.user !== undefined ? { user: s.user } : {}),
      ...(Object.keys(s.labels).length ? { labels: s.labels } : {}),
      restart: s.restart,
      ...(Object.keys(s.resources).length ? { resources: s.resources } : {}),
      ...(logging.length ? { logging: logging.length === 1 ? logging[0] : logging } : {}),
      ...(s.replicas !== undefined ? { replicas: s.replicas } : {}),
    };
  }
  return `# project ${p.name}, from ${p.file}\n${stringify({ workloads })}`;
}
