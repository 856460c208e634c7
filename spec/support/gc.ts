import v8 from 'node:v8';
import vm from 'node:vm';

/** `global.gc` without `node --expose-gc`: V8 exposes it to contexts created after the flag is set. */
export function exposeGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}
