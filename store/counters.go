package store

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"selfserve/store/engine"
)

// A directory's counters are split into shards so that sign-ups into one
// busy directory do not all read and write the same key: Badger refuses
// the commit of a transaction that read a key another transaction wrote
// since it began, and 64 sign-ups into one directory used to fight over
// its one user counter until some gave up (issue 10 point 10).
//
// The counter at k (userCountKey, grantCountKey) is the base shard; the
// others are k + sep + one byte. A counter's value is the sum of its
// shards. Sign-ups add to a random non-base shard; takeovers, the Loader
// and repairs keep adding to the base (addCount), so a takeover batch
// moving users into a directory never conflicts with sign-ups into it.
const counterShards = 32

// signupShard picks the shard one sign-up transaction adds to. A retry
// after a conflict draws again, so two sign-ups that met once rarely meet
// twice.
func signupShard() byte { return byte(1 + rand.IntN(counterShards-1)) }

func shardKey(k []byte, shard byte) []byte {
	return append(append(append(make([]byte, 0, len(k)+2), k...), sep...), shard)
}

// addShardCount adds delta to one shard of the counter at k.
func addShardCount(txn engine.Txn, k []byte, shard byte, delta int64) error {
	return addCount(txn, shardKey(k, shard), delta)
}

// sumCount reads the counter at k: its base and every shard, in one
// walk. Keys under k that are neither (another directory's counter whose
// id begins with this one's) are passed over.
func sumCount(txn engine.Txn, k []byte) (int64, error) {
	var n int64
	err := scan(txn, k, nil, func(sk, v []byte) (bool, error) {
		if rest := sk[len(k):]; len(rest) > 0 && rest[0] != sep[0] {
			return true, nil
		}
		m, err := countValue(sk, v)
		n += m
		return true, err
	})
	return n, err
}

// sumCounters walks every counter under prefix and sums the shards of
// each, keyed by what follows the prefix up to the shard suffix (a
// directory id for pUserCount, a service for grantCountPrefix(dir)).
// Every counter with a key is in the result, even one summing to zero.
func sumCounters(txn engine.Txn, prefix []byte) (map[string]int64, error) {
	sums := map[string]int64{}
	err := scan(txn, prefix, nil, func(k, v []byte) (bool, error) {
		n, err := countValue(k, v)
		name := k[len(prefix):]
		if i := bytes.Index(name, []byte(sep)); i >= 0 {
			name = name[:i]
		}
		sums[string(name)] += n
		return true, err
	})
	return sums, err
}

// foldCounters gathers the shards of every counter of directory dir into
// its base, dropping those that sum to zero. A takeover does it to the
// directory it retires, whose counters reach zero only as a sum of
// shards, so that nothing of it is left once it is purged.
func foldCounters(txn engine.Txn, dir string) error {
	users, err := sumCount(txn, userCountKey(dir))
	if err != nil {
		return err
	}
	grants, err := sumCounters(txn, grantCountPrefix(dir))
	if err != nil {
		return err
	}
	var stale [][]byte
	for _, prefix := range [][]byte{append(userCountKey(dir), sep...), grantCountPrefix(dir)} {
		if err := scan(txn, prefix, nil, func(k, _ []byte) (bool, error) {
			stale = append(stale, k)
			return true, nil
		}); err != nil {
			return err
		}
	}
	for _, k := range append(stale, userCountKey(dir)) {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	if err := setCount(txn, userCountKey(dir), users); err != nil {
		return err
	}
	for svc, n := range grants {
		if err := setCount(txn, grantCountKey(dir, svc), n); err != nil {
			return err
		}
	}
	return nil
}

// setCount writes n at k; a zero counter is no key at all.
func setCount(txn engine.Txn, k []byte, n int64) error {
	if n == 0 {
		return txn.Delete(k)
	}
	return txn.Set(k, binary.BigEndian.AppendUint64(nil, uint64(n)))
}
