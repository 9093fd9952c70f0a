package area

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// MapHeader is the header of a mapping file (areas import --map): what an
// area that was split leaves behind, placed by hand.
var MapHeader = []string{"kind", "id", "new_code"}

// The kinds of a mapping file's lines.
const (
	MoveArea    = "area"    // id: the code of an area below one that was split; new_code: its new parent
	MoveSubject = "subject" // id: a subject's number; new_code: its new area
)

// Move is one line of a mapping file.
type Move struct {
	Line    int    // in the file, for problems
	Kind    string // MoveArea or MoveSubject
	ID      string // as written: an area's code, or a subject's number
	Subject int64  // MoveSubject: the subject's number
	To      string // new_code
}

// ReadMap reads a mapping file: the header kind,id,new_code, then one move
// a line. Every problem is returned, joined, each naming its line and
// column as "map line N, column: ..."; whether the codes and subjects are
// known, and lie in an area the import splits, is the store's to check.
func ReadMap(r io.Reader) ([]Move, error) {
	t, err := ReadTable(r, "map", MapHeader)
	if err != nil {
		return nil, err
	}
	add := t.Add
	var moves []Move
	seen := map[[2]string]int{}
	for i, rec := range t.Records {
		line := t.Lines[i]
		m := Move{Line: line, Kind: strings.TrimSpace(rec[0]), ID: strings.TrimSpace(rec[1]), To: strings.TrimSpace(rec[2])}
		ok := true
		switch m.Kind {
		case MoveArea:
			if m.ID == "" {
				add(line, "id", "empty: the code of an area below the one split")
				ok = false
			}
		case MoveSubject:
			n, err := strconv.ParseInt(m.ID, 10, 64)
			if err != nil || n <= 0 {
				add(line, "id", "%q is not a subject's number", m.ID)
				ok = false
			}
			m.Subject = n
		default:
			add(line, "kind", "%q is not %s or %s", m.Kind, MoveArea, MoveSubject)
			ok = false
		}
		switch {
		case m.To == "":
			add(line, "new_code", "empty")
			ok = false
		case m.Kind == MoveArea && m.To == m.ID:
			add(line, "new_code", "an area is not its own parent")
			ok = false
		}
		if !ok {
			continue
		}
		key := [2]string{m.Kind, strconv.FormatInt(m.Subject, 10)}
		if m.Kind == MoveArea {
			key[1] = m.ID
		}
		if first, dup := seen[key]; dup {
			add(line, "id", "%s %s is already on line %d", m.Kind, m.ID, first)
			continue
		}
		seen[key] = line
		moves = append(moves, m)
	}
	if err := t.Err(); err != nil {
		return nil, err
	}
	return moves, nil
}

// Table is a CSV file with a known header, read for a reader of one kind
// of file (a map, counts, targets): its records after the header, each
// with the line it starts on, the lines of blanks left out; and the
// problems found in them, each named "<what> line N, column: ...".
type Table struct {
	Records  [][]string
	Lines    []int
	what     string
	problems []error
}

// ReadTable reads a CSV file that must start with header (a BOM, as Excel
// writes, allowed before it); what names the file in errors.
func ReadTable(r io.Reader, what string, header []string) (*Table, error) {
	records, lines, err := ReadRecords(r)
	if err != nil {
		return nil, fmt.Errorf("read %s file: %w", what, err)
	}
	if len(records) == 0 {
		return nil, fmt.Errorf("the %s file is empty: it starts with the header %s", what, strings.Join(header, ","))
	}
	head := records[0]
	if len(head) > 0 {
		head[0] = strings.TrimPrefix(head[0], "\ufeff")
	}
	if !slices.Equal(head, header) {
		return nil, fmt.Errorf("%s line 1: the header is %q, want %s", what, strings.Join(head, ","), strings.Join(header, ","))
	}
	t := &Table{what: what}
	for i, rec := range records[1:] {
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a line of blanks
		}
		if len(rec) != len(header) {
			t.Add(lines[i+1], "the line", "%d columns, want %d", len(rec), len(header))
			continue
		}
		t.Records, t.Lines = append(t.Records, rec), append(t.Lines, lines[i+1])
	}
	return t, nil
}

// Add records a problem of a line's column.
func (t *Table) Add(line int, column, format string, args ...any) {
	t.problems = append(t.problems, fmt.Errorf("%s line %d, %s: %s", t.what, line, column, fmt.Sprintf(format, args...)))
}

// Err is every problem found, joined; nil when none.
func (t *Table) Err() error { return errors.Join(t.problems...) }

// ReadRecords reads every record of a CSV file with the line it starts on:
// the reader passes over empty lines, which the numbers must count.
func ReadRecords(r io.Reader) (records [][]string, lines []int, err error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return records, lines, nil
		}
		if err != nil {
			return nil, nil, err
		}
		line, _ := cr.FieldPos(0)
		records, lines = append(records, rec), append(lines, line)
	}
}
