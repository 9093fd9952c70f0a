// Package flows holds hoctap's conversations — consent, enrolment, the
// questionnaire walk with its evidence, the review screen and submission —
// with no Telegram, Redis or SQL in them.
//
// A channel adapter (Telegram in package bot, the terminal playground in
// cmd/hoctap) decodes what a person did into an Input and gives it to
// Engine.Handle, which loads the conversation's State, checks the input fits
// the current step, persists what must last through the Store, saves the new
// State and returns Outputs for the adapter to render. What flows needs from
// storage it asks through the small interfaces in store.go.
//
// Texts in outputs are simple HTML: <b> and <i> and escaped text, which every
// channel can show or strip. Buttons carry compact ASCII tokens (token.go)
// that name the step they answer and the assessment revision they were made
// for, so a stale button is recognised and changes nothing.
package flows
