package tui

import (
	"selfserve/model"
	"selfserve/ops"
)

// servicesSpec is the service catalogue: what an external takeover does
// to each service, and which ignore AllowAdHocSubscriptions.
var servicesSpec = &listSpec[model.Service]{
	watches: func(ch ops.Change) bool { return ch.Services },
	title:   "Services",
	noun:    "service",
	columns: []listColumn{
		{column: column{title: "SERVICE", min: 8}, whole: true},
		{column: column{title: "TAKEOVER", min: 8}, whole: true},
		{column: column{title: "EXEMPT FROM AD-HOC", short: "EXEMPT", min: 6}},
		{column: column{title: "IN AN EXTERNAL TAKEOVER", min: 20, drop: 1}},
	},
	growth: []int{2, 3},
	read:   (*ops.Session).Services,
	cells: func(s *Styles, svc model.Service) []cell {
		exempt := "no"
		if svc.ExemptAdHoc {
			exempt = "yes"
		}
		pol := styled(string(svc.Takeover), s.Muted)
		if svc.Takeover == model.Block {
			pol = styled(string(svc.Takeover), s.Off)
		}
		return []cell{plain(svc.Name), pol, plain(exempt), plain(svc.Takeover.Effect(false))}
	},
	empty: "The catalogue is empty: selfserve service add NAME adds one.",
	note:  func([]model.Service) string { return "selfserve service add changes the catalogue" },
	// Each takeover policy in a line (seed: "directory takeover support
	// by service").
	legend: []legendLine{
		{string(model.Remap), "users keep their access: grants are mapped to the new directory"},
		{string(model.Migrate), "keeps working, but the admin must move the data afterwards"},
		{string(model.Block), "refuses an external takeover unless it is forced (users lose access)"},
		{"exempt", "sign-ups for it ignore AllowAdHocSubscriptions (free trials)"},
	},
}

func newServicesScreen(c Common) *listScreen[model.Service] { return newListScreen(c, servicesSpec) }
