// Package blob stores evidence files by content: each photo is stripped of
// its metadata (EXIF, GPS, XMP, IPTC, comments, text chunks) without being
// re-encoded, then kept under the SHA-256 of the stripped bytes, so the same
// photo is stored once and no stored file carries where or by whom it was
// taken (DESIGN.md, invariant 9).
//
// Dir is the local-folder store. Strip is the format-level part on its own,
// for other stores to reuse.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"hoctap/flows"
)

// ErrBadSum is returned for a name that is not a lower-case hex SHA-256.
var ErrBadSum = errors.New("blob: not a lower-case hex SHA-256")

// File modes of what Dir creates.
const (
	dirMode  fs.FileMode = 0o750
	fileMode fs.FileMode = 0o640
)

// Dir stores files in a local folder as <dir>/<first 2 hex>/<sha256>.jpg|.png.
// It is safe for concurrent use, also by several processes sharing the folder.
type Dir struct {
	path    string
	maxSize int64
}

var _ flows.Blobs = (*Dir)(nil)

// NewDir returns a store in the folder path, creating it when missing;
// Put refuses files larger than maxSize bytes.
func NewDir(path string, maxSize int64) (*Dir, error) {
	if path == "" {
		return nil, errors.New("blob: empty folder path")
	}
	if maxSize <= 0 {
		return nil, fmt.Errorf("blob: max size %d is not positive", maxSize)
	}
	if err := os.MkdirAll(path, dirMode); err != nil {
		return nil, fmt.Errorf("blob: create folder: %w", err)
	}
	return &Dir{path: path, maxSize: maxSize}, nil
}

// Put reads an image of at most the store's max size, strips its metadata
// and stores it. It returns the hex SHA-256 and size of the stored (stripped)
// bytes and their MIME type; flows.ErrTooLarge when r has more bytes than
// allowed (the rest is not read), flows.ErrNotImage when it is not a
// well-formed JPEG or PNG.
func (d *Dir) Put(ctx context.Context, r io.Reader) (sum string, size int64, mime string, err error) {
	data, err := d.read(ctx, r)
	if err != nil {
		return "", 0, "", err
	}
	clean, mime, err := Strip(data)
	if err != nil {
		return "", 0, "", err
	}
	h := sha256.Sum256(clean)
	sum = hex.EncodeToString(h[:])
	if err := ctx.Err(); err != nil {
		return "", 0, "", fmt.Errorf("blob: put: %w", err)
	}
	if err := d.write(sum, extension(mime), clean); err != nil {
		return "", 0, "", err
	}
	return sum, int64(len(clean)), mime, nil
}

// read reads r whole, but never more than maxSize+1 bytes.
func (d *Dir) read(ctx context.Context, r io.Reader) ([]byte, error) {
	limit := d.maxSize
	if limit < math.MaxInt64 {
		limit++
	}
	data, err := io.ReadAll(io.LimitReader(ctxReader{ctx, r}, limit))
	if err != nil {
		return nil, fmt.Errorf("blob: read: %w", err)
	}
	if int64(len(data)) > d.maxSize {
		return nil, fmt.Errorf("blob: more than %d bytes: %w", d.maxSize, flows.ErrTooLarge)
	}
	return data, nil
}

// write stores data as name+ext unless a file of that name exists already
// (it has the same content): through a temporary file in the same folder,
// renamed into place once synced, so a reader never sees a partial file.
func (d *Dir) write(name, ext string, data []byte) (err error) {
	folder := filepath.Join(d.path, name[:2])
	final := filepath.Join(folder, name+ext)
	if _, err := os.Lstat(final); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: check stored file: %w", err)
	}
	if err := os.MkdirAll(folder, dirMode); err != nil {
		return fmt.Errorf("blob: create folder: %w", err)
	}
	tmp, err := os.CreateTemp(folder, ".tmp-*")
	if err != nil {
		return fmt.Errorf("blob: create temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := fill(tmp, data); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return fmt.Errorf("blob: rename into place: %w", err)
	}
	return syncDir(folder)
}

// fill writes data to f, makes it durable and closes f.
func fill(f *os.File, data []byte) error {
	if err := f.Chmod(fileMode); err != nil {
		return fmt.Errorf("blob: set file mode: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("blob: write: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("blob: sync: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("blob: close: %w", err)
	}
	return nil
}

// syncDir makes a rename in folder durable.
func syncDir(folder string) error {
	f, err := os.Open(folder)
	if err != nil {
		return fmt.Errorf("blob: open folder: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("blob: sync folder: %w", err)
	}
	return nil
}

// Open opens the file stored under sum. It returns ErrBadSum for a sum that
// is not 64 lower-case hex digits and an error matching fs.ErrNotExist when
// nothing is stored under it.
func (d *Dir) Open(sum string) (io.ReadCloser, error) {
	if !validSum(sum) {
		return nil, fmt.Errorf("blob: open %q: %w", sum, ErrBadSum)
	}
	p := d.Path(sum)
	if p == "" {
		return nil, fmt.Errorf("blob: open %s: %w", sum, fs.ErrNotExist)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", sum, err)
	}
	return f, nil
}

// Path returns the path of the file stored under sum, or "" when sum is not
// 64 lower-case hex digits or nothing is stored under it.
func (d *Dir) Path(sum string) string {
	if !validSum(sum) {
		return ""
	}
	for _, ext := range []string{".jpg", ".png"} {
		p := filepath.Join(d.path, sum[:2], sum+ext)
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// validSum reports whether s is a lower-case hex SHA-256, which also rules
// out anything that could leave the folder.
func validSum(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// extension returns the file name extension for a MIME type from Strip.
func extension(mime string) string {
	if mime == mimePNG {
		return ".png"
	}
	return ".jpg"
}

// ctxReader stops reading once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
