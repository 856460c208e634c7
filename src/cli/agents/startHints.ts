/**
 * What the shell agent says when the system would not start a command, or its shell could not
 * start one: which limit it met and what to do, by what the system or the shell said. Words and
 * the tests that pick them only: it starts nothing and decides no retry.
 */
import { quoted } from '../../dag/text';

/** What to do when the system had no room to start a command, by error code, said once its waits for room ran out (`spawnRoom.ts`). */
const NO_DESCRIPTORS_HINT = ' (no file descriptors left: raise the limit, `ulimit -n`, or run fewer tasks at once)';
export const ROOM_HINTS: Readonly<Record<string, string>> = {
  // the process (EMFILE) or the system (ENFILE) has no file descriptors left for a command's pipes
  EMFILE: NO_DESCRIPTORS_HINT,
  ENFILE: NO_DESCRIPTORS_HINT,
  EAGAIN: ' (no process could be made: raise the limit, `ulimit -u`, free memory, or run fewer tasks at once)',
  ENOENT: ' (no /bin/sh to run it in, or its working directory is gone)',
};

/** What a shell says when it cannot start a process for a command, and what to do then. */
// the shell's own line (`/bin/sh: 1: Cannot fork`, `bash: fork: retry: …`), not a command's words quoting one
export const CANNOT_FORK = /^[^\s:]*sh: (?:\d+: )?(?:Cannot fork\b|fork: (?:retry: )?Resource temporarily unavailable\b)/m;
/**
 * Whether the task's own shell (`/bin/sh`, which names itself so) ended on its line saying it
 * could not fork (its last line: a shell that cannot fork stops there), not on bash's `fork:
 * retry:` (it tries again, and may go on), nor on a shell the command started (`bash: fork: …`
 * under a `ulimit -u` of its own: the command's failure, not this machine's want of room).
 */
export function shellGaveUpForking(stderr: string): boolean {
  const last = stderr.trimEnd().split('\n').pop() ?? '';
  return last.startsWith('/bin/sh: ') && CANNOT_FORK.test(last) && !/fork: retry: /.test(last);
}
export const NO_FORK_HINT =
  "\n(its shell could not start a process for it: the limit of processes, `ulimit -u` or a container's, was reached, or memory ran out: raise the limit, free memory, or run fewer tasks at once)";

/** Most bytes Linux takes in one argument or one variable (`MAX_ARG_STRLEN`): the command is the shell's one argument. */
const MOST_ARG_BYTES = 128 * 1024;

/** What to do about a command the system would not start because it, or its environment, is too long. */
export function tooLongHint(command: string, environment: NodeJS.ProcessEnv): string {
  if (Buffer.byteLength(command) >= MOST_ARG_BYTES)
    return ' (the command is longer than the system takes in one argument, 128 KiB: write it to a script file and run that)';
  let [count, bytes] = [0, 0];
  for (const [name, value] of Object.entries(environment)) {
    if (value === undefined) continue;
    if (Buffer.byteLength(value) >= MOST_ARG_BYTES)
      return ` (its environment's ${quoted(name)} is longer than the system takes in one variable, 128 KiB: pass it in a file)`;
    [count, bytes] = [count + 1, bytes + Buffer.byteLength(name) + Buffer.byteLength(value) + 2];
  }
  const size = `${count} variables, ${Math.ceil(bytes / 1024)} KiB`;
  return ` (the command with its environment (${size}) is more than the system takes at once: pass big values in files, or fewer of them)`;
}
