// Package flows is the conversation engine: the inputs a channel decodes
// (a text, a button press, a photo, a command, a timer, an event), the
// outputs it renders, the state envelope kept between inputs, and the
// Engine that routes each input to the module whose conversation it
// belongs to. The modules — enrolment (package enrol), the self-assessment
// (package assess), review and recognition (review), invitations, places,
// a province's settings (settings), and next progress — each own their
// steps, their button verbs and a small store port. Package app puts them
// together. There is no Telegram, Redis or SQL in any of them: the runner
// (package runner) loads the envelope, calls Engine.Step, saves, and hands
// the outputs to the channel.
//
// Texts in outputs are simple HTML: <b> and <i> and escaped text, which
// every channel can show or strip. A photo's file id, "show this in place
// of the pressed message" (Output.Replace), a toast (Output.Notice) and an
// album's quiet time (Output.Settle) are opaque handles and intents that
// flows passes through. Buttons carry compact ASCII tokens (token.go) that
// name their module, verb, object and the object's revision, so a button
// of another object or an older screen is recognised and changes nothing.
package flows
