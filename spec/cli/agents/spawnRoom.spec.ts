import { lastValueFrom, from } from 'rxjs';
import { AttemptHandedBackError, TaskTimeoutError } from '../../../src/index';
import { ProcessGroups } from '../../../src/cli/agents/processGroups';
import { createShellAgent } from '../../../src/cli/agents/shellAgent';
import { ROOM_GIVE_UP_MS, SpawnRoom } from '../../../src/cli/agents/spawnRoom';
import { tempDir } from '../support/files';
import { taskContext } from '../support/taskContext';

// every spawn refused for want of a process (EAGAIN), as when another process's use fills the limit
jest.mock('node:child_process', () => ({
  ...jest.requireActual<typeof import('node:child_process')>('node:child_process'),
  spawn: jest.fn(() => {
    throw Object.assign(new Error('spawn /bin/sh EAGAIN'), { code: 'EAGAIN' });
  }),
}));
const { spawn } = jest.requireMock<{ spawn: jest.Mock }>('node:child_process');

/**
 * A shell task refused for want of room while none of the CLI's tasks runs (nothing of its own to
 * end): its spawn is tried again each second, then the attempt fails, saying what is short and
 * what to do; a stop ends the wait at once. (`noDescriptors.spec.ts` has the shortage the CLI's
 * own tasks relieve.)
 */
