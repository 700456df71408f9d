package store

import (
	"time"

	"selfserve/model"
	"selfserve/store/engine"
)

const kDefaultSwitches = "cfg/default-switches"

// defaultSwitches are given to every new unmanaged directory: both on
// unless the operator configured otherwise (PRODUCT.md §3 rule 4).
func defaultSwitches(txn engine.Txn) (model.Switches, error) {
	sw := model.Switches{AllowEmailVerifiedUsers: true, AllowAdHocSubscriptions: true}
	_, err := get(txn, []byte(kDefaultSwitches), &sw)
	return sw, err
}

// DefaultSwitches returns the switches new directories get.
func (s *Store) DefaultSwitches() (model.Switches, error) {
	var sw model.Switches
	err := s.view(func(txn engine.Txn) (err error) { sw, err = defaultSwitches(txn); return })
	return sw, err
}

// SetDefaultSwitches changes the switches new directories get.
func (s *Store) SetDefaultSwitches(actor string, change func(model.Switches) model.Switches) (model.Switches, error) {
	var sw model.Switches
	err := s.update(func(txn engine.Txn) error {
		before, err := defaultSwitches(txn)
		if err != nil {
			return err
		}
		sw = change(before)
		if err := put(txn, []byte(kDefaultSwitches), sw); err != nil {
			return err
		}
		return s.audit(txn, actor, model.ActionSettingsDefault, "defaults", before, sw)
	})
	return sw, err
}

const kDNSConfig = "cfg/dns"

// DNSConfig is the operator's DNS setting for checks.
type DNSConfig struct {
	// Server sends every query to one server (split-horizon setups).
	Server string `json:"server,omitempty"`
	// Resolver finds zones and name servers; empty: the system's.
	Resolver string `json:"resolver,omitempty"`
	// Port is where authoritative servers are asked; empty: 53.
	Port string `json:"port,omitempty"`
	// Lab: the operator runs a test lab, so authoritative servers at
	// private, loopback and link-local addresses are asked, and a zone
	// without a parent zone can be checked. Off in production, where
	// such servers prove nothing about a domain the Internet sees.
	Lab bool `json:"lab,omitempty"`
	// RecheckInterval is how old a check may be before `domain recheck`
	// looks again.
	RecheckInterval time.Duration `json:"recheckInterval"`
}

// DefaultRecheckInterval: verified domains are re-checked daily.
const DefaultRecheckInterval = 24 * time.Hour

// DNSConfig returns the operator's DNS setting.
func (s *Store) DNSConfig() (DNSConfig, error) {
	c := DNSConfig{RecheckInterval: DefaultRecheckInterval}
	err := s.view(func(txn engine.Txn) error { _, err := get(txn, []byte(kDNSConfig), &c); return err })
	return c, err
}

// SetDNSConfig changes the operator's DNS setting.
func (s *Store) SetDNSConfig(actor string, change func(DNSConfig) DNSConfig) (DNSConfig, error) {
	var c DNSConfig
	err := s.update(func(txn engine.Txn) error {
		before := DNSConfig{RecheckInterval: DefaultRecheckInterval}
		if _, err := get(txn, []byte(kDNSConfig), &before); err != nil {
			return err
		}
		c = change(before)
		if err := put(txn, []byte(kDNSConfig), c); err != nil {
			return err
		}
		return s.audit(txn, actor, model.ActionConfigDNS, "dns", before, c)
	})
	return c, err
}
