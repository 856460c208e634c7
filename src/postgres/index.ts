/**
 * `rxdag/postgres`: the PostgreSQL backend of the run journal, for durable runs shared between
 * machines. It needs the `pg` package (an optional peer dependency of rxdag); the core package
 * never loads this entry, so applications without PostgreSQL never need `pg`.
 */

export { postgresJournal, type PostgresJournal } from './postgresJournal';
export { PostgresJournalError, redactConnectionString, type PostgresJournalOptions } from './connection';
