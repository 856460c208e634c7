import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { ProcessGroups } from '../../../src/cli/agents/processGroups';
import { taskProcessesAlive } from '../../../src/cli/agents/taskProcesses';

describe('ProcessGroups', () => {
  afterEach(() => jest.restoreAllMocks());

  it("should treat a group it may not signal (another user's processes) as out of reach, never reject or throw", async () => {
    const child = spawn('sleep', ['5'], { detached: true, stdio: 'ignore' });
    const groups = new ProcessGroups(100);
    groups.track(child);
    const kill = process.kill.bind(process);
    const refuse = jest.spyOn(process, 'kill').mockImplementation((pid, signal) => {
      if (pid === -child.pid! && signal !== 0) throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
      return kill(pid, signal);
    });
    await expect(groups.terminate(child.pid!)).resolves.toBeUndefined();
    expect(() => groups.killAll()).not.toThrow();
    await expect(groups.whenEmpty()).resolves.toBeUndefined();
    refuse.mockRestore();
    process.kill(-child.pid!, 'SIGKILL');
  });

  it('should let a stopped process of the group go on to hear SIGTERM, not wait out the grace for it', async () => {
    // the shell's trap answers SIGTERM once its child, stopped, has gone on and ended
    const script = "trap 'exit 3' TERM; sh -c 'kill -STOP $$; sleep 30' & wait";
    const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise((resolve) => setTimeout(resolve, 300)); // its child stopped itself
    const groups = new ProcessGroups(20_000);
    groups.track(child);
    const began = Date.now();
    await groups.terminate(child.pid!);
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(await exited).toBe(3);
  });

  (process.platform === 'linux' ? it : it.skip)(
    'should read /proc once for the stop of many tasks at once, not once per task',
    async () => {
      // each holds SIGTERM off a moment, so the stop also waits for them: every look at once
      const children = Array.from({ length: 30 }, () =>
        spawn('sh', ['-c', "trap 'sleep 0.2; exit 0' TERM; sleep 30 & wait"], { detached: true, stdio: 'ignore' }),
      );
      await new Promise((resolve) => setTimeout(resolve, 300)); // their traps are set
      const groups = new ProcessGroups(5000);
      for (const child of children) groups.track(child);
      const reads = jest.spyOn(fs, 'readdirSync');
      await groups.terminateAll();
      const procReads = reads.mock.calls.filter(([folder]) => folder === '/proc').length;
      // a look for each task when told to stop, and each 20 to 160 ms while it waits (over ~200 ms)
      expect(procReads).toBeGreaterThan(0);
      expect(procReads).toBeLessThan(children.length);
    },
  );

  it('should not take a group made after a read of /proc for gone, while that read is still fresh for other looks', async () => {
    const other = spawn('sleep', ['5'], { detached: true, stdio: 'ignore' });
    await new Promise((resolve) => other.once('spawn', resolve));
    // the clock held still: every read of /proc stays fresh, and the group is made after it
    jest.spyOn(Date, 'now').mockReturnValue(Date.now());
    try {
      expect(taskProcessesAlive(other.pid!, true, Date.now() - 1)).toBe(true); // a look reads /proc
      const since = Date.now();
      const made = spawn('sleep', ['5'], { detached: true, stdio: 'ignore' });
      await new Promise((resolve) => made.once('spawn', resolve));
      try {
        expect(taskProcessesAlive(made.pid!, true, since)).toBe(true);
      } finally {
        process.kill(-made.pid!, 'SIGKILL');
      }
    } finally {
      jest.restoreAllMocks();
      process.kill(-other.pid!, 'SIGKILL');
    }
  });

  it('should do nothing for a group it no longer tracks (its pid may be another process now)', async () => {
    const groups = new ProcessGroups(100);
    const kill = jest.spyOn(process, 'kill');
    await groups.terminate(999_999);
    expect(kill).not.toHaveBeenCalled();
  });
});
