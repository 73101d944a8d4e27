// Package oss emulates the part of Alibaba Cloud OSS that ExportImage needs: buckets with a
// region and an owner, and objects that appear only once completely written.
//
// Two implementations satisfy Store: NewMemory (the hermetic default) and NewDir (a directory
// on disk, so exported images can be inspected with ordinary tools; its layout and key
// encoding are documented on Dir). Both pass the contract suite in osstest, which also checks,
// through an optional Temporaries method, that no upload leaves anything behind; osstest.Faulty
// wraps either to fail uploads, creates or commits in tests of code that uses a Store.
//
// It does not emulate the OSS HTTP API, ACLs, versioning, multipart uploads, storage classes
// or cross-process locking (one Dir per root at a time).
package oss
