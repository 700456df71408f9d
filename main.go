// Command selfserve is the admin console for self-service sign-up
// directories; see README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"selfserve/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
