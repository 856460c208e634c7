import { execFileSync } from 'node:child_process';
import * as os from 'node:os';

/** Where and on what the numbers were taken: RESULTS.md prints it above every table. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly cpuSpeedMHz: number;
  readonly totalMemoryBytes: number;
  readonly platform: string;
  readonly release: string;
  readonly arch: string;
  readonly node: string;
  readonly v8: string;
  /** 1, 5 and 15 minute load averages when the run started: other work on the machine shows here. */
  readonly loadAverage: readonly number[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    cpuSpeedMHz: cpus[0]?.speed ?? 0,
    totalMemoryBytes: os.totalmem(),
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
    node: process.version,
    v8: process.versions.v8,
    loadAverage: os.loadavg(),
  };
}

/** The commit measured, and whether `src/` had uncommitted changes (the core changes often). */
export interface SourceInfo {
  readonly commit: string | undefined;
  readonly srcDirty: boolean | undefined;
}

export function sourceInfo(cwd: string): SourceInfo {
  const git = (...args: string[]): string | undefined => {
    try {
      return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return undefined;
    }
  };
  const status = git('status', '--porcelain', '--', 'src');
  return { commit: git('rev-parse', '--short', 'HEAD'), srcDirty: status === undefined ? undefined : status.length > 0 };
}

/** The command that produced the results, as typed, and the script npm ran for it. */
export function invocation(): { readonly command: string; readonly script: string | undefined } {
  const args = process.argv.slice(2).join(' ');
  const direct = `tsx ${relativeScript(process.argv[1] ?? 'benchmarks/run.ts')}${args ? ` ${args}` : ''}`;
  const event = process.env.npm_lifecycle_event;
  const scriptText = process.env.npm_lifecycle_script;
  // `npx tsx …` also sets these (event "npx"): only an npm script that runs us counts.
  if (event === undefined || scriptText === undefined || !scriptText.includes('benchmarks/')) return { command: direct, script: undefined };
  // npm appends the arguments given after `--` to the script's own text.
  const extra = args && !scriptText.endsWith(args) ? args : '';
  return { command: `npm run ${event}${extra ? ` -- ${extra}` : ''}`, script: `${scriptText}${extra ? ` ${extra}` : ''}` };
}

function relativeScript(file: string): string {
  const index = file.lastIndexOf('benchmarks/');
  return index >= 0 ? file.slice(index) : file;
}
