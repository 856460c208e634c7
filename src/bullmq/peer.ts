/** `rxdag/bullmq` is built on `bullmq` and `ioredis`: this, its first import, says so when either is missing. */
import { requirePeers } from '../peerDependency';

requirePeers({ bullmq: () => require('bullmq'), ioredis: () => require('ioredis') }, 'rxdag/bullmq');
