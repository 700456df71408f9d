package model

import "fmt"

// unstableRunes are the code points that x/net/idna maps to one key with
// its Unicode 15.0.0 tables (Go < 1.27) and to another with its 17.0.0
// tables (Go ≥ 1.27), found by running every code point, alone and after
// a letter, through this package's profile under both table sets. A name
// holding one is refused rather than given a key that a toolchain upgrade
// would change: the same typed address would then open another
// directory, and its codes would go to another mailbox (issue 10 point
// 20). Code points that are refused under 15.0.0 and allowed under 17.0.0
// (about 11,000: new letters, Georgian capitals, ≠) need no entry: no key
// holds them yet.
var unstableRunes = map[rune]string{
	'\u1E9E': "ss up to Unicode 15.0, ß from 15.1 (FAẞ.de: fass.de, later xn--fa-hia.de); type ss or ß",
}

func checkStable(d string) string {
	for _, r := range d {
		if why, ok := unstableRunes[r]; ok {
			return fmt.Sprintf("holds %c (%U), which Unicode versions map differently: %s", r, r, why)
		}
	}
	return ""
}
