package cli

import (
	"context"
	"fmt"
	"io"

	"selfserve/demo"
	"selfserve/demo/sshdemo"
	"selfserve/model"
	"selfserve/ops"
	"selfserve/store"
)

// tour walks the demo's two stories against the demo's own authoritative
// DNS server, through the same operations and checker as real use, and
// prints each step as the commands would.
func tour(ctx context.Context, st *store.Store, w io.Writer) error {
	dns, err := demo.StartDNS("", demo.Bellows, demo.Contoso, demo.ContosoUK)
	if err != nil {
		return err
	}
	defer dns.Close()
	c := &ops.Console{Store: st, DNS: sshdemo.Checker(dns)}
	step := func(title string) { fmt.Fprintf(w, "\n== %s\n", title) }
	show := func(rep ops.VerifyReport, err error) {
		tabbed(w, func(tw io.Writer) { printVerify(tw, rep, err == nil) })
		if err != nil {
			fmt.Fprintf(w, "refused: %v\n", err)
		}
	}

	step(fmt.Sprintf("Internal takeover: %s proves %s (demo DNS on %s)", demo.Dan, demo.Bellows, dns.Addr))
	ch, err := c.Challenge(demo.Bellows, demo.Dan, model.ModeTXT, "")
	if err != nil {
		return err
	}
	rec := ch.Challenge.Record()
	fmt.Fprintf(w, "challenge: %s %s %q (ttl %d)\n", rec.Name, rec.Type, rec.Value, rec.TTL)
	step("verify before the record is published")
	show(c.Verify(ctx, demo.Bellows, demo.Dan, ops.VerifyOptions{}))
	step("publish the record to the demo DNS, verify again")
	if err := dns.Publish(rec); err != nil {
		return err
	}
	show(c.Verify(ctx, demo.Bellows, demo.Dan, ops.VerifyOptions{}))

	step(fmt.Sprintf("External takeover: %s merges %s into %s (MX challenge)", demo.ContosoAdmin, demo.ContosoUK, demo.Contoso))
	ch, err = c.Challenge(demo.ContosoUK, demo.ContosoAdmin, model.ModeMX, demo.Contoso)
	if err != nil {
		return err
	}
	rec = ch.Challenge.Record()
	fmt.Fprintf(w, "challenge: %s %s %d %s\n", rec.Name, rec.Type, rec.Preference, rec.Value)
	if err := dns.Publish(rec); err != nil {
		return err
	}
	step("preview (--dry-run)")
	show(c.Verify(ctx, demo.ContosoUK, demo.ContosoAdmin, ops.VerifyOptions{DryRun: true}))
	step("take over without --force")
	show(c.Verify(ctx, demo.ContosoUK, demo.ContosoAdmin, ops.VerifyOptions{}))
	step("take over with --force")
	show(c.Verify(ctx, demo.ContosoUK, demo.ContosoAdmin, ops.VerifyOptions{Force: true}))
	return nil
}
