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
	records, lines, err := readRecords(r)
	if err != nil {
		return nil, fmt.Errorf("read map file: %w", err)
	}
	if len(records) == 0 {
		return nil, errors.New("the map file is empty: it starts with the header " + strings.Join(MapHeader, ","))
	}
	head := records[0]
	if len(head) > 0 {
		head[0] = strings.TrimPrefix(head[0], "\ufeff") // a BOM, as Excel writes
	}
	if !slices.Equal(head, MapHeader) {
		return nil, fmt.Errorf("map line 1: the header is %q, want %s", strings.Join(head, ","), strings.Join(MapHeader, ","))
	}
	var problems []error
	add := func(line int, column, format string, args ...any) {
		problems = append(problems, fmt.Errorf("map line %d, %s: %s", line, column, fmt.Sprintf(format, args...)))
	}
	var moves []Move
	seen := map[[2]string]int{}
	for i, rec := range records[1:] {
		line := lines[i+1]
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a line of blanks
		}
		if len(rec) != len(MapHeader) {
			add(line, "the line", "%d columns, want %d", len(rec), len(MapHeader))
			continue
		}
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
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	return moves, nil
}

// readRecords reads every record of a CSV file with the line it starts on:
// the reader passes over empty lines, which the numbers must count.
func readRecords(r io.Reader) (records [][]string, lines []int, err error) {
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
