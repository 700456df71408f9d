package badger

import (
	"fmt"
	"syscall"

	"selfserve/store/engine"
)

// diskMargin covers the small writes outside the memtables and tables:
// MANIFEST and DISCARD updates, a new value log's header, and the one
// transaction that passes the check while another fills the disk.
const diskMargin = 4 << 20

// checkSpace refuses a write while the free space is below Reserve.
//
// Why a guard and not an error from the write: Badger writes its memtable
// logs (.mem), new tables and the DISCARD file through mmapped sparse
// files, so a full disk is not an error returned by write(2) but SIGBUS
// on the page that cannot be allocated (issue 10 point 5). The fault
// happens in Badger's own goroutines (the writer that appends to the
// log, the flusher, the compactors), where debug.SetPanicOnFault cannot
// reach, so the only safe moment to say no is before the transaction.
func (e *Engine) checkSpace() error {
	opt := e.db.Opts()
	if opt.InMemory {
		return nil
	}
	free, err := freeSpace(opt.Dir)
	if err != nil {
		// Not knowing is no reason to refuse: the write goes ahead as it
		// did before the guard.
		return nil
	}
	if reserve := e.Reserve(); free < reserve {
		return fmt.Errorf("%w: %s has %s free, less than the %s the database keeps for its own logs, flushes and compactions; nothing was changed",
			engine.ErrDiskFull, opt.Dir, mib(free), mib(reserve))
	}
	return nil
}

// Reserve is the free space the engine keeps: what Badger may still have
// to write after the last transaction that the guard lets through, so
// that everything already acknowledged can reach its tables without a
// fault:
//   - the rest of the active memtable's log, up to a memtable's size;
//   - a level-0 table for every memtable (flushed when full and on
//     Close), bounded by the memtable's size;
//   - a compaction of level 0 into the base level, which writes its
//     output tables before it deletes its input, so up to both levels
//     again;
//   - diskMargin.
func (e *Engine) Reserve() uint64 {
	opt := e.db.Opts()
	reserve := uint64(opt.MemTableSize)*uint64(opt.NumMemtables+1) + diskMargin
	for _, l := range e.db.Levels() {
		if l.Level == 0 || l.IsBaseLevel {
			reserve += uint64(l.Size)
		}
	}
	return reserve
}

// freeSpace is the space an unprivileged writer may still use on the file
// system holding dir (root's reserved blocks are not counted: the store
// should not be the process that eats them).
func freeSpace(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
