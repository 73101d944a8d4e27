// Package journal keeps the reference's state across restarts in a bbolt file
// (go.etcd.io/bbolt): it implements ecs.Journal. One process at a time may open a file;
// another is refused at once with ErrInUse (bbolt's file lock), so two servers never share a
// state directory. It stores what ecs.Journal describes and nothing else: the objects
// themselves live in the oss.Dir store beside it.
package journal
