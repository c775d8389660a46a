/** What corral says when asked to change a workload it only watches (API, CLI and top alike). */
export function readOnlyMessage(name: string): string {
  return `${name} is watched, not managed by corral (read-only)`;
}
