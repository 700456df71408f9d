// Package web is selfserve's HTTP front end: the JSON sign-up API under
// /v1 and the sign-up page people use. Like the console and the command
// line it only calls ops; it adds what HTTP needs (status codes, problem
// documents, limits on what a client may send).
package web
