/**
 * `rxdag/postgres`: the PostgreSQL backend of the run journal, for durable runs shared between
 * machines. It needs the `pg` package (an optional peer dependency of rxdag); the core package
 * never loads this entry, so applications without PostgreSQL never need `pg`.
 */

// first: a missing `pg` is said in one line
import './peer';

export { postgresJournal, type PostgresJournal } from './postgresJournal';
export { type PostgresJournalOptions } from './connection';
export { PostgresJournalError } from './journalError';
export { redactConnectionString } from './connectionString';
