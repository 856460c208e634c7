/** `rxdag/otel` is built on `@opentelemetry/api`: this, its first import, says so when it is missing. */
import { requirePeer } from '../peerDependency';

requirePeer('@opentelemetry/api', 'rxdag/otel');
