package area

import (
	"io"
	"strconv"
	"strings"
)

// CountsHeader is the header of an official counts file (areas counts
// import): how many households, clans, villages, units, adults and staff
// an area has in a year, the denominators of the programme's shares.
var CountsHeader = []string{"code", "year", "households", "clans", "villages", "units", "adults", "staff"}

// Counts is one line of a counts file; a count left empty is not known
// (nil), and the figures fall back to the registry for it.
type Counts struct {
	Line   int // in the file, for problems
	Code   string
	Year   int
	Values [6]*int // households, clans, villages, units, adults, staff, as CountsHeader names them
}

// ReadCounts reads a counts file: the header, then one area and year a
// line, each count a whole number from 0 or empty. Every problem is
// returned, joined, each naming its line and column as "counts line N,
// column: ..."; whether the codes are known is the store's to check.
func ReadCounts(r io.Reader) ([]Counts, error) {
	t, err := ReadTable(r, "counts", CountsHeader)
	if err != nil {
		return nil, err
	}
	add := t.Add
	var out []Counts
	seen := map[string]int{}
	for i, rec := range t.Records {
		line := t.Lines[i]
		c := Counts{Line: line, Code: strings.TrimSpace(rec[0])}
		if c.Code == "" {
			add(line, "code", "empty")
		}
		year, err := strconv.Atoi(strings.TrimSpace(rec[1]))
		if err != nil || year < 2000 || year > 2100 {
			add(line, "year", "%q is not a year", rec[1])
		}
		c.Year = year
		for j, cell := range rec[2:] {
			cell = strings.ReplaceAll(strings.TrimSpace(cell), ".", "") // 12.345, as Vietnamese writes thousands
			if cell == "" {
				continue
			}
			n, err := strconv.Atoi(cell)
			if err != nil || n < 0 {
				add(line, CountsHeader[j+2], "%q is not a whole number from 0", rec[j+2])
				continue
			}
			c.Values[j] = &n
		}
		key := c.Code + "@" + strconv.Itoa(c.Year)
		if first, ok := seen[key]; ok {
			add(line, "code", "%s %d is on line %d already", c.Code, c.Year, first)
			continue
		}
		seen[key] = line
		out = append(out, c)
	}
	if err := t.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
