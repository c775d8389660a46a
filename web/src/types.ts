// The shapes of the agent's answers, as web/CONTRACT.md defines them.

export interface Info { host: string; version: string; control: boolean; historySeconds: number; intervalMs: number }

/** The JSON of agent/view/rows.ts' TopRow plus source and readOnly; unknown numbers are null. */
export interface Row {
  id: string;
  name: string;
  source: string;
  readOnly: boolean;
  state: string;
  cpuPercent: number | null;
  cpuOfLimitPercent: number | null;
  memUsage: number | null;
  memLimit: number;
  memPercent: number | null;
  blockRead: number;
  blockWrite: number;
  pids: number | null;
  throttledPercent: number | null;
  restarts: number;
  oomKills: number;
  uptime: number | null;
  pidsLimit: number | null;
  readRate: number | null;
  writeRate: number | null;
  limits: Record<string, unknown>;
}

export interface RowsFrame { t: number; rows: Row[] }

export interface Sample {
  t: number;
  cpuPercent: number | null;
  memoryBytes: number | null;
  readBytesPerSec: number | null;
  writeBytesPerSec: number | null;
  pids: number | null;
}

export interface History {
  id: string;
  name: string;
  limits: { cpuPercent: number | null; memoryBytes: number | null; pids: number | null };
  samples: Sample[];
}

export interface LogLine { t: string; stream: 'stdout' | 'stderr'; line: string; partial: boolean }

/** One event as `corral events --format json` prints it (Docker's shape). */
export interface AgentEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  time: number;
  timeNano: string;
}
