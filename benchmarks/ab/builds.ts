import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCommand } from './processes';

/**
 * The two builds an A/B run compares: a git commit, built in a temporary detached worktree, or
 * the working tree as it is, compiled into a temporary folder (a snapshot: edits made to `src/`
 * during the runs, or another `npm run build`, do not change what is measured).
 */

/** This checkout. */
export const ROOT = path.resolve(__dirname, '../..');
const TSC = require.resolve('typescript/bin/tsc');

export interface BuildSource {
  /** A git ref as given, or `undefined` for the working tree. */
  readonly ref: string | undefined;
  /** Full hash of the commit (of HEAD for the working tree). */
  readonly commit: string;
  readonly shortCommit: string;
  /** Uncommitted changes under `src/` and the tsconfig files (working tree only). */
  readonly dirtyPaths: readonly string[];
  /** What the report calls it: a short hash, or `working tree (on abc1234)` when dirty. */
  readonly label: string;
  /** The commit's subject line. */
  readonly subject: string;
}

export interface Build extends BuildSource {
  /** The compiled `dist/` folder the children load. */
  readonly dist: string;
  /** tsc's diagnostics when it reported errors and they were allowed. */
  readonly typeErrors: string | undefined;
}

function git(args: readonly string[], cwd = ROOT): string {
  return gitRaw(args, cwd).trim();
}

/** Untrimmed: `git status --porcelain` lines start with a space when only the working tree changed. */
function gitRaw(args: readonly string[], cwd = ROOT): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * `git` for the clean-up, without blocking the event loop (a signal's handler runs it, and the
 * process must stay free to answer a repeated signal): its trimmed output; rejects when it fails.
 * Not tracked as a child: the clean-up's own processes must outlive `killLiveChildren`.
 */
function gitAsync(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('git', args, { cwd: ROOT, encoding: 'utf8' }, (error, stdout, stderr) =>
      error === null ? resolve(stdout.trim()) : reject(new Error(`${error.message}${stderr ? `\n${stderr}` : ''}`)),
    ),
  );
}

/** {@link gitAsync}, or '' when it fails (best effort). */
function gitOrEmpty(args: readonly string[]): Promise<string> {
  return gitAsync(args).catch(() => '');
}

/** Resolves a ref to its commit, or throws a readable error. */
export function resolveSource(ref: string | undefined): BuildSource {
  if (ref === undefined) {
    const commit = git(['rev-parse', 'HEAD']);
    const status = gitRaw(['status', '--porcelain', '--untracked-files=all', '--', 'src', 'tsconfig.json', 'tsconfig.build.json']);
    const dirtyPaths = status
      .split('\n')
      .filter((line) => line.length > 3)
      .map((line) => line.slice(3));
    const shortCommit = commit.slice(0, 7);
    const label = dirtyPaths.length > 0 ? `working tree (on ${shortCommit})` : `${shortCommit} (working tree, clean)`;
    return { ref, commit, shortCommit, dirtyPaths, label, subject: git(['log', '-1', '--format=%s', commit]) };
  }
  let commit: string;
  try {
    commit = git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new Error(`\`${ref}\` is not a commit of this repository (git rev-parse --verify ${ref}^{commit} failed)`);
  }
  const shortCommit = commit.slice(0, 7);
  return { ref, commit, shortCommit, dirtyPaths: [], label: shortCommit, subject: git(['log', '-1', '--format=%s', commit]) };
}

/**
 * Temporary worktrees and build folders, removed by `dispose()` (once: a second call gets the
 * first's promise; asynchronous, so that a signal's handler calling it leaves the event loop
 * free): `git worktree remove --force --force` (a worktree whose add was interrupted is locked),
 * then the temporary folder, then `git worktree prune`.
 */
export class Workspace {
  readonly dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'rxdag-ab-'))); // as git lists worktrees
  private readonly worktrees: string[] = [];
  private disposing: Promise<void> | undefined;

  constructor(private readonly log: (line: string) => void) {}

  /** Checks out (if a commit) and compiles one side; `name` is `base` or `candidate`. */
  async build(name: string, given: BuildSource, allowTypeErrors: boolean): Promise<Build> {
    // The working tree as it is now: HEAD and the changes may have moved since the refs were checked.
    const source = given.ref === undefined ? resolveSource(undefined) : given;
    const home = path.join(this.dir, name);
    let cwd: string;
    let outDir: string;
    if (source.ref === undefined) {
      // The working tree compiled to a folder of its own, beside a node_modules link for its requires.
      mkdirSync(home);
      cwd = ROOT;
      outDir = path.join(home, 'dist');
      this.log(`${name}: compiling ${source.label} → ${outDir}`);
    } else {
      this.log(`${name}: git worktree add --detach ${home} ${source.shortCommit} (${source.ref})`);
      this.worktrees.push(home); // before the add: a ctrl-c during it must still clean up
      const added = await runCommand('git', ['worktree', 'add', '--detach', home, source.commit], ROOT);
      if (added.code !== 0) throw new Error(`git worktree add failed:\n${added.output.trim()}`);
      cwd = home;
      outDir = path.join(home, 'dist');
      this.log(`${name}: compiling ${source.shortCommit} with tsc -p tsconfig.build.json`);
    }
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(home, 'node_modules'), 'dir');
    const compiled = await runCommand(process.execPath, [TSC, '-p', 'tsconfig.build.json', '--outDir', outDir], cwd);
    let typeErrors: string | undefined;
    if (compiled.code !== 0) {
      typeErrors = compiled.output.trim();
      const shown = typeErrors.split('\n').slice(0, 30).join('\n');
      if (!allowTypeErrors) {
        const hint =
          source.ref === undefined ? ' (the working tree may be mid-change: compare commits with --base REF --candidate REF)' : '';
        throw new Error(`${name} (${source.label}) does not compile${hint}; --allow-type-errors measures tsc's output anyway:\n${shown}`);
      }
      this.log(`${name}: tsc reported errors, measuring its output anyway (--allow-type-errors):\n${shown}`);
    }
    if (!existsSync(path.join(outDir, 'index.js'))) throw new Error(`${name}: ${outDir}/index.js was not built`);
    return { ...source, dist: outDir, typeErrors };
  }

  dispose(): Promise<void> {
    this.disposing ??= this.removeAll();
    return this.disposing;
  }

  private async removeAll(): Promise<void> {
    const registered = this.worktrees.length > 0 ? await gitOrEmpty(['worktree', 'list', '--porcelain']) : '';
    for (const worktree of this.worktrees) {
      if (!registered.split('\n').includes(`worktree ${worktree}`)) continue;
      try {
        await gitAsync(['worktree', 'remove', '--force', '--force', worktree]);
      } catch (error) {
        this.log(
          `warning: git worktree remove --force ${worktree} failed: ${error instanceof Error ? error.message.trim() : String(error)}`,
        );
      }
    }
    await rm(this.dir, { recursive: true, force: true });
    // Drops the entry of a worktree whose add was interrupted half-way (its folder is gone now).
    if (this.worktrees.length > 0) await gitOrEmpty(['worktree', 'prune']);
  }
}
