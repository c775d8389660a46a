import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { METRIC_NAMES } from '../../agent/metrics/names';

const DASHBOARDS = path.join(__dirname, '..', '..', '..', 'dashboards');
const DIR = path.join(DASHBOARDS, 'prometheus');
const GRAFANA = path.join(DASHBOARDS, 'grafana');
const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

/** Every `expr:` of a rules file (one line each in ours). */
function expressions(file: string): string[] {
  return [...fs.readFileSync(path.join(DIR, file), 'utf8').matchAll(/^\s*expr:\s*(.+)$/gm)].map((m) => m[1]!);
}

const RECORDED = new Set([...fs.readFileSync(path.join(DIR, 'rules.yml'), 'utf8').matchAll(/record:\s*(\S+)/g)].map((m) => m[1]!));
/** Series Prometheus makes itself, which rules may use besides corral's. */
const PROMETHEUS_OWN = new Set(['up']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'inf', 'nan', 'atan2']);

/**
 * The metric names a PromQL expression selects: what is left once strings, label matchers,
 * ranges and label lists are gone, minus functions (followed by "(") and keywords.
 */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names: string[] = [];
  for (const m of bare.matchAll(/(?<![\w.$])[a-zA-Z_:][\w:]*/g)) {
    if (bare.slice(m.index! + m[0].length).trimStart().startsWith('(')) continue;
    if (!KEYWORDS.has(m[0].toLowerCase())) names.push(m[0]);
  }
  return names;
}

/** Names in exprs that are neither exported by corral (names.ts), recorded by rules.yml nor Prometheus' own. */
function unknownNames(exprs: readonly string[]): string[] {
  return exprs.flatMap((e) => metricNames(e).filter((n) => !METRIC_NAMES.includes(n) && !RECORDED.has(n) && !PROMETHEUS_OWN.has(n)).map((n) => `${n} in ${e}`));
}

/** Dashboard JSON is checked field by field below, so it stays untyped. */
type Json = any;

/** Panels in layout order, rows' nested (collapsed) panels included. */
function allPanels(d: Json): Json[] {
  return (d.panels as Json[]).flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** A Grafana template query as PromQL: label_values(selector, label) -> selector. */
function variableExpr(v: Json): string {
  const q: string = typeof v.query === 'string' ? v.query : v.query.query;
  const m = /^label_values\((.+),\s*(\w+)\)$/.exec(q.trim());
  assert.ok(m, `variable ${v.name}: only label_values(selector, label) queries are used: ${q}`);
  return m[1]!;
}

/** Every PromQL expression of a dashboard: panel targets, templating queries, annotations. */
function dashboardExprs(d: Json): string[] {
  return [
    ...allPanels(d).flatMap((p) => (p.targets ?? []).map((t: Json) => t.expr as string)),
    ...d.templating.list.filter((v: Json) => v.type === 'query').map(variableExpr),
    ...d.annotations.list.filter((a: Json) => a.expr).map((a: Json) => a.expr as string),
  ];
}

/** Every value of a `datasource` key, anywhere in the JSON. */
function datasources(node: Json, found: Json[] = []): Json[] {
  if (Array.isArray(node)) node.forEach((n) => datasources(n, found));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'datasource') found.push(v);
      else datasources(v, found);
    }
  }
  return found;
}

const BUILTIN_VARS = new Set(['__rate_interval', '__interval', '__range']);
const FILES = fs.existsSync(GRAFANA) ? fs.readdirSync(GRAFANA).filter((f) => f.endsWith('.json')).sort() : [];
const load = (f: string): Json => JSON.parse(fs.readFileSync(path.join(GRAFANA, f), 'utf8'));

