package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"hoctap/flows"
)

const testMax = 1 << 20

func newDir(t *testing.T) *Dir {
	t.Helper()
	d, err := NewDir(filepath.Join(t.TempDir(), "blobs"), testMax)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// stored returns the bytes stored under sum, checking it is their SHA-256.
func stored(t *testing.T, d *Dir, sum string) []byte {
	t.Helper()
	f, err := d.Open(sum)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if h := sha256.Sum256(b); hex.EncodeToString(h[:]) != sum {
		t.Fatalf("stored file's SHA-256 is %x, Put returned %s", h, sum)
	}
	return b
}

func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return img
}

func samePixels(t *testing.T, got, want image.Image) {
	t.Helper()
	if got.Bounds() != want.Bounds() {
		t.Fatalf("bounds %v, want %v", got.Bounds(), want.Bounds())
	}
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if got.At(x, y) != want.At(x, y) {
				t.Fatalf("pixel (%d,%d) is %v, want %v", x, y, got.At(x, y), want.At(x, y))
			}
		}
	}
}

// files lists the regular files under d's folder.
func files(t *testing.T, d *Dir) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(d.path, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			names = append(names, strings.TrimPrefix(p, d.path))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestPutStripsMetadata(t *testing.T) {
	jpg, pngb := sampleJPEG(t, 1), samplePNG(t, 1)
	tests := []struct {
		name     string
		in       []byte
		original []byte // decodes to the pixels wanted
		mime     string
		ext      string
		kept     []string
	}{
		{"plain JPEG", jpg, jpg, "image/jpeg", ".jpg", nil},
		{"JPEG with metadata", withJPEGMeta(jpg), jpg, "image/jpeg", ".jpg",
			[]string{"JFIF\x00", "ICC_PROFILE\x00", "Adobe"}},
		{"plain PNG", pngb, pngb, "image/png", ".png", nil},
		{"PNG with metadata", withPNGMeta(pngb), pngb, "image/png", ".png", []string{"pHYs"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDir(t)
			sum, size, mime, err := d.Put(context.Background(), bytes.NewReader(tt.in))
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			got := stored(t, d, sum)
			if mime != tt.mime || size != int64(len(got)) {
				t.Errorf("Put gave %d bytes of %s; stored %d bytes, want %s", size, mime, len(got), tt.mime)
			}
			if want := filepath.Join(d.path, sum[:2], sum+tt.ext); d.Path(sum) != want {
				t.Errorf("Path = %q, want %q", d.Path(sum), want)
			}
			if fi, err := os.Stat(d.Path(sum)); err != nil || fi.Mode().Perm() != fileMode {
				t.Errorf("stored file mode: %v, %v", fi, err)
			}
			for _, p := range planted() {
				if bytes.Contains(got, p) {
					t.Errorf("stored file still contains %q", p)
				}
			}
			for _, k := range tt.kept {
				if !bytes.Contains(got, []byte(k)) {
					t.Errorf("stored file lost %q", k)
				}
			}
			samePixels(t, decode(t, got), decode(t, tt.original))
		})
	}
}

func TestPutSamePhotoOnce(t *testing.T) {
	jpg, pngb := sampleJPEG(t, 1), samplePNG(t, 1)
	tests := []struct {
		name      string
		a, b      []byte
		sameHash  bool
		wantFiles int
	}{
		{"same JPEG twice", jpg, jpg, true, 1},
		{"same JPEG, with and without Exif", jpg, withExif(jpg), true, 1},
		{"same PNG, with and without text", withText(pngb), pngb, true, 1},
		{"two JPEGs", jpg, sampleJPEG(t, 2), false, 2},
		{"two PNGs", pngb, samplePNG(t, 2), false, 2},
		{"a JPEG and a PNG", jpg, pngb, false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDir(t)
			ctx := context.Background()
			s1, _, _, err := d.Put(ctx, bytes.NewReader(tt.a))
			if err != nil {
				t.Fatal(err)
			}
			s2, _, _, err := d.Put(ctx, bytes.NewReader(tt.b))
			if err != nil {
				t.Fatal(err)
			}
			if (s1 == s2) != tt.sameHash {
				t.Errorf("hashes %s and %s: equal is %v, want %v", s1, s2, s1 == s2, tt.sameHash)
			}
			if got := files(t, d); len(got) != tt.wantFiles {
				t.Errorf("files %v, want %d", got, tt.wantFiles)
			}
		})
	}
}

func TestPutConcurrent(t *testing.T) {
	d := newDir(t)
	photos := [][]byte{sampleJPEG(t, 1), withExif(sampleJPEG(t, 1)), samplePNG(t, 3)}
	var wg sync.WaitGroup
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, _, err := d.Put(context.Background(), bytes.NewReader(photos[i%len(photos)])); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := files(t, d); len(got) != 2 {
		t.Errorf("files %v, want 2 and no temporary ones", got)
	}
}

