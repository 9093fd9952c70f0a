// Package locales holds every text of hoctap's own, in Vietnamese (the
// source language) and English, as go-i18n message files embedded in the
// binary, and a Printer that looks them up.
package locales

import (
	"embed"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"

	"hoctap/scoring"
)

//go:embed *.yaml
var files embed.FS

// Languages are the languages hoctap speaks, the source language first.
var Languages = []string{"vi", "en"}

// Default is the language used when a person's is unknown or not spoken.
const Default = "vi"

var bundle = sync.OnceValues(func() (*i18n.Bundle, error) {
	b := i18n.NewBundle(language.Vietnamese)
	b.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	for _, lang := range Languages {
		if _, err := b.LoadMessageFileFS(files, lang+".yaml"); err != nil {
			return nil, fmt.Errorf("load %s messages: %w", lang, err)
		}
	}
	return b, nil
})

// Bundle returns the go-i18n bundle of every message.
func Bundle() (*i18n.Bundle, error) { return bundle() }

// Match returns the language hoctap speaks that best fits a language code
// such as Telegram's "en-US", or Default.
func Match(code string) string { return MatchOr(code, Default) }

// MatchOr is Match with another fallback than Default.
func MatchOr(code, fallback string) string {
	code = strings.ToLower(code)
	for _, lang := range Languages {
		if code == lang || strings.HasPrefix(code, lang+"-") || strings.HasPrefix(code, lang+"_") {
			return lang
		}
	}
	return fallback
}

// Printer writes hoctap's texts in one language.
type Printer struct {
	lang string
	loc  *i18n.Localizer
}

// For returns the printer for a language code; see Match.
func For(code string) *Printer {
	lang := Match(code)
	b, err := bundle()
	if err != nil {
		// The files are embedded and tested; failing here is a build defect.
		panic(err)
	}
	return &Printer{lang: lang, loc: i18n.NewLocalizer(b, lang)}
}

// Lang returns the printer's language, "vi" or "en".
func (p *Printer) Lang() string { return p.lang }

// T returns the message id filled with data. A "Count" in data (an integer,
// or a number written with a dot) picks the plural form. A missing message returns its id in brackets, which the tests
// catch.
func (p *Printer) T(id string, data ...map[string]any) string {
	cfg := &i18n.LocalizeConfig{MessageID: id}
	if len(data) > 0 {
		cfg.TemplateData = data[0]
		if n, ok := data[0]["Count"]; ok {
			cfg.PluralCount = n
		}
	}
	s, err := p.loc.Localize(cfg)
	if err != nil {
		return "[" + id + "]"
	}
	return s
}

// Number writes a number the way the language does: 2,5 in Vietnamese and
// 2.5 in English, with no needless fraction.
func (p *Printer) Number(v float64) string {
	s := scoring.FormatNumber(v)
	if p.lang == "vi" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// Count writes a whole number with the language's thousands separator:
// 1.234.567 in Vietnamese and 1,234,567 in English.
func (p *Printer) Count(n int) string {
	digits := strconv.Itoa(n)
	sign := ""
	if n < 0 {
		sign, digits = "-", digits[1:]
	}
	sep := ","
	if p.lang == "vi" {
		sep = "."
	}
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(d)
	}
	return sign + b.String()
}

// Vietnam is the programme's time zone: a date shown to people is the
// day there. It has kept UTC+7 without daylight saving since 1975.
var vietnam = time.FixedZone("ICT", 7*60*60)

// Date writes the day of a time in Vietnam: 04/12/2026 in Vietnamese,
// 4 Dec 2026 in English.
func (p *Printer) Date(t time.Time) string {
	if p.lang == "vi" {
		return t.In(vietnam).Format("02/01/2006")
	}
	return t.In(vietnam).Format("2 Jan 2006")
}

// Time writes a moment in Vietnam, to the minute: 14:05 04/12/2026 in
// Vietnamese, 4 Dec 2026 14:05 in English.
func (p *Printer) Time(t time.Time) string {
	if p.lang == "vi" {
		return t.In(vietnam).Format("15:04 02/01/2006")
	}
	return t.In(vietnam).Format("2 Jan 2006 15:04")
}

// Points writes "10 điểm" or "10 points".
func (p *Printer) Points(v float64) string {
	return p.T("points", map[string]any{"Count": scoring.FormatNumber(v), "N": p.Number(v)})
}

// SetTitle returns a set's title as shown to people: a draft says it is a
// draft, a withdrawn set that it was withdrawn.
func (p *Printer) SetTitle(s *scoring.Set) string {
	title := s.Title.In(p.lang)
	switch s.Status {
	case scoring.StatusDraft:
		return p.T("set.title.draft", map[string]any{"Title": title})
	case scoring.StatusWithdrawn:
		return p.T("set.title.withdrawn", map[string]any{"Title": title})
	}
	return title
}
