package badger

import (
	badgerdb "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// BadgerOptions are the options the engine opens Badger with in dir:
// benchmarks against raw Badger use them too.
func BadgerOptions(dir string, opts Options) badgerdb.Options {
	bo := badgerdb.DefaultOptions(dir).
		WithLogger(quietLogger{}).
		// Acknowledged means on disk: a sign-up the user was told about
		// must survive a power cut.
		WithSyncWrites(true).
		// Memory is sized for the 1,000,000-user takeover (PRODUCT.md §6:
		// peak RSS < 300 MiB), measured with BenchmarkExternalTakeover1M:
		// 16 MiB memtables, 3 of them, 2 MiB tables and a 32 MiB block
		// cache peaked at 955 MiB of Go heap and 1070 MiB RSS; the options
		// below, 361 MiB of heap and 615 MiB RSS, at the same speed
		// (37-44 s, noisy). The heap profile at peak is Badger's table
		// builders: with Snappy our JSON shrinks ~10x, a table is cut at
		// its compressed size, so a builder holds ~10x the table size of
		// raw blocks plus a compression buffer per block, and up to five
		// build at once per compaction. Smaller tables shrink every
		// builder; the L0 flush builder is sized by the memtable (48 MiB
		// live for an 8 MiB one). Memtables cannot go below 8 MiB while
		// ValueThreshold is 1 MiB (Badger needs 15% of a memtable to hold
		// one value). The cost: more, smaller tables make opening a
		// 1,000,000-user database ~30 ms instead of ~15 ms
		// (BenchmarkFirstFrameBaselineBadgerOpen), inside the 100 ms
		// first-frame target.
		WithMemTableSize(8 << 20).
		WithNumMemtables(2).
		WithBaseTableSize(128 << 10).
		// Decompressed blocks: 32 MiB held 27 MiB live during a takeover
		// that reads each block once; a page of the TUI needs a few.
		WithBlockCacheSize(8 << 20).
		WithIndexCacheSize(16 << 20).
		WithNumCompactors(2).
		// Every block read is checked against its checksum (issue 10
		// point 2); checkedDB turns a failed check into an error.
		WithChecksumVerificationMode(options.OnBlockRead).
		// The lock is ours (dirLock), taken before the directory is read.
		WithBypassLockGuard(true).
		WithReadOnly(opts.ReadOnly).
		WithInMemory(opts.InMemory)
	if opts.Small {
		bo = smallOptions(bo)
	}
	if opts.InMemory {
		bo = bo.WithDir("").WithValueDir("")
	}
	return bo
}

// smallOptions fit a database of a few tens of thousands of records, many
// of which run in one process: memtables, tables and caches of a megabyte
// or less instead of the default's tens. Records are far smaller than the
// lowered value threshold, so they stay in the LSM tree as before (Badger
// requires the threshold to fit in 15% of a memtable).
func smallOptions(bo badgerdb.Options) badgerdb.Options {
	return bo.WithMemTableSize(2 << 20).
		WithNumMemtables(2).
		WithValueThreshold(64 << 10).
		WithBaseTableSize(64 << 10).
		WithBlockCacheSize(1 << 20).
		WithIndexCacheSize(1 << 20)
}
