// Package oss emulates the part of Alibaba Cloud OSS that ExportImage needs: buckets with a
// region and an owner, and objects that appear only once completely written.
//
// Two implementations satisfy Store: NewMemory (the hermetic default) and NewDir (a directory
// on disk, so exported images can be inspected with ordinary tools). Both pass the contract
// suite in osstest. It does not emulate the OSS HTTP API, ACLs, versioning or multipart uploads.
package oss
