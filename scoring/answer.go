package scoring

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
)

// AnswerType is the shape of a given answer.
type AnswerType uint8

// The shapes of an answer.
const (
	AnswerBool   AnswerType = iota + 1 // yes or no: yes_no indicators and conditions
	AnswerOption                       // an option code: choice indicators
	AnswerValue                        // a number: number, ratio and derived (percent) and reviewer (points) indicators
	AnswerNA                           // not applicable
)

// Answer is the answer given to one indicator or condition.
type Answer struct {
	Type   AnswerType
	Bool   bool
	Option string
	Value  float64
}

// Yes returns a yes answer.
func Yes() Answer { return Answer{Type: AnswerBool, Bool: true} }

// No returns a no answer.
func No() Answer { return Answer{Type: AnswerBool} }

// Choose returns the answer that picks an option.
func Choose(option string) Answer { return Answer{Type: AnswerOption, Option: option} }

// Value returns a number answer: a count, a percentage, or a reviewer's points.
func Value(v float64) Answer { return Answer{Type: AnswerValue, Value: v} }

// NotApplicable returns the "not applicable" answer.
func NotApplicable() Answer { return Answer{Type: AnswerNA} }

// MarshalJSON writes the answer in the answers-file form: true, false, an
// option code, a number or "na".
func (a Answer) MarshalJSON() ([]byte, error) {
	switch a.Type {
	case AnswerBool:
		return json.Marshal(a.Bool)
	case AnswerOption:
		return json.Marshal(a.Option)
	case AnswerValue:
		return json.Marshal(a.Value)
	case AnswerNA:
		return []byte(`"na"`), nil
	}
	return nil, fmt.Errorf("answer of unknown type %d", a.Type)
}

// UnmarshalJSON reads the answers-file form: true, false, an option code, a
// number or "na".
func (a *Answer) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case bytes.Equal(data, []byte("true")), bytes.Equal(data, []byte("false")):
		*a = Answer{Type: AnswerBool, Bool: data[0] == 't'}
	case len(data) > 0 && data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		if s == "na" {
			*a = NotApplicable()
		} else {
			*a = Choose(s)
		}
	default:
		v, err := strconv.ParseFloat(string(data), 64)
		if err != nil || math.IsInf(v, 0) {
			return fmt.Errorf("%s is not true, false, a number or a string", data)
		}
		*a = Value(v)
	}
	return nil
}

// Answers maps indicator and condition codes to their answers.
type Answers map[string]Answer

// ParseAnswers reads an answers file: a JSON object from codes to answers.
func ParseAnswers(data []byte) (Answers, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("answers are not a JSON object: %w", err)
	}
	answers := make(Answers, len(raw))
	var errs []error
	for _, code := range sortedKeys(raw) {
		var a Answer
		if err := a.UnmarshalJSON(raw[code]); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", code, err))
			continue
		}
		answers[code] = a
	}
	return answers, errors.Join(errs...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Errors callers branch on when an answer does not fit its question.
var (
	ErrUnknownCode   = errors.New("no indicator or condition has this code")
	ErrWrongType     = errors.New("wrong kind of answer")
	ErrUnknownOption = errors.New("no such option")
	ErrOutOfRange    = errors.New("out of range")
	ErrNANotAllowed  = errors.New("not applicable is not allowed here")
)

// AnswerError says which answer does not fit and why.
type AnswerError struct {
	Code string // the indicator or condition code
	Err  error  // one of the Err values above, possibly wrapped with detail
}

func (e *AnswerError) Error() string { return e.Code + ": " + e.Err.Error() }
func (e *AnswerError) Unwrap() error { return e.Err }

// Check reports whether a fits the indicator or condition with the given code.
// The error is an *AnswerError wrapping one of the Err values.
func (s *Set) Check(code string, a Answer) error {
	if _, ok := s.Condition(code); ok {
		if a.Type != AnswerBool {
			return &AnswerError{code, fmt.Errorf("%w: a condition takes true or false", ErrWrongType)}
		}
		return nil
	}
	ind, ok := s.Indicator(code)
	if !ok {
		return &AnswerError{code, ErrUnknownCode}
	}
	if a.Type == AnswerNA && ind.NotApplicable && !s.OffersNA(code) {
		return &AnswerError{code, fmt.Errorf("%w: a relevant rule decides whether it applies", ErrNANotAllowed)}
	}
	if err := ind.Check(a); err != nil {
		return &AnswerError{code, err}
	}
	return nil
}

// Check reports whether a fits the indicator.
func (ind *Indicator) Check(a Answer) error {
	if a.Type == AnswerNA {
		if !ind.NotApplicable {
			return ErrNANotAllowed
		}
		return nil
	}
	switch ind.Kind {
	case AnswerYesNo:
		if a.Type != AnswerBool {
			return fmt.Errorf("%w: expected true or false", ErrWrongType)
		}
	case AnswerChoice:
		if a.Type != AnswerOption {
			return fmt.Errorf("%w: expected an option code", ErrWrongType)
		}
		if _, ok := ind.Option(a.Option); !ok {
			return fmt.Errorf("%w %q", ErrUnknownOption, a.Option)
		}
	case AnswerNumber, AnswerRatio, AnswerDerived, AnswerReviewer:
		if a.Type != AnswerValue {
			return fmt.Errorf("%w: expected a number", ErrWrongType)
		}
		r := ind.ValueRange()
		if math.IsNaN(a.Value) || a.Value < r.Min || (r.Max != nil && a.Value > *r.Max) {
			return fmt.Errorf("%w: %s is not within %s", ErrOutOfRange, FormatNumber(a.Value), r)
		}
	}
	return nil
}

// String writes the range as "0–100" or "from 0".
func (r Range) String() string {
	if r.Max == nil {
		return "from " + FormatNumber(r.Min)
	}
	return FormatNumber(r.Min) + "–" + FormatNumber(*r.Max)
}

// FormatNumber writes a number without a needless fraction: 10, 2.5, 0.25.
func FormatNumber(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}