describe('a shell task the system has no room for', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());
  beforeEach(() => {
    spawn.mockClear();
    jest.useFakeTimers();
  });
  afterEach(() => jest.useRealTimers());

  const attempt = (signal: AbortSignal, groups = new ProcessGroups(100), agent = createShellAgent({ groups })) =>
    lastValueFrom(from(Promise.resolve(agent(taskContext({ signal, input: { command: 'make', cwd: tmp.dir, env: {} } })))));
  const seconds = ROOM_GIVE_UP_MS / 1000;
  const noProcess =
    'task "task": cannot start `make`: spawn /bin/sh EAGAIN (no process could be made: raise the limit, `ulimit -u`, free memory, or run fewer tasks at once)';

  it('should try again each second while none of its tasks runs, then fail naming the shortage and the remedy', async () => {
    const result = attempt(new AbortController().signal).catch((error: unknown) => error);
    for (let second = 0; second < seconds; second++) await jest.advanceTimersByTimeAsync(1000);
    expect(((await result) as Error).message).toBe(noProcess);
    expect(spawn).toHaveBeenCalledTimes(seconds + 1);
  });

  it('should fail the tasks that come after at once while the room still starts none: the wait is the room’s, not each task’s', async () => {
    const agent = createShellAgent({ groups: new ProcessGroups(100) });
    const first = attempt(new AbortController().signal, undefined, agent).catch((error: unknown) => error);
    for (let second = 0; second < seconds; second++) await jest.advanceTimersByTimeAsync(1000);
    expect(((await first) as Error).message).toBe(noProcess);
    spawn.mockClear();
    const next = attempt(new AbortController().signal, undefined, agent).catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(0);
    expect(((await next) as Error).message).toBe(noProcess);
    expect(spawn).toHaveBeenCalledTimes(1);
  });

  it('should wait again, a spell of refusals later: the tasks that met the earlier one failed long ago', async () => {
    const agent = createShellAgent({ groups: new ProcessGroups(100) });
    const first = attempt(new AbortController().signal, undefined, agent).catch((error: unknown) => error);
    for (let second = 0; second < seconds; second++) await jest.advanceTimersByTimeAsync(1000);
    expect(((await first) as Error).message).toBe(noProcess);
    await jest.advanceTimersByTimeAsync(3_600_000);
    spawn.mockClear();
    let settled = false;
    const later = attempt(new AbortController().signal, undefined, agent).finally(() => (settled = true));
    later.catch(() => undefined);
    await jest.advanceTimersByTimeAsync(5000);
    expect(settled).toBe(false);
    expect(spawn).toHaveBeenCalledTimes(6);
    for (let second = 5; second < seconds; second++) await jest.advanceTimersByTimeAsync(1000);
    await expect(later).rejects.toThrow(noProcess);
  });

  it("should hand a worker's task back to the queue once the room started none for the worker's while, its cause the refusal", async () => {
    const agent = createShellAgent({ groups: new ProcessGroups(100), handBackAfterMs: 2000 });
    const result = attempt(new AbortController().signal, undefined, agent).catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(2000);
    const handedBack = (await result) as AttemptHandedBackError;
    expect(handedBack).toBeInstanceOf(AttemptHandedBackError);
    expect(handedBack.message).toBe(
      'task "task" was handed back to run again on another worker: this worker had no room to start it (EAGAIN)',
    );
    expect((handedBack.cause as Error).message).toBe(noProcess);
    expect(spawn).toHaveBeenCalledTimes(3);
  });

  it('should not start a task waiting for room once every task is told to stop (SIGTERM): it fails, saying so', async () => {
    const groups = new ProcessGroups(100);
    const result = attempt(new AbortController().signal, groups).catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(500);
    await groups.terminateAll();
    await jest.advanceTimersByTimeAsync(5000);
    expect(((await result) as Error).message).toBe('task "task": not started: its tasks were stopped while it waited for room (EAGAIN)');
    expect(spawn).toHaveBeenCalledTimes(1);
  });

  it("should end a task waiting for room with its own signal on a worker's hurry, which hands it back, not with a failure of its own", async () => {
    const groups = new ProcessGroups(100);
    const stop = new AbortController();
    const result = attempt(stop.signal, groups).catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(500);
    groups.hurry();
    await jest.advanceTimersByTimeAsync(0); // the worker's close pauses its queue before it aborts the attempts
    stop.abort(new Error('handed back'));
    await jest.advanceTimersByTimeAsync(0);
    expect(await result).toEqual(new Error('handed back'));
  });

  it('should say in a timeout that ran out while the task waited for room that it never started', async () => {
    const stop = new AbortController();
    const result = attempt(stop.signal).catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(1500);
    stop.abort(new TaskTimeoutError('task', 1500));
    await jest.advanceTimersByTimeAsync(0);
    expect(((await result) as Error).message).toBe(
      'task "task" timed out after 1500 ms\nit never started: the system had no room to start it (EAGAIN)',
    );
  });

  it('should end the wait at once when the attempt is stopped, with the stop', async () => {
    const stop = new AbortController();
    const result = attempt(stop.signal).catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(1500);
    stop.abort(new Error('timed out'));
    await jest.advanceTimersByTimeAsync(0);
    expect(await result).toEqual(new Error('timed out'));
    expect(spawn).toHaveBeenCalledTimes(2);
  });
});

/** The room a shell agent's tasks share: whose turn a task's end gives, and what a stop does. */
describe('room for shell tasks', () => {
  it('should give each end of a task to one waiter, in turn, and to every waiter once none runs', async () => {
    const room = new SpawnRoom(new ProcessGroups(100));
    const never = new AbortController().signal;
    room.started();
    room.started();
    const woken: string[] = [];
    const waits = ['first', 'second', 'third'].map((name) => room.wait(never).then((how) => woken.push(`${name} ${how}`)));
    room.ended();
    await Promise.resolve();
    await Promise.resolve();
    expect(woken).toEqual(['first turn']);
    room.ended(); // none runs now: no end would come for the others
    await Promise.all(waits);
    expect(woken).toEqual(['first turn', 'second turn', 'third turn']);
  });

  it('should wake every waiter as stopping when every task is told to stop, and give a stopping answer from then on', async () => {
    const groups = new ProcessGroups(100);
    const room = new SpawnRoom(groups);
    room.started();
    const waiting = room.wait(new AbortController().signal);
    await groups.terminateAll();
    expect(await waiting).toBe('stopping');
    expect(await room.wait(new AbortController().signal)).toBe('stopping');
  });
});
