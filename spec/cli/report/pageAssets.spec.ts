import { STYLE } from '../../../src/cli/report/pageAssets';

/** WCAG's contrast ratio of two `#rrggbb` colours. */
function contrast(a: string, b: string): number {
  const luminance = (hex: string) => {
    const [r, g, bl] = [1, 3, 5]
      .map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
      .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light! + 0.05) / (dark! + 0.05);
}

describe('the report stylesheet', () => {
  it('should give every badge with white text a fill that contrasts with it at least 4.5:1', () => {
    const fills = [...STYLE.matchAll(/\.badge\.([\w-]+) \{ fill: (#[0-9a-f]{6});/g)].map((m) => [m[1]!, m[2]!] as const);
    expect(fills.length).toBeGreaterThanOrEqual(8);
    // skipped and cancelled badges are written in dark text
    const underWhite = fills.filter(([outcome]) => outcome !== 'skipped' && outcome !== 'cancelled');
    expect(underWhite.filter(([, fill]) => contrast(fill, '#ffffff') < 4.5)).toEqual([]);
  });
});
