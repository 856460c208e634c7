import { type Executor, type ExecutorSpec } from './executor';
import { kahnAsyncExecutor, kahnSyncExecutor } from './kahn';
import { pGraphExecutor } from './pGraph';
import { rxdagExecutor } from './rxdag';

export * from './executor';

/** The executor an {@link ExecutorSpec} names. */
export function createExecutor(spec: ExecutorSpec): Executor {
  switch (spec.kind) {
    case 'rxdag':
      return rxdagExecutor(spec);
    case 'kahn-sync':
      return kahnSyncExecutor;
    case 'kahn-async':
      return kahnAsyncExecutor;
    case 'p-graph':
      return pGraphExecutor;
  }
}
