/** `rxdag/postgres` is built on `pg`: this, its first import, says so when `pg` is missing. */
import { requirePeer } from '../peerDependency';

requirePeer('pg', 'rxdag/postgres');
