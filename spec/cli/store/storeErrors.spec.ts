import { JournalWriteError } from '../../../src';
import { refusalLine } from '../../../src/cli/store/storeErrors';
import { storeLocation } from '../../../src/cli/store/storeLocation';

describe("the store's refusals on the command line", () => {
  const store = storeLocation('/runs', {});

  it("should say a folder store's failure to make a run's record (nothing ran) as the system's error, a refusal", () => {
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open '/runs/r1.jsonl'"), {
      code: 'ENOENT',
      syscall: 'open',
      path: '/runs/r1.jsonl',
    });
    expect(refusalLine(new JournalWriteError('r1', '/runs', enoent, true), store)).toBe(
      'cannot use the store /runs/ (at /runs/r1.jsonl): ENOENT (no such file or directory)',
    );
  });

  it('should leave a journal that failed once the run went on to the run (not a refusal: tasks ran)', () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
    expect(refusalLine(new JournalWriteError('r1', '/runs', full, false), store)).toBeUndefined();
  });
});
