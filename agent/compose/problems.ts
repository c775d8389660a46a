/** A key path into corral.yaml: ['workloads', 'web', 'resources', 'memory'], list items by index. */
export type KeyPath = readonly (string | number)[];

/** One mistake in the file: where (line, key) and what. */
export interface Problem {
  path: KeyPath;
  message: string;
  /** 1-based; absent when the mistake has no place in the file (it cannot be read). */
  line?: number;
}

/** `workloads.web.resources.memory`, `workloads.web.logging[1].driver`. */
export function keyText(path: KeyPath): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : `${out ? '.' : ''}${seg}`;
  return out;
}

/** `corral.yaml:12: workloads.web.resources.memory: invalid size: '12q'`. */
export function problemText(file: string, p: Problem): string {
  const where = p.line !== undefined ? `${file}:${p.line}` : file;
  return p.path.length ? `${where}: ${keyText(p.path)}: ${p.message}` : `${where}: ${p.message}`;
}

/** In file order, each once (a bad default is found through every workload that inherits it). */
export function sortedUnique(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return [...problems]
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
    .filter((p) => { const k = `${p.line}\0${keyText(p.path)}\0${p.message}`; return !seen.has(k) && !!seen.add(k); });
}

/** The file is wrong: every problem found, one line each. corral exits 125 and changes nothing. */
export class ComposeError extends Error {
  readonly exitCode = 125;
  constructor(readonly file: string, readonly problems: readonly Problem[]) {
    super(problems.map((p) => problemText(file, p)).join('\n'));
    this.name = 'ComposeError';
  }
}
