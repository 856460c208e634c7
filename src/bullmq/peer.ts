/** `rxdag/bullmq` is built on `bullmq` and `ioredis`: this, its first import, says so when either is missing. */
import { requirePeer } from '../peerDependency';

requirePeer('bullmq', 'rxdag/bullmq');
requirePeer('ioredis', 'rxdag/bullmq');
