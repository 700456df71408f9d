package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/spf13/cobra"

	"selfserve/ops"
)

func (a *app) configCommand() *cobra.Command {
	var server, resolver, port string
	var lab bool
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "config [--dns-server HOST:PORT] [--dns-resolver HOST:PORT] [--dns-port PORT] [--dns-lab] [--recheck-interval D]",
		Short: "Show or change the operator's DNS settings",
		Long: `By default a DNS check finds the domain's zone and its authoritative name
servers through the system's resolver and asks each of them directly, on
port 53. --dns-resolver names another resolver for that search and
--dns-port another port for the authoritative servers (test labs);
--dns-server sends every query to one server instead (split-horizon
setups). Give an empty value to go back to the default.

Authoritative servers at private, loopback, link-local and other addresses
the Internet cannot reach are not asked, and the parent zone's delegation
must be readable: a domain proven by such servers is not proven to the
world. --dns-lab turns both off for a test lab on such addresses. A
resolver or port of your own does not: company resolvers often sit at
private addresses, and a resolver on loopback is common.`,
		Example:     "  selfserve config\n  selfserve config --dns-server 10.0.0.53:53\n  selfserve config --dns-resolver 127.0.0.1:5353 --dns-port 5353 --dns-lab\n  selfserve config --recheck-interval 12h",
		Args:        noArgs,
		Annotations: creates,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			for _, hp := range []struct{ flag, val string }{{"dns-server", server}, {"dns-resolver", resolver}} {
				if _, _, err := net.SplitHostPort(hp.val); f.Changed(hp.flag) && hp.val != "" && err != nil {
					return usageError{fmt.Errorf("--%s %q: give HOST:PORT", hp.flag, hp.val)}
				}
			}
			if f.Changed("recheck-interval") && interval < time.Minute {
				return usageError{fmt.Errorf("--recheck-interval must be at least 1m")}
			}
			return a.asOperator(cmd, func(_ context.Context, s *ops.Session) error {
				cfg, err := s.DNSConfig()
				if f.Changed("dns-server") || f.Changed("dns-resolver") || f.Changed("dns-port") || f.Changed("dns-lab") || f.Changed("recheck-interval") {
					cfg, err = s.ChangeDNSConfig(func(cfg ops.DNSConfig) ops.DNSConfig {
						if f.Changed("dns-server") {
							cfg.Server = server
						}
						if f.Changed("dns-resolver") {
							cfg.Resolver = resolver
						}
						if f.Changed("dns-port") {
							cfg.Port = port
						}
						if f.Changed("dns-lab") {
							cfg.Lab = lab
						}
						if f.Changed("recheck-interval") {
							cfg.RecheckInterval = interval
						}
						return cfg
					})
				}
				if err != nil {
					return err
				}
				return a.emit(cfg, func(w io.Writer) {
					fmt.Fprintf(w, "dns-server\t%s\n", orDefault(cfg.Server, "(none: ask authoritative servers)"))
					fmt.Fprintf(w, "dns-resolver\t%s\n", orDefault(cfg.Resolver, "(system resolver)"))
					fmt.Fprintf(w, "dns-port\t%s\n", orDefault(cfg.Port, "53"))
					fmt.Fprintf(w, "dns-lab\t%s\n", labText(cfg.Lab))
					fmt.Fprintf(w, "recheck-interval\t%s\n", cfg.RecheckInterval)
				})
			})
		},
	}
	cmd.Flags().StringVar(&server, "dns-server", "", "send every DNS query to this HOST:PORT")
	cmd.Flags().StringVar(&resolver, "dns-resolver", "", "resolver HOST:PORT used to find zones and name servers")
	cmd.Flags().StringVar(&port, "dns-port", "", "port of the authoritative name servers")
	cmd.Flags().BoolVar(&lab, "dns-lab", false, "test lab: ask servers at private and loopback addresses, do without a parent zone (--dns-lab=false to end)")
	cmd.Flags().DurationVar(&interval, "recheck-interval", 0, "re-check verified domains older than this")
	return cmd
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func labText(lab bool) string {
	if lab {
		return "on (servers at private and loopback addresses are asked)"
	}
	return "off"
}
