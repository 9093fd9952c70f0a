package blob

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image/jpeg"
	"image/png"
	"io"
	"testing"

	"hoctap/flows"
)

func FuzzPut(f *testing.F) {
	for _, seed := range [][]byte{
		sampleJPEG(f, 1), withJPEGMeta(sampleJPEG(f, 1)),
		samplePNG(f, 1), withPNGMeta(samplePNG(f, 1)),
	} {
		f.Add(seed)
	}
	d, err := NewDir(f.TempDir(), testMax)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		sum, size, mime, err := d.Put(context.Background(), bytes.NewReader(in))
		if err != nil {
			if !errors.Is(err, flows.ErrNotImage) && !errors.Is(err, flows.ErrTooLarge) {
				t.Fatalf("Put: %v", err)
			}
			return
		}
		got := stored(t, d, sum)
		if int64(len(got)) != size {
			t.Fatalf("size %d, stored %d bytes", size, len(got))
		}
		switch mime {
		case "image/jpeg":
			if _, err := jpeg.DecodeConfig(bytes.NewReader(got)); err != nil {
				t.Fatalf("stored JPEG: %v", err)
			}
			checkJPEGClean(t, got)
		case "image/png":
			if _, err := png.DecodeConfig(bytes.NewReader(got)); err != nil {
				t.Fatalf("stored PNG: %v", err)
			}
			checkPNGClean(t, got)
		default:
			t.Fatalf("mime %q", mime)
		}
		if again, _, err := Strip(got); err != nil || !bytes.Equal(again, got) {
			t.Fatalf("stripping the stored file again changed it (%v)", err)
		}
	})
}

// checkJPEGClean walks a stored JPEG on its own and fails on an Exif APP1
// segment, any APP1 or any comment.
func checkJPEGClean(t *testing.T, b []byte) {
	t.Helper()
	p := 2
	for p+1 < len(b) {
		if b[p] != 0xFF {
			t.Fatalf("no marker at %d", p)
		}
		m := b[p+1]
		p += 2
		if m == 0xD9 {
			if p != len(b) {
				t.Fatalf("%d bytes after EOI", len(b)-p)
			}
			return
		}
		if m == 0x01 || (m >= 0xD0 && m <= 0xD7) {
			continue
		}
		n := int(binary.BigEndian.Uint16(b[p:]))
		if m == 0xE1 || m == 0xFE || bytes.HasPrefix(b[p+2:p+n], []byte("Exif\x00\x00")) {
			t.Fatalf("segment %#x %q kept", m, b[p+2:p+n])
		}
		p += n
		if m == 0xDA {
			for p+1 < len(b) && (b[p] != 0xFF || b[p+1] == 0 || (b[p+1] >= 0xD0 && b[p+1] <= 0xD7)) {
				p++
			}
		}
	}
	t.Fatal("no EOI")
}

// checkPNGClean walks a stored PNG on its own and fails on a text, eXIf or
// tIME chunk.
func checkPNGClean(t *testing.T, b []byte) {
	t.Helper()
	r := bytes.NewReader(b[len(pngMagic):])
	for {
		var h struct {
			N   uint32
			Typ [4]byte
		}
		if err := binary.Read(r, binary.BigEndian, &h); err != nil {
			t.Fatalf("no IEND: %v", err)
		}
		switch typ := string(h.Typ[:]); typ {
		case "tEXt", "zTXt", "iTXt", "eXIf", "tIME":
			t.Fatalf("chunk %s kept", typ)
		case "IEND":
			if r.Len() != 4 {
				t.Fatalf("%d bytes after IEND", r.Len()-4)
			}
			return
		}
		if _, err := r.Seek(int64(h.N)+4, io.SeekCurrent); err != nil {
			t.Fatal(err)
		}
	}
}
