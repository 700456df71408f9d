package store

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	engbadger "selfserve/store/engine/badger"
)

// BenchmarkBackupRestore1M: selfserve backup, restore and check of the
// million-user database (issue 10 point 4), against raw Badger's
// DB.Backup and DB.Load of the same database in the same run, both with
// the store's Badger options and 16 batches in flight. Reported: seconds
// for each step, and our backup and restore over the raw ones. The
// 1,000,000-user database is built once per process (takeoverTemplate).
func BenchmarkBackupRestore1M(b *testing.B) {
	src := takeoverTemplate(b)
	var backup, restore, check, rawBackup, rawLoad time.Duration
	for i := range b.N {
		tmp := b.TempDir()
		file := filepath.Join(tmp, "backup")
		ours := func() {
			backup += timed(b, func() error {
				s, err := Open(src, Options{ReadOnly: true})
				if err != nil {
					return err
				}
				defer s.Close()
				_, err = s.BackupFile(file)
				return err
			})
			restore += timed(b, func() error { return Restore(filepath.Join(tmp, "restored"), file, Options{}) })
		}
		rawFile := filepath.Join(tmp, "raw")
		raw := func() {
			rawBackup += timed(b, func() error { return rawBadgerBackup(src, rawFile) })
			rawLoad += timed(b, func() error { return rawBadgerLoad(filepath.Join(tmp, "raw-restored"), rawFile) })
		}
		// Whichever goes second finds the template in the page cache:
		// alternate, and run -benchtime 2x or more for a fair ratio.
		if i%2 == 0 {
			ours()
			raw()
		} else {
			raw()
			ours()
		}
		check += timed(b, func() error {
			rep, err := Check(filepath.Join(tmp, "restored"), Options{})
			if err == nil && (rep.Damaged() || rep.Users != benchUsers+1) {
				b.Fatalf("restored copy: %d users, problems %q", rep.Users, rep.Problems)
			}
			return err
		})
	}
	n := float64(b.N)
	b.ReportMetric(backup.Seconds()/n, "backup-s")
	b.ReportMetric(restore.Seconds()/n, "restore-s")
	b.ReportMetric(check.Seconds()/n, "check-s")
	b.ReportMetric(rawBackup.Seconds()/n, "raw-backup-s")
	b.ReportMetric(rawLoad.Seconds()/n, "raw-load-s")
	b.ReportMetric(backup.Seconds()/rawBackup.Seconds(), "backup/raw")
	b.ReportMetric(restore.Seconds()/rawLoad.Seconds(), "restore/raw")
}

// timed runs fn and returns how long it took; the benchmark's own timer
// covers all five steps.
func timed(b *testing.B, fn func() error) time.Duration {
	b.Helper()
	start := time.Now()
	if err := fn(); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

func rawBadgerBackup(dir, file string) error {
	db, err := badger.Open(engbadger.BadgerOptions(dir, engbadger.Options{ReadOnly: true}))
	if err != nil {
		return err
	}
	defer db.Close()
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := db.Backup(f, 0); err != nil {
		return err
	}
	return f.Sync()
}

func rawBadgerLoad(dir, file string) error {
	db, err := badger.Open(engbadger.BadgerOptions(dir, engbadger.Options{}))
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		db.Close()
		return err
	}
	defer f.Close()
	err = db.Load(f, 16)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}
