import { ClosingStopSignals } from '../../../src/cli/commands/interrupts';

/**
 * The stop signals while `rxdag run` or `rxdag resume` closes down, driven by calling the
 * listener it added (no real signal reaches the test process, and its exit is stubbed): nothing
 * before the command closes down (the setup's and the run's own listeners act), then the first is
 * noted, and a second ends the process with the run's code, or the signal's when no run ended.
 */
describe('the stop signals while a command closes down', () => {
  let exit: jest.SpyInstance;
  beforeEach(() => {
    exit = jest.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
  });
  afterEach(() => exit.mockRestore());

  /** A new listener and a way to send it a signal as Node would. */
  function closingSignals() {
    const before = process.listeners('SIGINT');
    const said: string[] = [];
    const closing = new ClosingStopSignals((line) => said.push(line));
    const listener = process.listeners('SIGINT').find((added) => !before.includes(added))!;
    return { closing, said, ctrlC: () => (listener as () => void)() };
  }

  it("should do nothing before the command closes down, then note the first signal and end at once with the run's code on the second", () => {
    const { closing, said, ctrlC } = closingSignals();
    try {
      closing.ended(1);
      ctrlC();
      expect(said).toEqual(['rxdag: stopping on SIGINT: the run had ended; closing down (a second signal ends rxdag at once)']);
      expect(exit).not.toHaveBeenCalled();
      ctrlC();
      expect(exit).toHaveBeenCalledWith(1);
    } finally {
      closing.release();
    }
  });

  it("should not swallow the signals of a command closing down after its setup failed: the second ends it with the signal's code", () => {
    const { closing, said, ctrlC } = closingSignals();
    try {
      ctrlC(); // during the setup: its own listener acts
      expect(said).toEqual([]);
      closing.ended(); // the setup failed: no run, no code
      ctrlC();
      expect(said).toEqual(['rxdag: stopping at once on SIGINT: closing down cut short']);
      expect(exit).toHaveBeenCalledWith(130);
    } finally {
      closing.release();
    }
  });

  it('should say it closes down on a first signal after a setup that failed', () => {
    const { closing, said, ctrlC } = closingSignals();
    try {
      closing.ended();
      ctrlC();
      expect(said).toEqual(['rxdag: stopping on SIGINT: closing down (a second signal ends rxdag at once)']);
      expect(exit).not.toHaveBeenCalled();
    } finally {
      closing.release();
    }
  });

  it('should stop listening once released', () => {
    const before = process.listeners('SIGINT').length;
    const { closing } = closingSignals();
    expect(process.listeners('SIGINT')).toHaveLength(before + 1);
    closing.release();
    expect(process.listeners('SIGINT')).toHaveLength(before);
  });
});
