import * as path from 'node:path';

/** The default data root: /var/lib/corral for root, else under $XDG_STATE_HOME. */
export function defaultDataRoot(): string {
  if (process.env['CORRAL_ROOT']) return process.env['CORRAL_ROOT'];
  if (process.getuid?.() === 0) return '/var/lib/corral';
  const state = process.env['XDG_STATE_HOME'] || path.join(process.env['HOME'] ?? '/tmp', '.local', 'state');
  return path.join(state, 'corral');
}