// endless is an endless reader of JPEG-looking bytes that fails the test
// when read beyond limit.
type endless struct {
	t     *testing.T
	read  int64
	limit int64
}

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0xFF
	}
	e.read += int64(len(p))
	if e.read > e.limit {
		e.t.Fatalf("read %d bytes, more than %d", e.read, e.limit)
	}
	return len(p), nil
}

func TestPutRefuses(t *testing.T) {
	const max = 4096
	jpg := sampleJPEG(t, 1)
	tests := []struct {
		name string
		r    func(t *testing.T) io.Reader
		want error
	}{
		{"empty", func(*testing.T) io.Reader { return strings.NewReader("") }, flows.ErrNotImage},
		{"text", func(*testing.T) io.Reader { return strings.NewReader("hello, this is not a photo") }, flows.ErrNotImage},
		{"GIF", func(*testing.T) io.Reader { return strings.NewReader("GIF89a\x01\x00\x01\x00\x00\x00\x00;") }, flows.ErrNotImage},
		{"JPEG magic only", func(*testing.T) io.Reader { return bytes.NewReader(jpg[:3]) }, flows.ErrNotImage},
		{"PNG signature only", func(*testing.T) io.Reader { return bytes.NewReader(pngMagic) }, flows.ErrNotImage},
		{"too large", func(*testing.T) io.Reader { return bytes.NewReader(make([]byte, max+1)) }, flows.ErrTooLarge},
		{"endless", func(t *testing.T) io.Reader { return &endless{t: t, limit: max + 1024} }, flows.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDir(t.TempDir(), max)
			if err != nil {
				t.Fatal(err)
			}
			_, _, _, err = d.Put(context.Background(), tt.r(t))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Put: %v, want %v", err, tt.want)
			}
			if got := files(t, d); len(got) != 0 {
				t.Errorf("stored %v", got)
			}
		})
	}
}

func TestPutExactlyMaxSize(t *testing.T) {
	jpg := sampleJPEG(t, 1)
	d, err := NewDir(t.TempDir(), int64(len(jpg)))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := d.Put(context.Background(), bytes.NewReader(jpg)); err != nil {
		t.Fatalf("Put of exactly max size: %v", err)
	}
}

func TestPutCancelled(t *testing.T) {
	d := newDir(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, _, err := d.Put(ctx, bytes.NewReader(sampleJPEG(t, 1)))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put: %v, want context.Canceled", err)
	}
}

func TestPutTruncated(t *testing.T) {
	samples := map[string][]byte{
		"JPEG":               sampleJPEG(t, 1),
		"JPEG with metadata": withJPEGMeta(sampleJPEG(t, 1)),
		"PNG":                samplePNG(t, 1),
		"PNG with metadata":  withPNGMeta(samplePNG(t, 1)),
	}
	for name, full := range samples {
		t.Run(name, func(t *testing.T) {
			d := newDir(t)
			for n := 0; n <= len(full); n++ {
				_, _, _, err := d.Put(context.Background(), bytes.NewReader(full[:n]))
				if err != nil && !errors.Is(err, flows.ErrNotImage) {
					t.Fatalf("prefix %d: %v, want success or ErrNotImage", n, err)
				}
			}
		})
	}
}

func TestOpenPathBadSum(t *testing.T) {
	d := newDir(t)
	sum, _, _, err := d.Put(context.Background(), bytes.NewReader(sampleJPEG(t, 1)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		sum  string
		want error
	}{
		{"traversal", "../../etc/passwd", ErrBadSum},
		{"traversal of hex length", "../" + sum[3:], ErrBadSum},
		{"empty", "", ErrBadSum},
		{"short", sum[:63], ErrBadSum},
		{"long", sum + "0", ErrBadSum},
		{"upper case", strings.ToUpper(sum), ErrBadSum},
		{"with extension", sum[:60] + ".jpg", ErrBadSum},
		{"not stored", strings.Repeat("0", 64), fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if p := d.Path(tt.sum); p != "" {
				t.Errorf("Path = %q, want none", p)
			}
			f, err := d.Open(tt.sum)
			if !errors.Is(err, tt.want) {
				t.Errorf("Open: %v, want %v", err, tt.want)
			}
			if f != nil {
				f.Close()
			}
		})
	}
}

func TestNewDir(t *testing.T) {
	base := t.TempDir()
	tests := []struct {
		name    string
		path    string
		max     int64
		wantErr bool
	}{
		{"creates nested folder", filepath.Join(base, "a", "b"), 10, false},
		{"existing folder", base, 10, false},
		{"empty path", "", 10, true},
		{"zero size", base, 0, true},
		{"under a file", filepath.Join(base, "file", "x"), 10, true},
	}
	if err := os.WriteFile(filepath.Join(base, "file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewDir(tt.path, tt.max)
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewDir: %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			fi, err := os.Stat(tt.path)
			if err != nil || !fi.IsDir() {
				t.Fatalf("folder: %v", err)
			}
		})
	}
}
