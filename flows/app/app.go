// Package app puts hoctap's conversations together into one engine:
// enrolment is home, the self-assessment follows it, and review,
// invitations, places, a province's settings and an area's figures are
// entered by their commands (/review, /invite, /villages, /settings,
// /progress...); the question of an
// area split (package relocate) comes beside any of them. Every channel and
// every test that runs the whole conversation builds its engine here.
package app

import (
	"time"

	"hoctap/flows"
	"hoctap/flows/assess"
	"hoctap/flows/broadcast"
	"hoctap/flows/enrol"
	"hoctap/flows/invitations"
	"hoctap/flows/places"
	"hoctap/flows/progress"
	"hoctap/flows/relocate"
	"hoctap/flows/remind"
	"hoctap/flows/review"
	"hoctap/flows/settings"
	"hoctap/scoring"
)

// Store is every store port of the conversations.
type Store interface {
	flows.People
	enrol.Store
	assess.Store
	review.Store
	invitations.Store
	places.Store
	relocate.Store
	settings.Store
	broadcast.Store
	remind.Store
	progress.Store
}

// Config is what the engine runs on.
type Config struct {
	Store       Store
	Sets        *scoring.Catalog
	Files       flows.Files // the channel's photos
	Blobs       flows.Blobs // where evidence is kept
	Now         func() time.Time
	DefaultLang string
	BotUsername string // names the bot in invitation links; "" in the playground
}

// New makes the engine.
func New(c Config) *flows.Engine {
	walk := assess.New(assess.Config{Store: c.Store, Sets: c.Sets, Files: c.Files, Blobs: c.Blobs, BotUsername: c.BotUsername})
	rv := review.New(c.Store, c.Sets, walk)
	home := enrol.New(c.Store, c.Sets)
	inviting := invitations.New(c.Store, c.BotUsername)
	villages := places.New(c.Store)
	relocating := relocate.New(c.Store)
	setting := settings.New(c.Store)
	announcing := broadcast.New(c.Store)
	figures := progress.New(c.Store, c.Sets)
	e, err := flows.New(flows.Config{
		People:  c.Store,
		Home:    home,
		Payload: home.Invited,
		Modules: []flows.Module{walk, rv, inviting, villages, setting, announcing, figures},
		Commands: map[string]func(*flows.Turn) error{"status": walk.Status, "review": rv.Open, "recognise": rv.OpenRecognise,
			"invite": inviting.Open, "roles": inviting.OpenRoles, "villages": villages.Open, "settings": setting.Open,
			"broadcast": announcing.Open, "reminders": remind.Command(c.Store),
			"progress": figures.Open, "export": figures.Export},
		Events: map[string]func(*flows.Turn) error{review.EventDecided: rv.Tell, review.EventRecognised: rv.Certify,
			review.EventReturned: rv.Returned, relocate.EventAsk: relocating.Ask, broadcast.Event: broadcast.Show(c.Store),
			flows.RemindEvent + flows.RemindUnfinished: walk.Remind, flows.RemindEvent + flows.RemindReview: rv.ReviewDigest,
			flows.RemindEvent + flows.RemindRecognise: rv.RecogniseDigest, flows.RemindEvent + flows.RemindRegistered: home.RemindRegistered,
			flows.RemindEvent + flows.RemindProgress: figures.WeeklyDigest, flows.RemindEvent + flows.RemindNudged: figures.Nudged},
		Asides: map[string]func(*flows.Turn) error{relocate.Name: relocating.Press, assess.Reminder: walk.Continued,
			review.Digest: rv.DigestPressed, enrol.Reminder: home.Started, progress.Digest: figures.DigestPressed},
		Now:         c.Now,
		DefaultLang: c.DefaultLang,
	})
	if err != nil {
		panic(err) // the modules above have names of their own: a build defect
	}
	return e
}
