/** `rxdag/otel` is built on `@opentelemetry/api`: this, its first import, says so when it is missing. */
import { requirePeers } from '../peerDependency';

requirePeers({ '@opentelemetry/api': () => require('@opentelemetry/api') }, 'rxdag/otel');
