package blob

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"

	"hoctap/flows"
)

// MIME types of what Strip accepts.
const (
	mimeJPEG = "image/jpeg"
	mimePNG  = "image/png"
)

var (
	jpegMagic = []byte{0xFF, 0xD8, 0xFF}
	pngMagic  = []byte("\x89PNG\r\n\x1a\n")
)

// Strip returns a copy of a JPEG or PNG image without its metadata, and its
// MIME type. Nothing is re-encoded: the kept segments or chunks are copied
// byte for byte, so the image decodes to the same pixels. Anything that is
// not a complete, well-formed JPEG or PNG gives an error matching
// flows.ErrNotImage.
func Strip(data []byte) (clean []byte, mime string, err error) {
	switch {
	case bytes.HasPrefix(data, jpegMagic):
		clean, err = stripJPEG(data)
		mime = mimeJPEG
	case bytes.HasPrefix(data, pngMagic):
		clean, err = stripPNG(data)
		mime = mimePNG
	default:
		return nil, "", notImage("unknown type")
	}
	if err != nil {
		return nil, "", err
	}
	if err := checkHeader(clean, mime); err != nil {
		return nil, "", err
	}
	return clean, mime, nil
}

// checkHeader checks that a stripped image still has a decodable header
// with a size.
func checkHeader(clean []byte, mime string) error {
	var cfg image.Config
	var err error
	if mime == mimePNG {
		cfg, err = png.DecodeConfig(bytes.NewReader(clean))
	} else {
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(clean))
	}
	if err != nil {
		return fmt.Errorf("blob: %s header: %v: %w", mime, err, flows.ErrNotImage)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return notImage("%s of size %dx%d", mime, cfg.Width, cfg.Height)
	}
	return nil
}

// notImage returns an error matching flows.ErrNotImage.
func notImage(format string, args ...any) error {
	return fmt.Errorf("blob: %s: %w", fmt.Sprintf(format, args...), flows.ErrNotImage)
}
