import { JournalWriteError } from '../../../src/index';
import { journalFailureLine } from '../../../src/cli/commands/journalEnd';
import { storeLocation } from '../../../src/cli/store/storeLocation';

/** What a run whose journal could not be written says, and the command it gives to go on. */
describe('the line of a journal that could not be written', () => {
  const store = storeLocation('runs-store', {}, '/work');
  const failure = new JournalWriteError('r1', '/work/runs-store', Object.assign(new Error('EIO'), { code: 'EIO', syscall: 'write' }));

  it('should give the resume command with the store it was given', () => {
    expect(journalFailureLine(failure, store, false)).toBe(
      'rxdag: cannot write the journal runs-store/ (run "r1"): EIO (EIO); run stopped (rxdag resume r1 --store runs-store continues it once the store can be written)',
    );
  });

  it("should give the run's own resume command when it has one: a run on workers resumes with its --redis options", () => {
    const resume = 'rxdag resume r1 --store runs-store --redis redis://127.0.0.1:6379/7 --redis-prefix team';
    expect(journalFailureLine(failure, store, true, resume)).toBe(
      `rxdag: cannot write the journal runs-store/ (run "r1"): EIO (EIO); its end is not recorded (${resume} continues it once the store can be written)`,
    );
  });

  it('should not wait for a store that can be written when the run lost its lock: a resume goes on unless another process did', () => {
    const cause = Object.assign(
      new Error(
        'the run no longer owns its record: its lock file x.lock was removed while it ran; another process may take the run over, so nothing more is written',
      ),
      { lockLost: true },
    );
    expect(journalFailureLine(new JournalWriteError('r1', '/work/runs-store', cause), store, false)).toBe(
      `rxdag: cannot write the journal runs-store/ (run "r1"): ${cause.message}; run stopped (rxdag resume r1 --store runs-store continues it unless another process has)`,
    );
  });

  it('should name the file that closing the journal failed on', () => {
    const cause = Object.assign(new Error('EACCES'), { code: 'EACCES', path: '/work/runs-store/r1.lock' });
    expect(journalFailureLine(new JournalWriteError('r1', '/work/runs-store', cause, false, true), store, true)).toBe(
      'rxdag: the journal runs-store/ (run "r1") took the run\'s end, but closing it failed (at /work/runs-store/r1.lock): EACCES (EACCES)',
    );
  });

  it('should say a run whose end is recorded ended, with no resume command, when only giving up its ownership failed', () => {
    const unlocked = new JournalWriteError('r1', '/work/runs-store', Object.assign(new Error('EACCES'), { code: 'EACCES' }), false, true);
    expect(journalFailureLine(unlocked, store, true, 'rxdag resume r1 --store runs-store')).toBe(
      'rxdag: the journal runs-store/ (run "r1") took the run\'s end, but closing it failed: EACCES (EACCES)',
    );
  });

  it('should give no resume command for a run whose record was removed while it ran, but where one moved resumes', () => {
    const removed = Object.assign(new Error('the run no longer owns its record: …, and its journal was removed; nothing more is written'), {
      journalLost: 'removed',
    });
    expect(journalFailureLine(new JournalWriteError('r1', '/work/runs-store', removed), store, false)).toBe(
      'rxdag: cannot write the journal runs-store/ (run "r1"): the run no longer owns its record: …, and its journal was removed; nothing more is written; run stopped, and cannot be resumed from this store (a journal moved elsewhere resumes there: --store)',
    );
  });

  it('should say of a run whose journal was replaced while it ran (a copy) that a resume reads the file now there', () => {
    const replaced = Object.assign(new Error('its journal file was replaced by another file while it ran; nothing more is written'), {
      journalLost: 'replaced',
    });
    expect(
      journalFailureLine(new JournalWriteError('r1', '/work/runs-store', replaced), store, false, 'rxdag resume r1 --store runs-store'),
    ).toBe(
      'rxdag: cannot write the journal runs-store/ (run "r1"): its journal file was replaced by another file while it ran; nothing more is written; run stopped; a resume goes on from what the file now there holds (rxdag resume r1 --store runs-store)',
    );
  });

  it('should say of a run whose journal was cut while it ran that a resume has only what is left', () => {
    const cut = Object.assign(
      new Error('its journal file was cut while it ran, to 10 of the 90 bytes written (…); nothing more is written'),
      {
        journalLost: 'cut',
      },
    );
    expect(journalFailureLine(new JournalWriteError('r1', '/work/runs-store', cut), store, false)).toBe(
      'rxdag: cannot write the journal runs-store/ (run "r1"): its journal file was cut while it ran, to 10 of the 90 bytes written (…); nothing more is written; run stopped; a resume goes on from what the journal still holds, or refuses it as corrupt',
    );
  });
});
