import { sleepAgent } from '../../../src/cli/agents/sleepAgent';
import type { TaskContext } from '../../../src/index';
import { taskContext } from '../support/taskContext';

describe('sleep agent', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const context = (input: unknown, signal = new AbortController().signal): TaskContext => taskContext({ id: 'nap', input, signal });

  it('should resolve with no output after input milliseconds, not before', async () => {
    let done = false;
    const sleeping = Promise.resolve(sleepAgent(context(250))).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(249);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
    await expect(sleeping).resolves.toBe(true);
  });

  it('should wait no timer for 0 milliseconds (Node runs one no sooner than 1 ms after it is set), only a turn of I/O', async () => {
    jest.useRealTimers();
    const timeouts = jest.spyOn(global, 'setTimeout');
    try {
      let done = false;
      const sleeping = Promise.resolve(sleepAgent(context(0))).then(() => (done = true));
      expect(done).toBe(false);
      await new Promise((resolve) => setImmediate(resolve));
      expect(done).toBe(true);
      await sleeping;
      expect(timeouts).not.toHaveBeenCalled();
    } finally {
      timeouts.mockRestore();
    }
  });

  it('should end a wait of 0 milliseconds at once with the abort reason when its signal aborts', async () => {
    jest.useRealTimers();
    const controller = new AbortController();
    let settled = false;
    const sleeping = Promise.resolve(sleepAgent(context(0, controller.signal))).finally(() => (settled = true));
    controller.abort(new Error('cancelled'));
    await expect(sleeping).rejects.toThrow('cancelled');
    expect(settled).toBe(true);
  });

  it('should reject at once with the abort reason when its signal aborts', async () => {
    const controller = new AbortController();
    const sleeping = Promise.resolve(sleepAgent(context(10_000, controller.signal)));
    controller.abort(new Error('cancelled'));
    await expect(sleeping).rejects.toThrow('cancelled');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('should refuse input that is not milliseconds >= 0', () => {
    expect(() => sleepAgent(context('soon'))).toThrow('task "nap": the sleep agent expects input to be milliseconds >= 0, got "soon"');
    expect(() => sleepAgent(context(-1))).toThrow(/got -1/);
  });
});
