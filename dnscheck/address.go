package dnscheck

import "net/netip"

// notPublic says why an authoritative server's address is not asked unless
// the operator runs a lab, or "" for an address the Internet routes to.
// The NS and address records that lead to it are the domain owner's to
// write: without this, a claimant could point the checker at the operator's
// own network (a loopback resolver, a private server that says yes) and
// prove a domain nobody outside can see (issue 10 point 23).
func notPublic(a netip.Addr) Reason {
	a = a.Unmap()
	if v4, ok := embeddedV4(a); ok {
		a = v4
	}
	switch {
	case a.IsUnspecified():
		return ReasonUnspecified
	case a.IsLoopback():
		return ReasonLoopback
	case a.IsLinkLocalUnicast():
		return ReasonLinkLocal
	case a.IsMulticast():
		return ReasonMulticast
	case a.IsPrivate():
		return ReasonPrivate
	}
	for _, r := range notRouted {
		if r.prefix.Contains(a) {
			return r.why
		}
	}
	return ""
}

// notRouted is the rest of the IANA special-purpose registries' blocks
// that are not globally reachable (RFC 6890 and its updates).
var notRouted = []struct {
	prefix netip.Prefix
	why    Reason
}{
	{netip.MustParsePrefix("0.0.0.0/8"), ReasonUnspecified},    // "this network", RFC 791
	{netip.MustParsePrefix("100.64.0.0/10"), ReasonPrivate},    // carrier-grade NAT, RFC 6598
	{netip.MustParsePrefix("192.0.0.0/24"), ReasonReserved},    // IETF protocol assignments, RFC 6890
	{netip.MustParsePrefix("192.0.2.0/24"), ReasonReserved},    // documentation, RFC 5737
	{netip.MustParsePrefix("198.18.0.0/15"), ReasonReserved},   // benchmarking, RFC 2544
	{netip.MustParsePrefix("198.51.100.0/24"), ReasonReserved}, // documentation, RFC 5737
	{netip.MustParsePrefix("203.0.113.0/24"), ReasonReserved},  // documentation, RFC 5737
	{netip.MustParsePrefix("240.0.0.0/4"), ReasonReserved},     // reserved and broadcast, RFC 1112, RFC 919
	{netip.MustParsePrefix("64:ff9b:1::/48"), ReasonPrivate},   // local-use NAT64, RFC 8215
	{netip.MustParsePrefix("100::/64"), ReasonReserved},        // discard-only, RFC 6666
	{netip.MustParsePrefix("2001:2::/48"), ReasonReserved},     // benchmarking, RFC 5180
	{netip.MustParsePrefix("2001:db8::/32"), ReasonReserved},   // documentation, RFC 3849
	{netip.MustParsePrefix("3fff::/20"), ReasonReserved},       // documentation, RFC 9637
	{netip.MustParsePrefix("5f00::/16"), ReasonReserved},       // SRv6 SIDs, RFC 9602
	{netip.MustParsePrefix("fec0::/10"), ReasonPrivate},        // site-local, deprecated by RFC 3879
}

// Prefixes whose addresses carry an IPv4 address that the packet is
// finally sent to: NAT64's well-known prefix (RFC 6052) and 6to4 (RFC 3056).
var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4 = netip.MustParsePrefix("2002::/16")
)

func embeddedV4(a netip.Addr) (netip.Addr, bool) {
	b := a.As16()
	switch {
	case !a.Is6():
	case nat64.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixTo4.Contains(a):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return a, false
}

// addressWords names a NotAsked reason for people.
var addressWords = map[Reason]string{
	ReasonPrivate:     "private address",
	ReasonLoopback:    "loopback address",
	ReasonLinkLocal:   "link-local address",
	ReasonUnspecified: "unspecified address",
	ReasonMulticast:   "multicast address",
	ReasonReserved:    "reserved address (documentation, benchmarking or future use)",
}
