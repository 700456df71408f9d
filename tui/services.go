package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"selfserve/model"
)

// policyText explains each takeover policy in a line (seed: "directory
// takeover support by service").
var policyText = []struct {
	p    model.TakeoverPolicy
	text string
}{
	{model.Remap, "users keep their access: grants are mapped to the new directory"},
	{model.Migrate, "keeps working, but the admin must move the data afterwards"},
	{model.Block, "refuses an external takeover unless it is forced (users lose access)"},
}

// servicesScreen is the service catalogue: what an external takeover
// does to each service, and which ignore AllowAdHocSubscriptions.
type servicesScreen struct {
	c    Common
	list []model.Service
	err  error
	sc   scroller
}

func newServicesScreen(c Common) *servicesScreen {
	s := &servicesScreen{c: c}
	s.list, s.err = c.Ops.Services()
	s.sc.n = len(s.list)
	return s
}

func (s *servicesScreen) Init() tea.Cmd   { return nil }
func (s *servicesScreen) Title() string   { return "Services" }
func (s *servicesScreen) Capturing() bool { return false }

// legendHeight is the policy explanations under the table, with a blank
// line above them.
func (s *servicesScreen) legendHeight() int { return len(policyText) + 2 }

func (s *servicesScreen) SetSize(width, height int) {
	s.c.SetSize(width, height)
	s.sc.height = max(1, height-2-s.legendHeight())
	s.sc.clamp()
}

func (s *servicesScreen) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyMsg); ok {
		s.sc.key(s.c.KeyMap, k)
	}
	return nil
}

var serviceColumns = []column{
	{title: "SERVICE", min: 12},
	{title: "TAKEOVER", min: 8},
	{title: "EXEMPT FROM AD-HOC", short: "EXEMPT", min: 6},
	{title: "IN AN EXTERNAL TAKEOVER", min: 20, drop: 1},
}

var serviceGrowth = []growStep{{0, 16}, {2, 0}, {3, 0}}

func (s *servicesScreen) View() string {
	st := s.c.Styles
	w := plan(serviceColumns, serviceGrowth, s.c.Width-len(marker))
	lines := []string{header(serviceColumns, w, st.ColumnHeader)}
	from, to := s.sc.visible()
	for i := from; i < to; i++ {
		svc := s.list[i]
		exempt := "no"
		if svc.ExemptAdHoc {
			exempt = "yes"
		}
		pol := styled(string(svc.Takeover), st.Muted)
		if svc.Takeover == model.Block {
			pol = styled(string(svc.Takeover), st.Off)
		}
		lines = append(lines, row(serviceColumns, w, []cell{
			plain(svc.Name), pol, plain(exempt), plain(svc.Takeover.Effect(false)),
		}, i == s.sc.cursor, st.SelectedRow))
	}
	if len(s.list) == 0 && s.err == nil {
		lines = append(lines, st.Muted.Render("  The catalogue is empty: selfserve service add NAME adds one."))
	}
	body := fitHeight(strings.Join(lines, "\n"), max(1, s.c.Height-1-s.legendHeight()))
	legend := []string{""}
	for _, p := range policyText {
		legend = append(legend, clip(st.Label.Render(fmt.Sprintf("  %-8s", p.p))+p.text, s.c.Width))
	}
	legend = append(legend, clip(st.Label.Render("  exempt  ")+"sign-ups for it ignore AllowAdHocSubscriptions (free trials)", s.c.Width))
	status := ""
	switch {
	case s.err != nil:
		status = st.Error.Render(fmt.Sprint(s.err))
	case len(s.list) > 0:
		status = st.StatusBar.Render(fmt.Sprintf("service %d of %d · selfserve service add changes the catalogue", s.sc.cursor+1, len(s.list)))
	}
	return body + "\n" + strings.Join(legend, "\n") + "\n" + clip(status, s.c.Width)
}

func (s *servicesScreen) ShortHelp() []key.Binding {
	km := s.c.KeyMap
	return []key.Binding{km.Move, km.Back}
}

func (s *servicesScreen) FullHelp() [][]key.Binding { return listHelp(s.c.KeyMap) }
