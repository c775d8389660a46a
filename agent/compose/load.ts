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

/** `-f FILE`, else `$CORRAL_FILE`, else `./corral.yaml`. */
export function composeFile(flag: string | undefined): { file: string; display: string } {
  const given = flag ?? process.env['CORRAL_FILE'] ?? 'corral.yaml';
  return { file: path.resolve(given), display: given };
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
    throw new ComposeError(display, [{ path: [], message: code === 'ENOENT' ? 'no such file (give another with -f FILE or CORRAL_FILE)' : (e as Error).message }]);
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
