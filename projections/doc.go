// Package projections owns PostgreSQL: the projection runner and its
// checkpoints, every read model, and the queries the API serves. Only this
// package writes read-model tables.
//
// Invariants:
//   - A projection applies a batch of events and its checkpoint (the last
//     stream sequence applied) in one transaction, and acks the messages
//     only after the commit. An event at or below the checkpoint is a
//     redelivery and is skipped.
//   - Every read model can be dropped and rebuilt from the streams.
//   - Queries use QueryExecModeExec (see Connect).
//   - SQL lives in queries/*.sql, one "-- name:" section per statement.
package projections
