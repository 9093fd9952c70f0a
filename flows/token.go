package flows

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// MaxToken is the longest token a button may carry: Telegram's limit on
// callback data, in bytes.
const MaxToken = 64

// Token is what a button sends back: the module whose button it is, the
// module's verb, the object the button acts on and that object's revision
// when the button was made (0 for a button that acts on none), and up to
// two arguments. Every action that changes an object checks the token's
// object and revision, so a button from another object or an older screen
// changes nothing.
//
// Its text form is "module.verb:id:rev:code:value", ASCII, at most
// MaxToken bytes: "s.a:42:7:1.1:y" answers question 1.1 of assessment 42
// at revision 7 with yes.
type Token struct {
	Module string
	Verb   string
	ID     int64
	Rev    int
	Code   string
	Value  string
}

// ErrBadToken is returned for button data that is not one of our tokens.
var ErrBadToken = errors.New("not a button token")

var (
	tokenName  = regexp.MustCompile(`^[a-z]{1,2}$`)
	tokenCode  = regexp.MustCompile(`^[A-Za-z0-9._-]{0,24}$`)
	tokenValue = regexp.MustCompile(`^[a-z0-9_]{0,16}$`)
)

// String writes the token for a button; an id or revision of 0 is left
// empty.
func (t Token) String() string {
	var b strings.Builder
	b.Grow(16 + len(t.Code) + len(t.Value))
	b.WriteString(t.Module)
	b.WriteByte('.')
	b.WriteString(t.Verb)
	b.WriteByte(':')
	if t.ID != 0 {
		b.WriteString(strconv.FormatInt(t.ID, 10))
	}
	b.WriteByte(':')
	if t.Rev != 0 {
		b.WriteString(strconv.Itoa(t.Rev))
	}
	b.WriteByte(':')
	b.WriteString(t.Code)
	b.WriteByte(':')
	b.WriteString(t.Value)
	return b.String()
}

// ParseToken reads a button's token.
func ParseToken(s string) (Token, error) {
	if len(s) > MaxToken {
		return Token{}, ErrBadToken
	}
	f := strings.Split(s, ":")
	if len(f) != 5 {
		return Token{}, ErrBadToken
	}
	module, verb, ok := strings.Cut(f[0], ".")
	if !ok || !tokenName.MatchString(module) || !tokenName.MatchString(verb) ||
		!tokenCode.MatchString(f[3]) || !tokenValue.MatchString(f[4]) {
		return Token{}, ErrBadToken
	}
	id, ok := number(f[1])
	if !ok {
		return Token{}, ErrBadToken
	}
	rev, ok := number(f[2])
	if !ok || rev > 1<<31-1 {
		return Token{}, ErrBadToken
	}
	return Token{Module: module, Verb: verb, ID: id, Rev: int(rev), Code: f[3], Value: f[4]}, nil
}

// number reads a token's id or revision: empty for 0, else digits without
// a leading zero.
func number(s string) (int64, bool) {
	if s == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != s {
		return 0, false
	}
	return n, true
}

// NewButton builds a button with its token.
func NewButton(label string, t Token) Button { return Button{Label: label, Token: t.String()} }
