// Package store keeps selfserve's data in an embedded Badger database and
// applies the rules of package model to it in transactions.
package store
