// Package ops is the set of operations an operator or domain admin performs
// (sign-up, challenges, verification and takeover, invitations), shared by
// the command line and the console so no rule is written twice.
package ops
