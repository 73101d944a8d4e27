// Package ecs is the domain of the reference server: accounts and their keys, regions, custom
// images, OSS buckets, RAM roles, quotas, and the asynchronous export tasks ExportImage starts.
// It knows nothing of HTTP (reference/api decodes requests, calls a Service method and renders
// the result or the *errcode.Error it returns).
//
// What it emulates: ExportImage with the order of checks of docs/reference.md, the companion
// actions DescribeTasks, DescribeTaskAttribute, CancelTask, DescribeImages and DescribeRegions,
// STS tokens, and the control operations behind /_reference/. Exports really write image files
// (reference/diskimage) into an object store (reference/oss), paced by an injected Clock at a
// configurable speed in bytes of disk data per second.
//
// What it does not emulate: instances, snapshots as separate resources, RAM policy documents
// beyond the few facts ExportImage checks, ImportImage, billing, tags other than the images'
// fixture tags, or any action not named above.
//
// Persistence is an added layer: with WithJournal the Service restores its state when it is
// created and hands every change to the Journal (reference/journal keeps it in bbolt);
// without, state lives in memory.
//
// Determinism: time comes only from the Clock given to New (RealClock is the one place that
// reads the wall clock), IDs from a seeded source. Under a VirtualClock every task has
// progressed exactly as far as the clock allows whenever Advance returns and whenever any
// Service method runs, so tests assert states without sleeping.
package ecs
