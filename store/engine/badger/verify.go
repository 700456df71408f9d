package badger

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	badgerdb "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/badger/v4/y"
	"github.com/dgraph-io/ristretto/v2/z"

	"selfserve/store/engine"
)

// Badger checks each block it reads (options.OnBlockRead), but its
// iterators treat a block that fails as the end of its table and go on
// with the next one, and a point read as a missing key: 64 overwritten
// bytes made `user list` print 185,984 of 187,637 users and exit 0 (issue
// 10 point 2). So every transaction notes the key ranges it read (txn.go),
// and before it returns or commits, each table holding keys in those
// ranges has all its blocks verified: once per table and process, so a
// console page costs a few small tables the first time and nothing after,
// while verifying every table at open would cost ~0.5 s on a
// 1,000,000-user database.

// tableRange is one table and the user keys it holds, first to last.
type tableRange struct {
	id          uint64
	left, right []byte
}

// tableListAge is how old the engine's list of tables may be: asking
// Badger for it on every read cost a console keystroke ~90 µs (it copies
// and sorts every table's description). A list up to a second old misses
// only tables this process wrote in that second, from records it had just
// read or been given.
const tableListAge = time.Second

// verify checks every table whose keys overlap one of the spans.
func (d *Engine) verify(read []span) error {
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

func (d *Engine) tableList() []tableRange {
	d.mu.Lock()
	defer d.mu.Unlock()
	if time.Since(d.listed) < tableListAge {
		return d.tables
	}
	infos := d.db.Tables()
	list := make([]tableRange, len(infos))
	for i, ti := range infos {
		list[i] = tableRange{id: ti.ID, left: y.ParseKey(ti.Left), right: y.ParseKey(ti.Right)}
	}
	d.tables, d.listed = list, time.Now()
	return list
}

func (d *Engine) verdict(id uint64) error {
	d.mu.Lock()
	err, done := d.verdicts[id]
	d.mu.Unlock()
	if done {
		return err
	}
	err = verifyTable(table.NewFilename(id, d.dir), d.db.Opts())
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
func verifyTable(path string, o badgerdb.Options) (err error) {
	defer func() {
		if recover() != nil {
			err = fmt.Errorf("%w: %s has a block that fails its checksum or cannot be decoded", engine.ErrDamaged, path)
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
		return fmt.Errorf("%w: %s cannot be opened (%v)", engine.ErrDamaged, path, err)
	}
	defer t.Close(-1)
	if err := t.VerifyChecksum(); err != nil {
		return fmt.Errorf("%w: %s fails its checksum (%v)", engine.ErrDamaged, path, err)
	}
	return nil
}
