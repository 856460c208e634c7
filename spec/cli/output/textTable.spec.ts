import { displayWidth } from '../../../src/cli/output/displayWidth';
import { textTable } from '../../../src/cli/output/textTable';

/** The tables of `rxdag runs` and `rxdag show` line up on a terminal whatever script their ids are in. */
describe('textTable', () => {
  it('should count East Asian wide characters and emoji as two columns, combining marks as none', () => {
    expect(displayWidth('build')).toBe(5);
    expect(displayWidth('タスク')).toBe(6);
    expect(displayWidth('빌드')).toBe(4);
    expect(displayWidth('wéird dag 🚀')).toBe(12);
    expect(displayWidth('e\u0301')).toBe(1);
    expect(displayWidth('ＡＢ')).toBe(4);
  });

  it('should pad cells to the columns they take, so wide ids do not shift the columns after them', () => {
    const lines = textTable(
      [{ heading: 'TASK' }, { heading: 'STATE' }, { heading: 'TOOK', right: true }],
      [
        ['タスク', 'failed', '28 ms'],
        ['🚀-deploy', 'completed', '1.20 s'],
        ['build', 'completed', '3 ms'],
      ],
    );
    expect(lines).toEqual([
      'TASK       STATE        TOOK',
      'タスク     failed      28 ms',
      '🚀-deploy  completed  1.20 s',
      'build      completed    3 ms',
    ]);
  });

  it('should escape control characters in a cell', () => {
    expect(textTable([{ heading: 'WORKER' }, { heading: 'N' }], [['box\u001b[2J', '1']])).toEqual(['WORKER        N', 'box\\u001b[2J  1']);
  });
});