describe('alert and recording rules', () => {
  it('reference only metrics corral exports (names.ts) or recording rules defined here', () => {
    assert.deepEqual(unknownNames([...expressions('rules.yml'), ...expressions('alerts.yml')]), []);
  });

  it('pass promtool check rules and the promtool unit tests', { skip: hasPromtool ? false : 'promtool missing: apt-get install prometheus' }, () => {
    const check = spawnSync('promtool', ['check', 'rules', 'rules.yml', 'alerts.yml'], { cwd: DIR, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    const test = spawnSync('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: DIR, encoding: 'utf8' });
    assert.equal(test.status, 0, test.stdout + test.stderr);
    assert.match(test.stdout, /SUCCESS/);
  });
});

describe('metric name extraction (used by the checks below)', () => {
  it('finds selectors and skips functions, keywords, labels, ranges and strings', () => {
    assert.deepEqual(metricNames('sum by (name) (rate(container_cpu_usage_seconds_total{cpu="total", name=~"$name"}[$__rate_interval]))'), ['container_cpu_usage_seconds_total']);
    assert.deepEqual(metricNames('a:b:c / d and on (driver) group by (driver) (e{x="f"}) > 0.9e3 or vector(1) offset 5m'), ['a:b:c', 'd', 'e']);
    assert.deepEqual(metricNames('time() - max without (instance, job) (x > 0)'), ['x']);
    assert.deepEqual(unknownNames(['container_memory_rss + nope_total']), ['nope_total in container_memory_rss + nope_total']);
  });
});

describe('Grafana dashboards', () => {
  it('are fleet.json and workload.json', () => {
    assert.deepEqual(FILES, ['fleet.json', 'workload.json']);
  });

  for (const file of FILES) {
    describe(file, () => {
      const d = load(file);

      it('query only metrics corral exports (names.ts) or recording rules from rules.yml', () => {
        const exprs = dashboardExprs(d);
        assert.ok(exprs.length > 5);
        assert.deepEqual(unknownNames(exprs), []);
      });

      it('use only their own template variables and Grafana\'s interval variables', () => {
        const own = new Set(d.templating.list.map((v: Json) => v.name as string));
        const bad = dashboardExprs(d).flatMap((e) => [...e.matchAll(/\$\{?(\w+)\}?|\[\[(\w+)\]\]/g)].map((m) => m[1] ?? m[2]!))
          .filter((v) => !own.has(v) && !BUILTIN_VARS.has(v));
        assert.deepEqual(bad, []);
      });

      it('import as they are: a DS_PROMETHEUS input that every datasource refers to', () => {
        assert.deepEqual(d.__inputs.map((i: Json) => [i.name, i.type, i.pluginId]), [['DS_PROMETHEUS', 'datasource', 'prometheus']]);
        const req = new Set(d.__requires.map((r: Json) => `${r.type}:${r.id}`));
        for (const need of ['grafana:grafana', 'datasource:prometheus', ...allPanels(d).filter((p) => p.type !== 'row').map((p) => `panel:${p.type}`)]) {
          assert.ok(req.has(need), `__requires lists ${need}`);
        }
        const ds = datasources(d);
        assert.ok(ds.length > 0);
        for (const s of ds) assert.deepEqual(s, { type: 'prometheus', uid: '${DS_PROMETHEUS}' });
        assert.ok(d.schemaVersion >= 36 && d.schemaVersion <= 41, `schemaVersion ${d.schemaVersion}`);
        assert.equal(d.id, null, 'no instance id: Grafana assigns one on import');
        assert.match(d.uid, /^[a-z0-9-]{1,40}$/);
        assert.ok(d.title);
      });

      it('have panels with unique ids, a grid position each, no overlaps, and queries', () => {
        const panels = allPanels(d);
        const ids = panels.map((p) => p.id);
        assert.equal(new Set(ids).size, ids.length, `unique panel ids: ${ids}`);
        const cells = new Map<string, number>();
        for (const p of panels) {
          assert.ok(['row', 'timeseries', 'stat', 'table'].includes(p.type), `panel ${p.id} type ${p.type}`);
          assert.ok(p.title, `panel ${p.id} has a title`);
          const g = p.gridPos;
          assert.ok(g && [g.h, g.w, g.x, g.y].every(Number.isInteger) && g.h > 0 && g.w > 0 && g.x >= 0 && g.x + g.w <= 24, `panel ${p.id} gridPos ${JSON.stringify(g)}`);
          for (let x = g.x; x < g.x + g.w; x++) {
            for (let y = g.y; y < g.y + g.h; y++) {
              const other = cells.get(`${x},${y}`);
              assert.equal(other, undefined, `panel ${p.id} overlaps panel ${other}`);
              cells.set(`${x},${y}`, p.id);
            }
          }
          if (p.type === 'row') continue;
          assert.deepEqual(p.datasource, { type: 'prometheus', uid: '${DS_PROMETHEUS}' });
          assert.ok(p.targets?.length > 0, `panel ${p.id} has targets`);
          const refs = p.targets.map((t: Json) => t.refId);
          assert.equal(new Set(refs).size, refs.length, `panel ${p.id} refIds unique`);
          for (const t of p.targets) assert.ok(typeof t.expr === 'string' && t.expr.trim(), `panel ${p.id} ${t.refId} has an expr`);
        }
      });

      it('pick workloads with label_values(corral_workload_state{host=~"$host"}, name)', () => {
        const name = d.templating.list.find((v: Json) => v.name === 'name');
        assert.ok(name, 'a name variable');
        assert.equal(variableExpr(name), 'corral_workload_state{host=~"$host"}');
        assert.deepEqual(name.datasource, { type: 'prometheus', uid: '${DS_PROMETHEUS}' });
      });

      it('pick hosts with label_values(corral_workload_state, host), before the workload', () => {
        const vars = d.templating.list.map((v: Json) => v.name);
        assert.ok(vars.indexOf('host') >= 0 && vars.indexOf('host') < vars.indexOf('name'), `variables ${vars}`);
        const host = d.templating.list.find((v: Json) => v.name === 'host');
        assert.equal(variableExpr(host), 'corral_workload_state');
        assert.equal(host.multi, file === 'fleet.json');
      });

      it('narrow every selector to the chosen hosts (host=~"$host")', () => {
        // Each metric name with its selector, if any; only the host variable's own query lists every host.
        const unfiltered = dashboardExprs(d).filter((e) => e !== 'corral_workload_state')
          .flatMap((e) => [...e.matchAll(/([a-zA-Z_:][\w:]*)(\{[^}]*\})?/g)]
            .filter((m) => (METRIC_NAMES.includes(m[1]!) || RECORDED.has(m[1]!)) && !m[2]?.includes('host=~"$host"'))
            .map((m) => `${m[0]} in ${e}`));
        assert.deepEqual(unfiltered, []);
      });
    });
  }

  it('workload.json narrows every query to the chosen workload ($name)', () => {
    const d = load('workload.json');
    const exprs = [...allPanels(d).flatMap((p) => (p.targets ?? []).map((t: Json) => t.expr as string)), ...d.annotations.list.map((a: Json) => a.expr as string)];
    assert.deepEqual(exprs.filter((e) => !e.includes('name="$name"')), []);
    assert.equal(d.templating.list.find((v: Json) => v.name === 'name').multi, false);
  });

  it('use every recording rule of rules.yml', () => {
    const used = new Set(FILES.flatMap((f) => dashboardExprs(load(f)).flatMap(metricNames)));
    assert.deepEqual([...RECORDED].filter((r) => !used.has(r)), []);
  });
});
