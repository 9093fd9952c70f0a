package flows

import "hoctap/scoring"

// Steps of a conversation.
const (
	stepNew      = ""         // nothing asked yet
	stepConsent  = "consent"  // consent asked
	stepMenu     = "menu"     // which title to assess
	stepName     = "name"     // the subject's name
	stepArea     = "area"     // the subject's place
	stepWalk     = "walk"     // the questionnaire; the question is the assessment's cursor
	stepResume   = "resume"   // continue or start over
	stepMove     = "move"     // move to the replacement of a withdrawn set
	stepLanguage = "language" // which language
)

// State is a conversation's state between inputs. It is small and can be
// rebuilt from the Store: the questionnaire's place lives with the
// assessment, so losing a State costs a question, never an answer.
type State struct {
	Rev        int          `json:"r"`            // storage revision, for the States revision check
	Lang       string       `json:"l"`            // the conversation's language
	Person     int64        `json:"p,omitempty"`  // 0 until consent
	Step       string       `json:"s,omitempty"`  // one of the step constants
	Back       string       `json:"b,omitempty"`  // the step to return to from the language menu
	Kind       scoring.Kind `json:"k,omitempty"`  // enrolment: the title chosen
	Name       string       `json:"n,omitempty"`  // enrolment: the subject's name
	Area       string       `json:"a,omitempty"`  // enrolment: the area whose children are offered
	Assessment int64        `json:"as,omitempty"` // the assessment in progress
	Stay       bool         `json:"st,omitempty"` // keeps answering on a withdrawn set
	// Copy is the assessment in progress as last read or written, so that
	// a step need not read it from the Store; the Store's revision check
	// finds a stale copy, which is then read again.
	Copy *Assessment `json:"c,omitempty"`
}
