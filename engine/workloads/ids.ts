import { randomBytes } from 'node:crypto';

/** 64 lowercase hex characters, like Docker's ids. */
export function newId(): string {
  return randomBytes(32).toString('hex');
}

const ADJECTIVES = ['brave', 'calm', 'eager', 'fond', 'gentle', 'happy', 'keen', 'lucid', 'merry', 'nimble', 'proud', 'quiet', 'rapid', 'steady', 'tidy', 'vivid', 'witty', 'zealous'];
const NOUNS = ['badger', 'bison', 'crane', 'falcon', 'gecko', 'heron', 'ibex', 'jackal', 'lynx', 'marten', 'otter', 'puffin', 'raven', 'stoat', 'tapir', 'walrus', 'yak', 'zebu'];

/** A readable generated name (adjective_noun), as Docker gives unnamed containers. */
export function randomName(taken: (n: string) => boolean): string {
  for (let i = 0; ; i++) {
    const a = ADJECTIVES[randomBytes(1)[0]! % ADJECTIVES.length]!;
    const n = NOUNS[randomBytes(1)[0]! % NOUNS.length]!;
    const name = i < 10 ? `${a}_${n}` : `${a}_${n}${i}`;
    if (!taken(name)) return name;
  }
}
