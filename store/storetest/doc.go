// Package storetest holds what tests of the store and of the commands on
// it share: a small file system of their own for a real full disk, and a
// description of a database directory to show that nothing changed.
package storetest
