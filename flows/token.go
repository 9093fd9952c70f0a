package flows

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// Verbs of button tokens.
const (
	verbConsent  = "ok" // consent given
	verbRefuse   = "no" // consent refused
	verbLanguage = "lg" // Code: vi or en
	verbKind     = "k"  // Code: the title kind to assess
	verbArea     = "ar" // Code: the area chosen
	verbAnswer   = "a"  // Code: indicator or condition; Value: y, n, na or an option
	verbInfo     = "i"  // Code: indicator or condition whose guidance to show
	verbBack     = "bk" // back to the previous question
	verbLater    = "lt" // skip the question for now
	verbDone     = "dn" // evidence done
	verbSkip     = "sk" // no (optional) evidence
	verbEdit     = "e"  // Code: the question to change from the review screen
	verbReview   = "rv" // to the review screen
	verbSubmit   = "sb" // submit the assessment
	verbContinue = "ct" // continue the assessment in progress
	verbRestart  = "ns" // give up the assessment in progress and start a new one
	verbMove     = "mv" // move to the replacement of a withdrawn set
	verbStay     = "st" // keep answering on the withdrawn set
)

// Token is what a button sends back: a verb, the assessment revision the
// button was made for (0 when it does not matter), and up to two arguments.
// Its text form is "verb:rev:code:value", ASCII, at most 64 bytes.
type Token struct {
	Verb  string
	Rev   int
	Code  string
	Value string
}

// ErrBadToken is returned for button data that is not one of our tokens.
var ErrBadToken = errors.New("not a button token")

var (
	tokenVerb  = regexp.MustCompile(`^[a-z]{1,2}$`)
	tokenCode  = regexp.MustCompile(`^[A-Za-z0-9._-]{0,24}$`)
	tokenValue = regexp.MustCompile(`^[a-z0-9_]{0,16}$`)
)

// String writes the token for a button.
func (t Token) String() string {
	return t.Verb + ":" + strconv.Itoa(t.Rev) + ":" + t.Code + ":" + t.Value
}

// ParseToken reads a button's token.
func ParseToken(s string) (Token, error) {
	if len(s) > 64 {
		return Token{}, ErrBadToken
	}
	f := strings.Split(s, ":")
	if len(f) != 4 || !tokenVerb.MatchString(f[0]) || !tokenCode.MatchString(f[2]) || !tokenValue.MatchString(f[3]) {
		return Token{}, ErrBadToken
	}
	rev, err := strconv.Atoi(f[1])
	if err != nil || rev < 0 || strconv.Itoa(rev) != f[1] {
		return Token{}, ErrBadToken
	}
	return Token{Verb: f[0], Rev: rev, Code: f[2], Value: f[3]}, nil
}

// button builds a button with its token.
func button(label string, t Token) Button { return Button{Label: label, Token: t.String()} }
