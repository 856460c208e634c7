/** `rxdag/postgres` is built on `pg`: this, its first import, says so when `pg` is missing. */
import { requirePeers } from '../peerDependency';

requirePeers({ pg: () => require('pg') }, 'rxdag/postgres');
