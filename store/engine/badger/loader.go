package badger

import (
	badgerdb "github.com/dgraph-io/badger/v4"

	"selfserve/store/engine"
)

// loader writes through a Badger WriteBatch, which commits in large
// transactions of its own, looking at the free space as it goes: a
// WriteBatch meets a full disk in Badger's mmapped files as SIGBUS, like
// a transaction does (checkSpace).
type loader struct {
	e         *Engine
	wb        *badgerdb.WriteBatch
	err       error
	unchecked int
}

// loaderCheckEvery is how many bytes a loader sets between looks at the
// free space: an eighth of the smallest memtable (smallOptions), so the
// reserve, which holds several memtables, is never overrun between looks.
const loaderCheckEvery = 256 << 10

// NewLoader starts a bulk load.
func (e *Engine) NewLoader() engine.Loader { return &loader{e: e, wb: e.db.NewWriteBatch()} }

func (l *loader) Set(k, v []byte) error {
	if l.err != nil {
		return l.err
	}
	if l.unchecked += len(k) + len(v); l.unchecked >= loaderCheckEvery {
		l.unchecked, l.err = 0, l.e.checkSpace()
	}
	if l.err == nil {
		l.err = l.wb.Set(k, v)
	}
	return l.err
}

func (l *loader) Flush() error {
	if l.err != nil {
		l.wb.Cancel()
		return l.err
	}
	l.err = l.wb.Flush()
	return l.err
}
