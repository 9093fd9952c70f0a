package xlsx

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"hoctap/scoring"
)

// read sets the field ref points to (see date) from a cell, raw and as
// shown; at names the cell in problems. Texts are read as shown, numbers
// raw, so that 2.3 stored as 2.2999999999999998 is the code "2.3" and the
// number 2.3.
func (r *reader) read(ref any, raw, shown, at string) {
	switch p := ref.(type) {
	case *string:
		*p = shown
	case *date:
		*p = date(r.date(raw))
	case *float64:
		r.number(p, raw, at)
	case *optNumber:
		r.number((*float64)(p), raw, at)
	case **float64:
		*p = nil
		if raw != "" {
			*p = new(float64)
			r.number(*p, raw, at)
		}
	case *int:
		r.whole(p, raw, at)
	case *optInt:
		r.whole((*int)(p), raw, at)
	case *bool:
		v, ok := yesNo(shown)
		if !ok {
			r.add(at, "%q is not yes or no", shown)
		}
		*p = v
	case **scoring.Relevant:
		*p = nil
		if shown != "" {
			rule, err := scoring.ParseRelevant(shown)
			if err != nil {
				r.add(at, "%v", err)
			}
			*p = rule
		}
	default:
		panic(fmt.Sprintf("xlsx: a field of type %T", ref))
	}
}

func (r *reader) number(p *float64, s, at string) {
	if s == "" {
		return
	}
	v, ok := parseNumber(s)
	if !ok {
		r.add(at, "%q is not a number", s)
	}
	*p = v
}

func (r *reader) whole(p *int, s, at string) {
	if s == "" {
		return
	}
	v, ok := parseNumber(s)
	switch {
	case !ok:
		r.add(at, "%q is not a number", s)
	case v != math.Trunc(v) || math.Abs(v) > 1e9:
		r.add(at, "%q is not a whole number", s)
	default:
		*p = int(v)
	}
}

// number is a number as a person writes it: digits with a decimal point or
// comma, and maybe an exponent, but not NaN, Inf or hexadecimal.
var number = regexp.MustCompile(`^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$`)

// parseNumber parses a finite number such as "10", "2.5" or "2,5".
func parseNumber(s string) (float64, bool) {
	if !number.MatchString(s) {
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// yesNo parses a yes/no cell; an empty cell is no.
func yesNo(s string) (v, ok bool) {
	switch strings.ToLower(s) {
	case "yes", "true", "có", "co", "1":
		return true, true
	case "no", "false", "không", "khong", "0", "":
		return false, true
	}
	return false, false
}

// Excel's date serial numbers from 1900-01-01 to 9999-12-31.
const minSerial, maxSerial = 1, 2958465

// date returns the YYYY-MM-DD of a date cell: a date serial number, or a text
// left as it is for validation to judge, though an ISO time is cut to its
// date.
func (r *reader) date(s string) string {
	if v, ok := parseNumber(s); ok && v >= minSerial && v <= maxSerial {
		if t, err := excelize.ExcelDateToTime(v, r.date1904); err == nil {
			return t.Format(time.DateOnly)
		}
	}
	if d, _, ok := strings.Cut(s, "T"); ok {
		if _, err := time.Parse(time.DateOnly, d); err == nil {
			return d
		}
	}
	return s
}
