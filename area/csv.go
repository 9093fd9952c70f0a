package area

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"hoctap/flows"
	"hoctap/scoring"
)

// Header is the header of an area file; the last column may be left out.
var Header = []string{"code", "name", "level", "parent_code", "valid_from", "valid_to", "replaced_by"}

// Levels are the levels of the area tree, from the top.
var Levels = []string{"nation", "province", "commune", "village"}

// Row is one area of an area file.
type Row struct {
	Line       int // in the file, for problems
	Code       string
	Name       string // the official Vietnamese name
	Level      string
	Parent     string // "" at the top
	ValidFrom  time.Time
	ValidTo    *time.Time // nil for an area in force
	ReplacedBy string     // the area that took over one that ended; "" where it was split
}

// ReadCSV reads an area file: the header, then one area a line in any
// order. Every problem is returned, joined, each naming its line and
// column. A parent or a replacement not in the file must be known to
// whoever imports the rows (the store checks it); a parent in the file
// must sit on a level above.
func ReadCSV(r io.Reader) ([]Row, error) {
	records, lines, err := ReadRecords(r)
	if err != nil {
		return nil, fmt.Errorf("read area file: %w", err)
	}
	if len(records) == 0 {
		return nil, errors.New("the area file is empty: it starts with the header " + strings.Join(Header, ","))
	}
	head := records[0]
	if len(head) > 0 {
		head[0] = strings.TrimPrefix(head[0], "\ufeff") // a BOM, as Excel writes
	}
	if !slices.Equal(head, Header) && !slices.Equal(head, Header[:len(Header)-1]) {
		return nil, fmt.Errorf("line 1: the header is %q, want %s", strings.Join(head, ","), strings.Join(Header, ","))
	}
	var problems []error
	add := func(line int, column, format string, args ...any) {
		problems = append(problems, fmt.Errorf("line %d, %s: %s", line, column, fmt.Sprintf(format, args...)))
	}
	rows := make([]Row, 0, len(records)-1)
	seen := map[string]int{}
	for i, rec := range records[1:] {
		line := lines[i+1]
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a line of blanks
		}
		if len(rec) != len(head) {
			add(line, "the line", "%d columns, want %d", len(rec), len(head))
			continue
		}
		field := func(j int) string { return strings.TrimSpace(rec[j]) }
		row := Row{Line: line, Code: field(0), Name: norm.NFC.String(field(1)), Level: field(2), Parent: field(3)}
		if len(rec) == len(Header) {
			row.ReplacedBy = field(6)
		}
		switch first, dup := seen[row.Code]; {
		case row.Code == "":
			add(line, "code", "empty")
		case dup:
			add(line, "code", "%q is already on line %d", row.Code, first)
		default:
			seen[row.Code] = line
		}
		if row.Name == "" {
			add(line, "name", "empty")
		}
		if !slices.Contains(Levels, row.Level) {
			add(line, "level", "%q is not one of %s", row.Level, strings.Join(Levels, ", "))
		}
		from, err := time.Parse(time.DateOnly, field(4))
		if err != nil {
			add(line, "valid_from", "%q is not a date (YYYY-MM-DD)", field(4))
		}
		row.ValidFrom = from
		if to := field(5); to != "" {
			t, err := time.Parse(time.DateOnly, to)
			switch {
			case err != nil:
				add(line, "valid_to", "%q is not a date (YYYY-MM-DD)", to)
			case t.Before(from):
				add(line, "valid_to", "%s is before valid_from %s", to, field(4))
			default:
				row.ValidTo = &t
			}
		}
		if row.ReplacedBy != "" && row.ValidTo == nil {
			add(line, "replaced_by", "only an area that ended (valid_to) is replaced")
		}
		if row.Parent == row.Code && row.Code != "" {
			add(line, "parent_code", "an area is not its own parent")
		}
		rows = append(rows, row)
	}
	byCode := map[string]Row{}
	for _, r := range rows {
		byCode[r.Code] = r
	}
	for _, r := range rows {
		parent, ok := byCode[r.Parent]
		if ok && slices.Index(Levels, parent.Level) >= slices.Index(Levels, r.Level) && slices.Contains(Levels, r.Level) {
			add(r.Line, "parent_code", "%s is a %s, not above a %s", r.Parent, parent.Level, r.Level)
		}
		if r.ReplacedBy == r.Code && r.Code != "" {
			add(r.Line, "replaced_by", "an area is not replaced by itself")
		}
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	return ParentsFirst(rows), nil
}

// ParentsFirst orders rows so that a parent in the list comes before its
// children, keeping the file's order otherwise.
func ParentsFirst(rows []Row) []Row {
	byCode := make(map[string]Row, len(rows))
	for _, r := range rows {
		byCode[r.Code] = r
	}
	out := make([]Row, 0, len(rows))
	placed := map[string]bool{}
	var place func(r Row, depth int)
	place = func(r Row, depth int) {
		if placed[r.Code] || depth > len(Levels) { // the levels rule out a longer chain
			return
		}
		if parent, ok := byCode[r.Parent]; ok {
			place(parent, depth+1)
		}
		placed[r.Code] = true
		out = append(out, r)
	}
	for _, r := range rows {
		place(r, 0)
	}
	return out
}

// Area returns the row as an area of the conversations, named in English
// by EnglishName.
func (r Row) Area() flows.Area {
	return flows.Area{Code: r.Code, Parent: r.Parent, Level: r.Level,
		Name: scoring.Text{VI: r.Name, EN: EnglishName(r.Name)}, Region: scoring.RegionNormal}
}
