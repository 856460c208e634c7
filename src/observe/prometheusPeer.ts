/** `rxdag/prometheus` is built on `prom-client`: this, its first import, says so when it is missing. */
import { requirePeer } from '../peerDependency';

requirePeer('prom-client', 'rxdag/prometheus');
