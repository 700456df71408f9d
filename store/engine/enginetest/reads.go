package enginetest

import (
	"errors"
	"slices"
	"testing"

	"selfserve/store/engine"
)

func testGetSetDelete(t *testing.T, e engine.Engine) {
	view(t, e, func(txn engine.Txn) error {
		if v, err := txn.Get([]byte("a")); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("Get of a missing key = %q, %v; want ErrNotFound", v, err)
		}
		return nil
	})
	update(t, e, func(txn engine.Txn) error {
		return errors.Join(txn.Set([]byte("a"), []byte("1")), txn.Set([]byte("empty"), nil), txn.Set([]byte("gone"), []byte("x")))
	})
	view(t, e, func(txn engine.Txn) error {
		wantValue(t, txn, "a", "1")
		wantValue(t, txn, "empty", "")
		// The value is the caller's: changing it changes nothing stored.
		v, err := txn.Get([]byte("a"))
		if err != nil {
			return err
		}
		v[0] = 'X'
		wantValue(t, txn, "a", "1")
		return nil
	})
	update(t, e, func(txn engine.Txn) error {
		return errors.Join(txn.Set([]byte("a"), []byte("2")), txn.Delete([]byte("gone")), txn.Delete([]byte("never there")))
	})
	view(t, e, func(txn engine.Txn) error {
		wantValue(t, txn, "a", "2")
		wantMissing(t, txn, "gone")
		wantMissing(t, txn, "never there")
		return nil
	})
}

func testGetMany(t *testing.T, e engine.Engine) {
	setAll(t, e, "a", "b", "c")
	view(t, e, func(txn engine.Txn) error {
		got, err := txn.GetMany(keys("c", "x", "a", "a", "b"))
		if err != nil {
			return err
		}
		want := []string{"vc", "", "va", "va", "vb"}
		if len(got) != len(want) {
			t.Fatalf("GetMany gave %d values for 5 keys", len(got))
		}
		for i, w := range want {
			if (w == "") != (got[i] == nil) || string(got[i]) != w {
				t.Errorf("GetMany value %d = %q, want %q (nil for none)", i, got[i], w)
			}
		}
		got[2][0] = 'X' // each value is the caller's, even for a key asked twice
		if string(got[3]) != "va" {
			t.Errorf("changing one value of a key asked twice changed the other: %q", got[3])
		}
		none, err := txn.GetMany(nil)
		if err != nil || len(none) != 0 {
			t.Errorf("GetMany of no keys = %q, %v", none, err)
		}
		return nil
	})
}

// scanKeys sort in this order byte by byte, with 0x00 and 0xff in them to
// catch a comparison that stops at either.
var scanKeys = []string{"a", "a\x00", "a\x01", "a\xff", "a\xff\xff", "ab", "b", "b\x00", "\xff", "\xff\xff", "\xff\xff\x01"}

func testScan(t *testing.T, e engine.Engine) {
	setAll(t, e, scanKeys...)
	prefix := func(p string, reverse bool, limit int) engine.Range {
		return engine.Range{Start: []byte(p), End: engine.PrefixEnd([]byte(p)), Reverse: reverse, Limit: limit}
	}
	ranges := []engine.Range{
		{Limit: 100},
		{Reverse: true, Limit: 100},
		{Start: []byte("a\x01"), End: []byte("b"), Limit: 100},
		{Start: []byte("a\x01"), End: []byte("b"), Reverse: true, Limit: 100},
		{Start: []byte("a"), Limit: 2},
		{End: []byte("b"), Reverse: true, Limit: 2},
		{Start: []byte("a\x00"), End: []byte("a\x00"), Limit: 100},
		{Start: []byte("\xff\xff\xff"), Limit: 100},
		{Start: []byte("b"), Reverse: true, Limit: 3},
		prefix("a\xff", false, 100),
		prefix("a\xff", true, 100),
		prefix("\xff", false, 100),
		prefix("\xff", true, 2),
		prefix("a", false, 100),
	}
	view(t, e, func(txn engine.Txn) error {
		for _, r := range ranges {
			var got []string
			err := txn.Scan(r, func(k, v []byte) (bool, error) {
				if string(v) != "v"+string(k) {
					t.Errorf("Scan(%s): %q has value %q", show(r), k, v)
				}
				got = append(got, string(k))
				return true, nil
			})
			if err != nil {
				return err
			}
			if want := expect(scanKeys, r); !slices.Equal(got, want) {
				t.Errorf("Scan(%s) = %q, want %q", show(r), got, want)
			}
		}
		n := 0
		err := txn.Scan(engine.Range{Limit: 100}, func(k, v []byte) (bool, error) {
			n++
			return n < 3, nil
		})
		if err != nil || n != 3 {
			t.Errorf("Scan whose callback says stop at the third: %d calls, %v", n, err)
		}
		err = txn.Scan(engine.Range{Limit: 100}, func(k, v []byte) (bool, error) { return true, errRefused })
		if err != errRefused {
			t.Errorf("Scan whose callback fails = %v, want its error unchanged", err)
		}
		return nil
	})
}
