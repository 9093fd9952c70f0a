package scoring

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

//go:embed sets/*.yaml
var embedded embed.FS

// Catalog is every criteria set version known: the national ones shipped
// with hoctap and those a province keeps in its own folder.
type Catalog struct {
	sets []*Set // sorted by id, then version
}

// ErrUnknownSet is returned when no set has the id (and version) asked for.
var ErrUnknownSet = errors.New("unknown criteria set")

// Shipped returns the catalog of the sets embedded in hoctap.
func Shipped() (*Catalog, error) {
	return LoadCatalog("")
}

// LoadCatalog loads the shipped sets and, when dir is not empty, every
// *.yaml and *.yml file in dir. Every problem of every file is returned,
// joined; a set version defined twice is a problem too.
func LoadCatalog(dir string) (*Catalog, error) {
	return loadCatalog(dir, true)
}

// LoadFolder loads the sets of a folder alone, without the shipped ones.
func LoadFolder(dir string) (*Catalog, error) {
	return loadCatalog(dir, false)
}

func loadCatalog(dir string, withShipped bool) (*Catalog, error) {
	c := &Catalog{}
	var errs []error
	add := func(name string, data []byte) {
		set, err := Parse(name, data)
		if err != nil {
			errs = append(errs, err)
			return
		}
		if other, dup := c.Get(set.ID, set.Version); dup {
			errs = append(errs, Problem{File: name, Path: "version", Msg: fmt.Sprintf("%s is already defined (%s)", set.Ref(), other.Title.VI)})
			return
		}
		c.add(set)
	}

	if withShipped {
		shipped, err := ShippedFiles()
		if err != nil {
			return nil, fmt.Errorf("read shipped criteria sets: %w", err)
		}
		for _, name := range sortedKeys(shipped) {
			add(name, shipped[name])
		}
	}
	if dir != "" {
		files, err := setFiles(dir)
		if err != nil {
			return nil, err
		}
		for _, path := range files {
			data, err := os.ReadFile(path)
			if err != nil {
				errs = append(errs, fmt.Errorf("read criteria set: %w", err))
				continue
			}
			add(filepath.Base(path), data)
		}
	}
	return c, errors.Join(errs...)
}

// ShippedFiles returns the shipped sets' files by name, for linting.
func ShippedFiles() (map[string][]byte, error) {
	names, err := fs.Glob(embedded, "sets/*.yaml")
	if err != nil {
		return nil, err
	}
	files := make(map[string][]byte, len(names))
	for _, name := range names {
		if files[filepath.Base(name)], err = embedded.ReadFile(name); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// setFiles lists the YAML files of a criteria folder.
func setFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read criteria folder: %w", err)
	}
	var files []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	return files, nil
}

func (c *Catalog) add(s *Set) {
	c.sets = append(c.sets, s)
	sort.Slice(c.sets, func(i, j int) bool {
		if c.sets[i].ID != c.sets[j].ID {
			return c.sets[i].ID < c.sets[j].ID
		}
		return c.sets[i].Version < c.sets[j].Version
	})
}

// Sets returns every set version, by id and then version.
func (c *Catalog) Sets() []*Set { return c.sets }

// Get returns one set version.
func (c *Catalog) Get(id string, version int) (*Set, bool) {
	for _, s := range c.sets {
		if s.ID == id && s.Version == version {
			return s, true
		}
	}
	return nil, false
}

// Latest returns the newest version of a set that is not withdrawn, or the
// newest withdrawn one when all are.
func (c *Catalog) Latest(id string) (*Set, bool) {
	var found *Set
	for _, s := range c.sets {
		if s.ID != id {
			continue
		}
		if found == nil || found.Status == StatusWithdrawn || s.Status != StatusWithdrawn {
			found = s
		}
	}
	return found, found != nil
}

// IndicatorText is an indicator's short text in a language, from the
// newest version of its set that has it; "" when none has.
func (c *Catalog) IndicatorText(setID, code, lang string) string {
	for i := len(c.sets) - 1; i >= 0; i-- {
		if c.sets[i].ID != setID {
			continue
		}
		for _, ind := range c.sets[i].Indicators() {
			if ind.Code == code {
				return ShortText(ind.Short, ind.Text, lang)
			}
		}
	}
	return ""
}

// Lookup finds a set by "id" (its latest version) or "id@version".
func (c *Catalog) Lookup(ref string) (*Set, error) {
	id, ver, hasVer := strings.Cut(ref, "@")
	if !hasVer {
		if s, ok := c.Latest(id); ok {
			return s, nil
		}
		return nil, fmt.Errorf("%w %q", ErrUnknownSet, ref)
	}
	n, err := strconv.Atoi(ver)
	if err != nil {
		return nil, fmt.Errorf("%w %q: the version after @ is a number", ErrUnknownSet, ref)
	}
	if s, ok := c.Get(id, n); ok {
		return s, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownSet, ref)
}

// Replacement follows a withdrawn set's replaced_by to the set that
// replaces it, which may itself be withdrawn.
func (c *Catalog) Replacement(s *Set) (*Set, error) {
	if s.Status != StatusWithdrawn {
		return nil, fmt.Errorf("%s is not withdrawn", s.Ref())
	}
	return c.Lookup(s.ReplacedBy)
}

// Pick returns the set a new assessment of a kind uses in a province in a
// year. Withdrawn sets are never picked; among the others a set whose years
// cover the year comes first, then a province's own set before a national
// one, then the newer years, then the newer version. A kind with no set in
// force for the year falls back to its newest set.
func (c *Catalog) Pick(kind Kind, province string, year int) (*Set, bool) {
	var best *Set
	rank := func(s *Set) [4]int {
		r := [4]int{0, 0, s.Years.From, s.Version}
		if s.Years.Covers(year) {
			r[0] = 1
		}
		if s.Jurisdiction == province {
			r[1] = 1
		}
		return r
	}
	less := func(a, b [4]int) bool {
		for i := range a {
			if a[i] != b[i] {
				return a[i] < b[i]
			}
		}
		return false
	}
	for _, s := range c.sets {
		if s.Kind != kind || s.Status == StatusWithdrawn || (s.Jurisdiction != "national" && s.Jurisdiction != province) {
			continue
		}
		if best == nil || less(rank(best), rank(s)) {
			best = s
		}
	}
	return best, best != nil
}
