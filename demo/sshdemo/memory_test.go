package sshdemo

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"selfserve/demo"
	"selfserve/tui/sshconsole"
)

// sessionSize is the SSH demo's default copy (cli's sshSize).
var sessionSize = demo.Size{Directories: 300, BigUsers: 20_000}

// rssKiB is the process's resident set now.
func rssKiB(b *testing.B) float64 {
	b.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status: resident memory is measured on Linux")
	}
	for _, l := range strings.Split(string(status), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.ParseFloat(f[1], 64)
			return n
		}
	}
	b.Fatal("VmRSS missing from /proc/self/status")
	return 0
}

// BenchmarkSessionMemory opens 10 visitors' private demos at once (each a
// database and a DNS server, as an SSH session does) and reports what one
// more session costs: live heap and resident memory per session.
func BenchmarkSessionMemory(b *testing.B) {
	const sessions = 10
	open := Opener(b.TempDir(), sessionSize)
	var heap, rss float64
	for range b.N {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		rss0 := rssKiB(b)
		var open1 []sshconsole.Console
		for range sessions {
			c, err := open()
			if err != nil {
				b.Fatal(err)
			}
			open1 = append(open1, c)
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		heap += (float64(after.HeapInuse) - float64(before.HeapInuse)) / sessions
		rss += (rssKiB(b) - rss0) * 1024 / sessions
		for _, c := range open1 {
			c.Close()
		}
	}
	b.ReportMetric(heap/float64(b.N)/(1<<20), "heap-MiB/session")
	b.ReportMetric(rss/float64(b.N)/(1<<20), "rss-MiB/session")
}
