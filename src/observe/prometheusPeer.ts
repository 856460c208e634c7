/** `rxdag/prometheus` is built on `prom-client`: this, its first import, says so when it is missing. */
import { requirePeers } from '../peerDependency';

requirePeers({ 'prom-client': () => require('prom-client') }, 'rxdag/prometheus');
