package model

import "fmt"

// TakeoverPolicy says what happens to a service's grants in an external
// takeover (seed: "directory takeover support by service").
type TakeoverPolicy string

const (
	Remap   TakeoverPolicy = "remap"   // users-to-resources mapping keeps it working
	Migrate TakeoverPolicy = "migrate" // works, but the admin must move data afterwards
	Block   TakeoverPolicy = "block"   // refuses the takeover unless forced
)

// ParsePolicy validates a policy name.
func ParsePolicy(s string) (TakeoverPolicy, error) {
	switch p := TakeoverPolicy(s); p {
	case Remap, Migrate, Block:
		return p, nil
	}
	return "", fmt.Errorf("%w: takeover policy %q: use remap, migrate or block", ErrInvalid, s)
}

// Effect says what an external takeover does to the grants of a service
// with this policy (forced: the takeover went ahead past block).
func (p TakeoverPolicy) Effect(forced bool) string {
	switch p {
	case Remap:
		return "mapped; keeps working"
	case Migrate:
		return "moves; data needs migrating"
	case Block:
		if forced {
			return "dropped (forced)"
		}
		return "blocks unless forced"
	}
	return string(p)
}

// Service is an entry of the service catalogue.
type Service struct {
	Name     string         `json:"name"`
	Takeover TakeoverPolicy `json:"takeover"`
	// ExemptAdHoc: sign-ups ignore AllowAdHocSubscriptions (the Flow and
	// PowerApps trials of the seed).
	ExemptAdHoc bool `json:"exemptAdHoc"`
}

// DefaultServices is the shipped catalogue (PRODUCT.md §2).
func DefaultServices() []Service {
	return []Service{
		{Name: "rms", Takeover: Remap},
		{Name: "exchange", Takeover: Remap},
		{Name: "powerbi", Takeover: Block},
		{Name: "sharepoint", Takeover: Migrate},
		{Name: "onedrive", Takeover: Migrate},
		{Name: "skype", Takeover: Migrate},
		{Name: "flow", Takeover: Remap, ExemptAdHoc: true},
		{Name: "powerapps", Takeover: Remap, ExemptAdHoc: true},
		{Name: "stream", Takeover: Remap},
	}
}

// ValidServiceName keeps names usable as key parts and CLI arguments.
func ValidServiceName(name string) error {
	if name == "" || len(name) > 40 {
		return fmt.Errorf("%w: service name must be 1 to 40 characters", ErrInvalid)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("%w: service name %q: use lower-case letters, digits and '-'", ErrInvalid, name)
		}
	}
	return nil
}
