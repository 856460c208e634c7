/**
 * CPU readings of `npm run bench:remote`: the Redis server's (`INFO cpu`), the measuring
 * process's, and its worker processes' (Linux `/proc/PID/stat`), and their use per 1,000 tasks
 * between two readings. It reads; the script decides what to compare.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';

/** CPU seconds used so far: by Redis (from INFO), by this process, by worker processes (from /proc). */
export interface CpuReading {
  readonly redis: number;
  readonly producer: number;
  readonly workers: number;
}

export async function cpuNow(url: string, workers: readonly ChildProcess[]): Promise<CpuReading> {
  const client = new Redis(url);
  const info = await client.info('cpu');
  client.disconnect();
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  const own = process.cpuUsage();
  return {
    redis: field('used_cpu_user') + field('used_cpu_sys'),
    producer: (own.user + own.system) / 1e6,
    workers: workers.reduce((sum, child) => sum + processCpu(child), 0),
  };
}

/** utime + stime of a child in seconds (Linux `/proc/PID/stat`; 0 elsewhere). */
function processCpu(child: ChildProcess): number {
  try {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** `getconf CLK_TCK` on Linux. */
const CLOCK_TICKS = 100;

/** CPU ms per 1000 tasks used since `before`: Redis, this process (the scheduler, or the raw producer), the workers, all. */
export interface CpuPer1000 {
  readonly redis: number;
  readonly producer: number;
  readonly workers: number;
  readonly total: number;
}

/** CPU ms per 1000 of `tasks` used since `before` (read from Redis at `url` and from `workers`). */
export async function cpuSince(url: string, tasks: number, before: CpuReading, workers: readonly ChildProcess[]): Promise<CpuPer1000> {
  const after = await cpuNow(url, workers);
  const per1000 = (seconds: number) => Math.round((seconds * 1e6) / tasks);
  const redis = per1000(after.redis - before.redis);
  const producer = per1000(after.producer - before.producer);
  const workerMs = per1000(after.workers - before.workers);
  return { redis, producer, workers: workerMs, total: redis + producer + workerMs };
}
