import { lastValueFrom, from } from 'rxjs';
import { ProcessGroups } from '../../../src/cli/agents/processGroups';
import { createShellAgent } from '../../../src/cli/agents/shellAgent';
import { ROOM_TRIES } from '../../../src/cli/agents/spawnRoom';
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

  const attempt = (signal: AbortSignal) => {
    const agent = createShellAgent({ groups: new ProcessGroups(100) });
    return lastValueFrom(from(Promise.resolve(agent(taskContext({ signal, input: { command: 'make', cwd: tmp.dir, env: {} } })))));
  };

  it('should try again each second while none of its tasks runs, then fail naming the shortage and the remedy', async () => {
    const result = attempt(new AbortController().signal).catch((error: unknown) => error);
    for (let second = 0; second < ROOM_TRIES; second++) await jest.advanceTimersByTimeAsync(1000);
    expect(((await result) as Error).message).toBe(
      'task "task": cannot start `make`: spawn /bin/sh EAGAIN (no process could be made: raise the limit, `ulimit -u`, free memory, or run fewer tasks at once)',
    );
    expect(spawn).toHaveBeenCalledTimes(ROOM_TRIES + 1);
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
