/**
 * How a conditional write of a record (a transaction, a customer, an order) ended: `condition_failed` when its
 * expected version was no longer there, i.e. someone else changed the record first. Shared by the capabilities
 * that write records, so it lives here rather than in one of their ports.
 */
export type WriteOutcome = 'written' | 'condition_failed';
