import { requirePeers } from '../src/peerDependency';

/**
 * An optional entry's check of its peers loads each through the `require` written out in the
 * entry, so that an application bundled with its peers (no `node_modules` beside it) passes it.
 */
describe('requirePeers', () => {
  it('should pass a peer its loader loads, wherever it comes from (a bundle packs it; nothing on disk)', () => {
    expect(() => requirePeers({ 'rxdag-spec-bundled-peer': () => ({ bundled: true }) }, 'rxdag/spec')).not.toThrow();
  });

  it('should name every peer that is not there, in one line with how to install them', () => {
    const load = (name: string) => () => require(name) as unknown;
    let thrown: unknown;
    try {
      requirePeers(
        { 'rxdag-spec-missing-a': load('rxdag-spec-missing-a'), 'rxdag-spec-missing-b': load('rxdag-spec-missing-b') },
        'rxdag/spec',
      );
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({
      code: 'MODULE_NOT_FOUND',
      message:
        'rxdag/spec needs the packages "rxdag-spec-missing-a" and "rxdag-spec-missing-b" (optional peer dependencies of rxdag), which are not installed: ' +
        "npm install rxdag-spec-missing-a rxdag-spec-missing-b (Cannot find module 'rxdag-spec-missing-a')",
    });
  });

  it('should throw as it is what a peer that is there throws as it loads (a module it needs is missing)', () => {
    const broken = Object.assign(new Error("Cannot find module 'its-own-dependency'"), { code: 'MODULE_NOT_FOUND' });
    expect(() =>
      requirePeers(
        {
          'rxdag-spec-broken-peer': () => {
            throw broken;
          },
        },
        'rxdag/spec',
      ),
    ).toThrow(broken);
  });
});
