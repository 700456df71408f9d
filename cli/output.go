package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"selfserve/model"
	"selfserve/tui/words"
)

// emit prints v as JSON with --json, else runs text.
func (a *app) emit(v any, text func(w io.Writer)) error {
	if a.json {
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	return tabbed(a.out, text)
}

// tabbed lines up the tab-separated columns text writes.
func tabbed(w io.Writer, text func(w io.Writer)) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	text(tw)
	return tw.Flush()
}

func printSwitches(w io.Writer, sw model.Switches) {
	fmt.Fprintf(w, "AllowEmailVerifiedUsers\t%s\n", words.OnOff(sw.AllowEmailVerifiedUsers))
	fmt.Fprintf(w, "AllowAdHocSubscriptions\t%s\n", words.OnOff(sw.AllowAdHocSubscriptions))
}

func printTable(w io.Writer, sw model.Switches) {
	fmt.Fprintln(w, "\nSCENARIO\tOUTCOME")
	for _, r := range model.DecisionTable(sw) {
		fmt.Fprintf(w, "%s\t%s\n", r.Scenario, r.Outcome)
	}
}

func list(items []string) string {
	if len(items) == 0 {
		return "-"
	}
	return strings.Join(items, ",")
}
