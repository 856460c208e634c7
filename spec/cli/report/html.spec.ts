import { textWidth, truncate } from '../../../src/cli/report/html';

describe('labels of the report', () => {
  it('should count wide characters and broad letters wider than narrow ones', () => {
    expect(textWidth('abc', 10)).toBe(19); // 3 × 0.62 em
    expect(textWidth('WWW', 10)).toBe(27); // broad letters: 0.9 em
    expect(textWidth('数据', 10)).toBe(textWidth('abcd', 10)); // two columns each
    expect(textWidth('🎉', 10)).toBe(textWidth('ab', 10));
  });

  it('should keep a label that fits, and cut one that does not at a whole character, within the width', () => {
    expect(truncate('short', 100, 11)).toBe('short');
    for (const id of ['🎉'.repeat(15), '数据处理任务'.repeat(3), 'W'.repeat(40), 'a-task-with-a-rather-long-name-for-its-label']) {
      const cut = truncate(id, 138, 11);
      expect(cut.endsWith('…')).toBe(true);
      expect(cut).not.toContain('\uFFFD');
      expect(id.startsWith(cut.slice(0, -1))).toBe(true);
      expect(cut).not.toMatch(/\p{Cs}/u); // no half of a surrogate pair
      expect(textWidth(cut, 11)).toBeLessThanOrEqual(138);
    }
  });
});
