// Package model holds selfserve's domain rules as pure functions: email
// normalisation, the decision table, challenges, codes and takeover plans.
// It does no I/O; store applies what these functions decide.
package model
