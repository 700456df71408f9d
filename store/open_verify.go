package store

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/badger/v4/y"
	"github.com/dgraph-io/ristretto/v2/z"
)

// checkedDB is Badger whose transactions fail with ErrDamaged when a table
// they read from is damaged. Badger checks each block it reads
// (options.OnBlockRead), but its iterators treat a block that fails as the
// end of its table and go on with the next one, and a point read as a
// missing key: 64 overwritten bytes made `user list` print 185,984 of
// 187,637 users and exit 0 (issue 10 point 2). So every transaction notes
// the key ranges it read (noteRead), and before it returns or commits,
// each table holding keys in those ranges has all its blocks verified:
// once per table and process, so a console page costs a few small tables
// the first time and nothing after, while verifying every table at open
// would cost ~0.5 s on a 1,000,000-user database.
type checkedDB struct {
	*badger.DB
	dir string
	mu  sync.Mutex
	// verdicts holds, per table id, nil once verified or the damage found.
	verdicts map[uint64]error
	// tables is Badger's list of tables as of listed: asking Badger for
	// it on every read cost a console keystroke ~90 µs (it copies and
	// sorts every table's description). A list up to a second old misses
	// only tables this process wrote in that second, from records it had
	// just read or been given.
	tables []tableRange
	listed time.Time
}

// tableRange is one table and the user keys it holds, first to last.
type tableRange struct {
	id          uint64
	left, right []byte
}

// tableListAge is how old checkedDB's list of tables may be.
const tableListAge = time.Second

// span is a key range a transaction read, both ends included.
type span struct{ lo, hi []byte }

// spans collects the ranges one transaction read.
type spans struct {
	mu   sync.Mutex
	list []span
}

// reading maps each transaction running under checkedDB to its spans:
// the read helpers see only the *badger.Txn.
var reading sync.Map

// noteRead records that txn read keys between lo and hi.
func noteRead(txn *badger.Txn, lo, hi []byte) {
	v, ok := reading.Load(txn)
	if !ok {
		return
	}
	s := v.(*spans)
	s.mu.Lock()
	s.list = append(s.list, span{lo: bytes.Clone(lo), hi: bytes.Clone(hi)})
	s.mu.Unlock()
}

// prefixEnd is the last key that has prefix, for a scan that ran out: the
// first key with prefix after the scan's start could have been hidden.
func prefixEnd(prefix []byte) []byte {
	return append(bytes.Clone(prefix), bytes.Repeat([]byte{0xff}, 8)...)
}

func (d *checkedDB) View(fn func(txn *badger.Txn) error) error { return d.DB.View(d.checked(fn)) }

func (d *checkedDB) Update(fn func(txn *badger.Txn) error) error {
	return d.DB.Update(d.checked(fn))
}

// checked runs fn and then verifies what it read; damage wins over fn's
// own answer, which may be a "not found" the damage caused.
func (d *checkedDB) checked(fn func(txn *badger.Txn) error) func(txn *badger.Txn) error {
	return func(txn *badger.Txn) error {
		s := &spans{}
		reading.Store(txn, s)
		defer reading.Delete(txn)
		err := fn(txn)
		s.mu.Lock()
		defer s.mu.Unlock()
		if verr := d.verify(s.list); verr != nil {
			return verr
		}
		return err
	}
}

// verify checks every table whose keys overlap one of the spans.
func (d *checkedDB) verify(read []span) error {
	if len(read) == 0 || d.dir == "" {
		return nil
	}
	for _, tr := range d.tableList() {
		for _, sp := range read {
			if bytes.Compare(tr.left, sp.hi) <= 0 && bytes.Compare(tr.right, sp.lo) >= 0 {
				if err := d.verdict(tr.id); err != nil {
					return err
				}
				break
			}
		}
	}
	return nil
}

func (d *checkedDB) tableList() []tableRange {
	d.mu.Lock()
	defer d.mu.Unlock()
	if time.Since(d.listed) < tableListAge {
		return d.tables
	}
	infos := d.DB.Tables()
	list := make([]tableRange, len(infos))
	for i, ti := range infos {
		list[i] = tableRange{id: ti.ID, left: y.ParseKey(ti.Left), right: y.ParseKey(ti.Right)}
	}
	d.tables, d.listed = list, time.Now()
	return list
}

func (d *checkedDB) verdict(id uint64) error {
	d.mu.Lock()
	err, done := d.verdicts[id]
	d.mu.Unlock()
	if done {
		return err
	}
	err = verifyTable(table.NewFilename(id, d.dir), d.DB.Opts())
	d.mu.Lock()
	d.verdicts[id] = err
	d.mu.Unlock()
	return err
}

// verifyTable reads every block of one table file and checks it against
// its checksum. Badger's own Table.VerifyChecksum panics on the first
// block that fails (it formats the nil block's offset into its error
// message), so a panic here is that damage too; its text, a nil pointer,
// would only mislead.
func verifyTable(path string, o badger.Options) (err error) {
	defer func() {
		if recover() != nil {
			err = fmt.Errorf("%w: %s has a block that fails its checksum or cannot be decoded", errDamaged, path)
		}
	}()
	mf, err := z.OpenMmapFile(path, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		// Compacted away since the read: its keys are in the tables that
		// replaced it, which a read of them verifies.
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	t, err := table.OpenTable(mf, table.Options{BlockSize: o.BlockSize, Compression: o.Compression, ChkMode: options.NoVerification})
	if err != nil {
		return fmt.Errorf("%w: %s cannot be opened (%v)", errDamaged, path, err)
	}
	defer t.Close(-1)
	if err := t.VerifyChecksum(); err != nil {
		return fmt.Errorf("%w: %s fails its checksum (%v)", errDamaged, path, err)
	}
	return nil
}
