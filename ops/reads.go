package ops

import "selfserve/model"

// SetSwitches sets a directory's switches as v, audited under v's name.
func (c *Console) SetSwitches(ref string, v Viewer, want model.Switches) (model.Directory, error) {
	return c.Store.SetSwitches(ref, v.Actor(), v.IsOperator(), func(model.Switches) model.Switches { return want })
}
