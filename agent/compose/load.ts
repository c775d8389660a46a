import * as fs from 'node:fs';
import * as path from 'node:path';
import { Document, LineCounter, Node, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { ComposeError, KeyPath, Problem } from './problems';

/** The file as read: its data, and the YAML document that knows where each key is. */
export interface Loaded {
  /** Absolute path. */
  file: string;
  /** How messages name it: as the user gave it. */
  display: string;
  doc: Document;
  lines: LineCounter;
  data: unknown;
}

/** Where the system-wide files live: /etc/corral, or CORRAL_ETC (tests, which must not write to /etc). */
export function etcDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['CORRAL_ETC'] || '/etc/corral';
}

/** Which corral.yaml a command takes, and why (`corral system info` shows it). */
export interface ConfigChoice {
  file: string;
  display: string;
  from: '-f' | 'CORRAL_CONFIG' | 'CORRAL_FILE' | 'cwd' | 'etc';
}

/**
 * `-f FILE`, else `$CORRAL_CONFIG` (or the older `$CORRAL_FILE`), else `./corral.yaml` when it
 * exists, else `/etc/corral/corral.yaml` when it exists (Debian's layout); undefined when none does.
 */
export function findConfig(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ConfigChoice | undefined {
  const given = flag !== undefined ? { name: flag, from: '-f' as const }
    : env['CORRAL_CONFIG'] ? { name: env['CORRAL_CONFIG'], from: 'CORRAL_CONFIG' as const }
      : env['CORRAL_FILE'] ? { name: env['CORRAL_FILE'], from: 'CORRAL_FILE' as const } : undefined;
  // A file named outright is taken as is: a missing one is an error about that file, not a fallback.
  if (given) return { file: path.resolve(cwd, given.name), display: given.name, from: given.from };
  for (const [file, display, from] of configCandidates(env, cwd)) if (fs.existsSync(file)) return { file, display, from };
  return undefined;
}

/** The files looked for when none is named, in order. */
export function configCandidates(env: NodeJS.ProcessEnv, cwd: string): Array<[string, string, 'cwd' | 'etc']> {
  const etc = path.join(etcDir(env), 'corral.yaml');
  return [[path.join(cwd, 'corral.yaml'), 'corral.yaml', 'cwd'], [etc, etc, 'etc']];
}

/** The file up/down/config use; with none, an error naming every place looked at. */
export function composeFile(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ConfigChoice {
  const found = findConfig(flag, env, cwd);
  if (found) return found;
  const looked = configCandidates(env, cwd).map(([file]) => file).join(' or ');
  throw new ComposeError('corral.yaml', [{ path: [], message: `no such file: looked for ${looked} (give one with -f FILE or CORRAL_CONFIG)` }]);
}

/** `-p NAME`, else the file's directory name, lowercased to the characters labels keep simple (as compose). */
export function projectName(flag: string | undefined, file: string): string {
  const raw = flag ?? path.basename(path.dirname(file));
  const name = raw.toLowerCase().replace(/[^a-z0-9_-]/g, '');
  if (!name) throw new ComposeError(file, [{ path: [], message: `cannot make a project name of "${raw}": give one with -p NAME` }]);
  return name;
}

/** Reads and parses the file; YAML syntax errors (and duplicate keys) fail with their lines. */
export function loadFile(file: string, display: string): Loaded {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'no such file (give another with -f FILE or CORRAL_CONFIG)'
      : code === 'EISDIR' ? `${file} is a directory, not a file (give the file with -f FILE or CORRAL_CONFIG)`
        : `cannot read ${file}: ${(e as Error).message}`;
    throw new ComposeError(display, [{ path: [], message }]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const problems: Problem[] = doc.errors.map((e) => ({ path: [], line: lines.linePos(e.pos[0]).line, message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '') }));
    throw new ComposeError(display, problems);
  }
  return { file, display, doc, lines, data: doc.toJS() };
}

/**
 * The line of a key path: the key itself when it is there, else its nearest parent that is
 * (an unknown key is reported at its own line, a missing one at its parent's).
 */
export function lineOf(l: Loaded, keys: KeyPath): number | undefined {
  let node: unknown = l.doc.contents;
  let line = startLine(l, node);
  for (const seg of keys) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
      if (!pair) break;
      line = startLine(l, pair.key) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      node = node.items[seg];
      line = startLine(l, node) ?? line;
    } else {
      break;
    }
  }
  return line;
}

function startLine(l: Loaded, node: unknown): number | undefined {
  const range = (node as Node | null)?.range;
  return range ? l.lines.linePos(range[0]).line : undefined;
}
