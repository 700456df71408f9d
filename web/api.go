package web

import (
	"net/http"
	"strings"

	"github.com/charmbracelet/log"

	"selfserve/model"
	"selfserve/ops"
)

// api answers /v1 for one console (the server's, acting as the public).
type api struct {
	ops *ops.Console
	log *log.Logger
	// start and verify are the sign-up steps behind their rate limits.
	start, verify http.HandlerFunc
}

type startRequest struct {
	Email   string `json:"email"`
	Service string `json:"service"`
}

// startAnswer is the same for every address the rules do not refuse
// outright: whether a code was sent, or a mail saying why none was,
// would tell anyone whether the address is a member (issue 10 point 12).
type startAnswer struct {
	Email   string `json:"email"`
	Service string `json:"service"`
	Message string `json:"message"`
}

const startMessage = "If this address may sign up, a code is on its way to it; otherwise a mail there says why not."

func (a *api) startSignup(w http.ResponseWriter, r *http.Request) {
	var req startRequest
	if !decodeOrRefuse(w, r, &req) {
		return
	}
	if _, err := a.ops.SignupStart(r.Context(), req.Email, req.Service); err != nil {
		a.refuse(w, r, classify(err, true), err)
		return
	}
	writeJSON(w, http.StatusAccepted, startAnswer{Email: strings.TrimSpace(req.Email),
		Service: strings.ToLower(strings.TrimSpace(req.Service)), Message: startMessage})
}

type verifyRequest struct {
	Email string `json:"email"`
	Code  string `json:"code"`
}

// verifyAnswer is what a person who proved their address may learn: who
// they now are and which directory holds them, not its admins.
type verifyAnswer struct {
	User             userView      `json:"user"`
	Directory        directoryView `json:"directory"`
	Outcome          model.Outcome `json:"outcome"`
	CreatedDirectory bool          `json:"createdDirectory"`
	AlreadyGranted   bool          `json:"alreadyGranted"`
}

type userView struct {
	ID     string   `json:"id"`
	Email  string   `json:"email"`
	Kind   string   `json:"kind"`
	Grants []string `json:"grants"`
}

type directoryView struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	State string `json:"state"`
}

func (a *api) verifySignup(w http.ResponseWriter, r *http.Request) {
	var req verifyRequest
	if !decodeOrRefuse(w, r, &req) {
		return
	}
	res, err := a.ops.SignupVerify(req.Email, strings.TrimSpace(req.Code))
	if err != nil {
		a.refuse(w, r, classify(err, false), err)
		return
	}
	writeJSON(w, http.StatusCreated, answerOf(res))
}

func answerOf(res ops.SignupResult) verifyAnswer {
	return verifyAnswer{
		User: userView{ID: res.User.ID, Email: res.User.Email, Kind: string(res.User.Kind), Grants: res.User.Grants},
		Directory: directoryView{ID: res.Directory.ID, Name: res.Directory.Name,
			State: string(res.Directory.State)},
		Outcome: res.Outcome, CreatedDirectory: res.CreatedDirectory, AlreadyGranted: res.AlreadyGranted,
	}
}

type serviceView struct {
	Name string `json:"name"`
}

func (a *api) services(w http.ResponseWriter, r *http.Request) {
	list, err := a.ops.Services()
	if err != nil {
		a.refuse(w, r, kindUnavailable, err)
		return
	}
	out := make([]serviceView, len(list))
	for i, s := range list {
		out[i] = serviceView{Name: s.Name}
	}
	writeJSON(w, http.StatusOK, out)
}

// refuse answers k. A refusal's message is a fact for the person
// asking; any other failure is logged and answered without detail.
func (a *api) refuse(w http.ResponseWriter, r *http.Request, k kind, err error) {
	if k == kindUnavailable {
		a.log.Error("request failed", "path", r.URL.Path, "err", err)
		writeProblem(w, k, "")
		return
	}
	writeProblem(w, k, err.Error())
}
